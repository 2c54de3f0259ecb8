"""The test runner: arguments, checks, the closing tally, scratch
directories and configuration files; where the keyring fixture is."""
import argparse
import atexit
import os
import sys
import tempfile
import time
import traceback

KEYRING = os.environ.get("CM_TEST_KEYRING", "")
GNUPGHOME = os.path.join(KEYRING, "gnupg")
EXPORT = os.path.join(KEYRING, "export")
# The OpenPGP backend every test runs against (ctest runs the suites once
# per backend: CM_TEST_BACKEND=gpgme|rnp), always written into the
# configuration: the suites do not depend on the default.
BACKEND = os.environ.get("CM_TEST_BACKEND", "gpgme")


# Processes a test started (daemons, opendkim): killed if the test exits
# without stopping them.
RUNNING = []


@atexit.register
def _kill_leftovers():
    for p in RUNNING:
        if p.poll() is None:
            p.kill()


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", required=True)
    return p.parse_args()


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def gpgme_only(fn):
    """A case about the gpg process itself (a GpgProgram wrapper that hangs,
    dies or lies, the agent): librnp runs no process, so under
    CM_TEST_BACKEND=rnp it is reported as skipped, by name."""
    fn.gpgme_only = True
    return fn


def shard(tests):
    """The part of tests this process runs: CM_SHARD=K/N (set by ctest for
    the slow MTA suites, run as N processes in parallel) keeps every Nth
    test from the Kth; unset, all of them."""
    spec = os.environ.get("CM_SHARD", "")
    if not spec:
        return list(tests)
    k, n = (int(x) for x in spec.split("/"))
    if not 1 <= k <= n:
        raise ValueError("CM_SHARD=%s: want K/N with 1 <= K <= N" % spec)
    return [t for i, t in enumerate(tests) if i % n == k - 1]


def run_tests(tests, always=()):
    """Run (name, fn) pairs, this process's shard of them, then the
    `always` ones (checks over what the shard did); print one line each and
    the closing tally."""
    passed = failed = skipped = 0
    tests = shard(tests) + list(always)
    if spec := os.environ.get("CM_SHARD"):
        print("shard %s: %d tests" % (spec, len(tests)), flush=True)
    for name, fn in tests:
        if getattr(fn, "gpgme_only", False) and BACKEND != "gpgme":
            print("skip   %s (gpg process only; backend %s)" % (name, BACKEND), flush=True)
            skipped += 1
            continue
        t0 = time.monotonic()
        try:
            fn()
            print("ok     %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
            passed += 1
        except Exception as e:  # report and go on with the next test
            failed += 1
            print("FAIL   %s (%.1f s): %s" % (name, time.monotonic() - t0, e), flush=True)
            if not isinstance(e, Failure):
                traceback.print_exc()
    print("%d passed, %d failed%s" % (passed, failed,
                                      ", %d skipped" % skipped if skipped else ""))
    sys.exit(1 if failed else 0)


def workdir():
    base = os.environ.get("CM_TEST_TMP", tempfile.gettempdir())
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="it-", dir=base)


def write_config(path, **keys):
    # Every directory the configuration names is the test's (cryptmilter -n
    # checks them; this machine need not have the package's).
    conf = {"KeyringDir": GNUPGHOME, "SpoolDir": os.path.dirname(path),
            "Socket": "local:" + os.path.join(os.path.dirname(path), "cryptmilter.sock"),
            "MemoryBufferSize": "64K", "Syslog": "no", "LogLevel": "info"}
    conf["OpenPGPBackend"] = BACKEND
    conf.update(keys)
    with open(path, "w") as f:
        for k, v in conf.items():
            f.write("%s %s\n" % (k, v))
    return path


# ---------------------------------------------------------------- corpus
