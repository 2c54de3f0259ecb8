#!/usr/bin/env python3
"""bench.py --build BUILD [--rounds N] [--quick] - the throughput benchmark
(SPEC §8, issue 11). Run as root (it starts private Postfix instances):

    python3 tests/bench/bench.py --build build

For each workload it drives a private Postfix on loopback with smtp-source,
relaying to smtp-sink, three ways, in interleaved rounds: no milter; the
body-replacing null milter (cryptmilter-nullmilter: the ceiling any milter
can reach); cryptmilter with each OpenPGP engine. It prints msgs/s (median,
min-max), the ratio to the null milter, the machine's CPU per message and
the null milter's over it (the ratio a machine with nothing else to do
would show; steadier than the rates on a busy one), the milter's own CPU
per message (gpg's processes are not the milter's: see the
machine column) and the milter's peak RSS. Every message must reach the
sink, none may stay queued, and cryptmilter's must all be encrypted; any
miss stops the run. It asserts nothing about speed: it is the tool for the
figures in notes and the README.

    --engines rnp             only these OpenPGPBackend values
    --compare OTHER_BUILD     also OTHER_BUILD's cryptmilter, as ENGINE@base,
                              in the same interleaved rounds: a change is
                              measured against its parent in one run, not
                              against figures from another day
    --workloads 10KiB         only the workloads whose names start so
    --keyring kbx             the keyring format of KeyringDir: gpg
                              (default, pubring.gpg, as the README advises
                              for the GPGME engine) or kbx (pubring.kbx,
                              gpg's own default)
    --keys rsa3072            the recipients' key algorithm (gpg's
                              --quick-gen-key name; default future-default,
                              gpg's own: Ed25519 with a Curve25519
                              encryption subkey). Public-key encryption
                              costs a scalar multiplication per recipient
                              with Curve25519, little with RSA: comparing
                              the two separates the algorithm's cost from
                              the gateway's
    --floor-engine            with --floor, also floor:ENGINE for each
                              in-process engine: the floor milter running
                              the engine itself (-k: the body encrypted to
                              the recipients' keys through the engine
                              seam, no MIME, policy or headers) instead of
                              spinning its cost measured in a loop; what
                              the engine costs beside the MTA's processes
                              is then in the floor too
    --control                 with --floor, also floor2+ENGINE: floor+ENGINE
                              again, in a Postfix of its own. The two are
                              the same milter, so their ratio's distance
                              from 1.00 is what the run's noise does to a
                              ratio: a target closer to a ratio than that
                              is not told from it by the run
    --steady                  Postfix's processes live for the whole run
                              (max_use, max_idle: none is started again
                              between rounds), and every kind runs every
                              workload once, uncounted, before round 1: a
                              quick round of 30 messages then counts no
                              process start, which lands in one kind's run
                              at random and is the MTA's, not the milter's"""
import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import mta                         # noqa: E402
from harness.cmrun import write_config          # noqa: E402

ENGINES = ("gpgme", "rnp")     # OpenPGPBackend values, each a setup of its own
# cryptmilter-nullmilter's options for each kind it is run as (--floor
# adds "floor+ENGINE" for each engine of IN_PROCESS: the floor spending
# that engine's CPU too)
NULLS = {"null": [], "floor": ["-r", "-a"]}
# Engines whose work is all in the milter's process, so that the floor
# spending their CPU alone is a bound. gpg's costs the daemon otherwise
# than it costs a small process (the fork of a large one, see README).
IN_PROCESS = ("rnp",)
# name, message size, recipients per message, sessions, messages per run
WORKLOADS = [
    ("10KiB x1 rcpt x10 sessions", 10 * 1024, 1, 10, 400),
    ("10KiB x1 rcpt x1 session", 10 * 1024, 1, 1, 150),
    ("10KiB x10 rcpt x10 sessions", 10 * 1024, 10, 10, 200),
    ("1MiB x1 rcpt x10 sessions", 1024 * 1024, 1, 10, 40),
    ("10MiB x1 rcpt x10 concurrent", 10 * 1024 * 1024, 1, 10, 10),
]


CPUACCT = "/sys/fs/cgroup/cpuacct"
# The bench's own cpuacct group (cgroup v1): every process it starts
# (Postfix, the milters, smtp-source, smtp-sink), and nothing else the
# machine runs, not the bench itself once they are started. None where it
# cannot be made.
BENCH_GROUP = None


def cpuacct_group(parent, name, pid):
    """A cpuacct group parent/name holding pid (and what it starts from now
    on); None where it cannot be made."""
    group = os.path.join(parent, name)
    try:
        os.mkdir(group)
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(pid))
        return group
    except OSError:
        if os.path.isdir(group):
            os.rmdir(group)
        return None


def cpuacct_ms(group):
    """The CPU time of group's processes so far, ended ones included, in ms."""
    with open(os.path.join(group, "cpuacct.usage")) as f:
        return int(f.read()) / 1e6


def bench_group_enter():
    """Move the bench into a cpuacct group of its own, before it starts
    anything: the processes it starts are counted there."""
    global BENCH_GROUP
    BENCH_GROUP = cpuacct_group(CPUACCT, "cryptmilter-bench-%d" % os.getpid(), os.getpid())


def bench_group_step_out():
    """The bench itself back to the root group, once it has started the
    processes that live for the whole run (they stay in the group): its
    own CPU (waiting for the sink, listing the queue) is not the mail's,
    and grew with a kind's run time. 0, or -1 (said on stderr)."""
    try:
        with open(os.path.join(CPUACCT, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return 0
    except OSError as e:
        print("bench: still in %s: %s" % (BENCH_GROUP, e), file=sys.stderr)
        return -1


def bench_group_join():
    """In a child the bench starts (preexec_fn), before it runs: the child
    into the bench's group."""
    with open(os.path.join(BENCH_GROUP, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def bench_group_leave():
    """Back to the root group, and the bench's group removed (after every
    process it started has ended)."""
    if BENCH_GROUP is None or bench_group_step_out() != 0:
        return
    for _ in range(50):     # a stopped Postfix's last processes are ending
        try:
            os.rmdir(BENCH_GROUP)
            return
        except OSError as e:
            err = e
            time.sleep(0.1)
    print("bench: %s left behind: %s" % (BENCH_GROUP, err), file=sys.stderr)


def machine_cpu_ms():
    """The CPU time so far of the processes the bench started, in ms: its cpuacct
    group's nanoseconds where it has one; else the machine's, from the root
    group's nanoseconds or /proc/stat's ticks (10 ms each: too coarse for a
    quick round of 10 KiB messages, 30 of which take about 20 ticks)."""
    for group in (BENCH_GROUP, CPUACCT):
        if group is None:
            continue
        try:
            return cpuacct_ms(group)
        except OSError:
            pass
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) * 1000.0 / os.sysconf("SC_CLK_TCK")  # all but idle, iowait


class MilterCpu:
    """The CPU time of a milter process, in ms: of its own cpuacct group
    (nanoseconds, ended threads included) where one can be made, else
    utime + stime of it and its waited-for children (ticks)."""

    def __init__(self, pid, name):
        self.pid = pid
        self.group = cpuacct_group(BENCH_GROUP or CPUACCT, "milter-%s" % name, pid)

    def ms(self):
        if self.group is not None:
            return cpuacct_ms(self.group)
        with open("/proc/%d/stat" % self.pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in v[11:15]) * 1000.0 / os.sysconf("SC_CLK_TCK")

    def close(self):
        """After the process has ended: the group goes."""
        if self.group is not None:
            try:
                os.rmdir(self.group)
            except OSError:
                pass


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


# The encryption subkey's algorithm for a signing one given to --keys.
ENCRYPTING = {"ed25519": "cv25519", "ed448": "cv448"}


def make_keyring(path, algo="future-default", fmt="gpg"):
    """A keyring with bench@example.org and 2..10bench@example.org (what
    smtp-source -r makes of -t bench@example.org), keys of gpg's
    --quick-gen-key algorithm algo, in a pubring.gpg (fmt "gpg": as the
    README advises for the GPGME engine) or a pubring.kbx (fmt "kbx")."""
    os.makedirs(path, mode=0o700)
    if fmt == "gpg":
        # gpg keeps using a pubring.gpg it finds (and caches its checks of
        # key signatures in it, which pubring.kbx does not).
        open(os.path.join(path, "pubring.gpg"), "w").close()
    if os.environ.get("CM_BENCH_SEED_FILE") != "yes":
        # As the README advises: concurrent gpg runs otherwise queue on
        # the lock of KeyringDir's random_seed (CM_BENCH_SEED_FILE=yes to
        # measure without the advice).
        with open(os.path.join(path, "gpg.conf"), "w") as f:
            f.write("no-random-seed-file\n")
    env = dict(os.environ, GNUPGHOME=path, LC_ALL="C")
    for n in [""] + [str(i) for i in range(2, 11)]:
        addr = "%sbench@example.org" % n
        subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                        addr, algo, "default", "never"], env=env, check=True)
        if algo not in ("default", "future-default"):
            # An algorithm named alone makes a primary key that only signs
            # and certifies: give it an encryption subkey of its kind.
            listing = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys",
                                      "=" + addr], env=env, check=True,
                                     capture_output=True, text=True).stdout
            fpr = [ln.split(":")[9] for ln in listing.splitlines() if ln.startswith("fpr:")][0]
            subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-add-key",
                            fpr, ENCRYPTING.get(algo, algo), "encr", "never"],
                           env=env, check=True)
    if fmt == "gpg":
        # Imported keys have their signature checks cached; generated
        # ones only once checked (as the README advises).
        subprocess.run(["gpg", "--batch", "--check-sigs"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["gpgconf", "--kill", "all"], env=env)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), "cryptmilter")
    shutil.chown(path, "cryptmilter")


class Sink:
    """smtp-sink dumping every message into a directory."""

    def __init__(self, base):
        self.dir = os.path.join(base, "sink")
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postfix")
        self.port = mta.free_port()
        self.p = subprocess.Popen(["smtp-sink", "-u", "postfix", "-d", self.dir + "/%H%M%S.",
                                   "127.0.0.1:%d" % self.port, "256"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mta.wait_port(self.port)

    def clear(self):
        for n in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, n))

    def count(self):
        return len(os.listdir(self.dir))

    def files(self):
        return [os.path.join(self.dir, n) for n in os.listdir(self.dir)]

    def stop(self):
        self.p.terminate()
        self.p.wait()


class Setup:
    """One Postfix and what sits in its milter slot: kind is "none", one
    of NULLS (the null milter, as the ceiling or as a floor: see
    cm_nullmilter.c), or an OpenPGPBackend, optionally "@base" for the
    --compare build's cryptmilter."""

    def __init__(self, base, build, sink, kind, keyring=None, compare=None, membuf="1M",
                 steady=False):
        self.kind = kind
        engine = kind.split("@")[0]
        if kind.endswith("@base"):
            build = compare
        name = kind.replace("@", "-").replace(":", "-")     # a directory's, a group's
        self.base = os.path.join(base, name)
        os.makedirs(self.base)
        extra = {"milter_content_timeout": "300s", "milter_command_timeout": "300s",
                 "message_size_limit": str(64 * 1024 * 1024)}
        if steady:
            extra.update({"max_use": "1000000", "max_idle": "86400s"})
        self.mta = mta.PostfixInstance(self.base, sink.port, milter=kind != "none", extra=extra)
        self.p = None
        if kind in NULLS:
            self.p = subprocess.Popen([os.path.join(build, "tests", "cryptmilter-nullmilter")]
                                      + NULLS[kind] + ["local:" + self.mta.milter_socket],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif kind != "none":
            spool = os.path.join(self.base, "spool")
            os.makedirs(spool)
            shutil.chown(spool, "cryptmilter")
            conf = write_config(os.path.join(self.base, "cm.conf"),
                                Socket="local:" + self.mta.milter_socket,
                                UserID="cryptmilter:postfix", KeyringDir=keyring, SpoolDir=spool,
                                MemoryBufferSize=membuf, LogLevel="warning",
                                MissingKeyAction="tempfail", OpenPGPBackend=engine)
            self.p = subprocess.Popen([os.path.join(build, "milter", "cryptmilter"), "-f", "-c",
                                       conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.cpu = MilterCpu(self.p.pid, name) if self.p is not None else None
        if self.p is not None:
            for _ in range(200):
                if os.path.exists(self.mta.milter_socket):
                    break
                time.sleep(0.05)
        self.mta.start()

    def stop(self):
        self.mta.stop()
        if self.p is not None:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait(timeout=30)
            self.cpu.close()


SETTLE = 0.3                # seconds between one run and the next


def run_once(setup, sink, workload):
    name, size, rcpts, sessions, count = workload
    sink.clear()
    cmd = ["smtp-source", "-s", str(sessions), "-m", str(count), "-l", str(size),
           "-r", str(rcpts), "-f", "sender@ext.example", "-t", "bench@example.org",
           "-M", "client.ext.example", "127.0.0.1:%d" % setup.mta.port]
    # The last run's processes (its delivery agents, the queue listing
    # below) settle before this one's CPU is counted.
    time.sleep(SETTLE)
    c0, p0, t0 = machine_cpu_ms(), setup.cpu.ms() if setup.cpu else 0, time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True,
                       preexec_fn=bench_group_join if BENCH_GROUP else None)
    t = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("%s/%s: smtp-source: %s" % (name, setup.kind, r.stderr.strip()[-300:]))
    # The CPU a message costs is counted until it is at the sink: when
    # smtp-source ends, the last few are still being delivered.
    end = time.monotonic() + 180
    while sink.count() < count and time.monotonic() < end:
        time.sleep(0.01)
    c1, p1 = machine_cpu_ms(), setup.cpu.ms() if setup.cpu else 0
    # Delivered: every message at the sink and none left in the queue (a
    # dump file appears before Postfix has the sink's final reply).
    while (sink.count() < count or setup.mta.queue_ids()) and time.monotonic() < end:
        time.sleep(0.2)
    if sink.count() != count:
        raise SystemExit("%s/%s: %d of %d messages reached the sink; queue %r"
                         % (name, setup.kind, sink.count(), count, setup.mta.queue_ids()[:3]))
    if setup.mta.queue_ids():
        raise SystemExit("%s/%s: messages left queued: %r"
                         % (name, setup.kind, setup.mta.queue_ids()[:3]))
    if "-a" in NULLS.get(setup.kind, []):
        for path in sink.files():
            with open(path, "rb") as f:
                if b"XXXXXXXXXXXXXXXXXXXX" in f.read():
                    raise SystemExit("%s/%s: %s was not replaced" % (name, setup.kind, path))
    elif setup.kind != "none" and setup.kind not in NULLS:
        for path in sink.files():
            with open(path, "rb") as f:
                data = f.read()
            if b"multipart/encrypted" not in data or b"XXXXXXXXXXXXXXXXXXXX" in data:
                raise SystemExit("%s/%s: %s is not encrypted" % (name, setup.kind, path))
    return {"rate": count / t, "cpu": (c1 - c0) / count, "mcpu": (p1 - p0) / count}


def cpu_ratio(results, workload, over, under):
    """over's machine CPU per message over under's on workload: the ratio of
    the medians, the median of each round's own ratio, and that median's
    standard error (1.25 times the rounds' own ratios' standard deviation
    over the root of their number; nan with one round): how far that
    median may lie from what many rounds would show on this machine (the
    ratio of the medians spreads more)."""
    a, b = results[(workload, over)], results[(workload, under)]
    mid = statistics.median(r["cpu"] for r in b)
    own = [x["cpu"] / y["cpu"] if y["cpu"] > 0 else 0.0 for x, y in zip(a, b)]
    se = 1.25 * statistics.stdev(own) / len(own) ** 0.5 if len(own) > 1 else float("nan")
    return (statistics.median(r["cpu"] for r in a) / mid if mid > 0 else 0.0,
            statistics.median(own), se)


def ratio_line(results, workload, over, under):
    """workload's line of a yardstick: cpu_ratio's three figures."""
    return "%-30s %6.2f %6.2f +-%4.2f" % ((workload,) + cpu_ratio(results, workload, over, under))


def engine_model(build, engine, keyring, rounds=3):
    """The engine alone (engine_cost.py's tool: no MTA, milter protocol or
    MIME) as the cost model the floor milter spends (its -c): ms a
    message, a MiB, a recipient past the first, from the tool's own CPU
    per message at 10 KiB to one and to ten recipients and at 1 MiB
    (medians over rounds). Its own, not the machine's: an in-process
    engine starts no process, and the machine's count took in whatever
    else ran (on a machine at load 6, librnp's 0.15 ms a message became
    0.34)."""
    import engine_cost
    tool = os.path.join(build, "tests", "cryptmilter-enginecost")
    med = {name: statistics.median(engine_cost.run(tool, engine, keyring, size, n_rcpt, n)[1]
                                   for _ in range(rounds))
           for name, size, n_rcpt, n in engine_cost.CASES}
    one, ten, big = med["10KiB x1 rcpt"], med["10KiB x10 rcpt"], med["1MiB x1 rcpt"]
    per_mib = max(0.0, (big - one) / (1 - 10240 / 2.0 ** 20))
    return (max(0.0, one - per_mib * 10240 / 2.0 ** 20), per_mib, max(0.0, (ten - one) / 9))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a fifth of the messages")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="OpenPGPBackend values to run, comma-separated")
    ap.add_argument("--workloads", default="", metavar="PREFIX",
                    help="only the workloads whose names start with PREFIX")
    ap.add_argument("--keyring", default="gpg", choices=("gpg", "kbx"),
                    help="KeyringDir's keyring format")
    ap.add_argument("--keys", default="future-default", metavar="ALGO",
                    help="the recipients' key algorithm, as gpg --quick-gen-key takes it")
    ap.add_argument("--compare", metavar="BUILD",
                    help="also run this other build's cryptmilter (as ENGINE@base), "
                    "interleaved with the first, so that a change is measured in one run")
    ap.add_argument("--floor", action="store_true",
                    help="also run the floor under an encrypting milter (the null milter "
                    "answering each RCPT and handing back a body as large as its armor) and, "
                    "as floor+rnp, the floor spending librnp's CPU as well")
    ap.add_argument("--floor-steps", action="store_true",
                    help="with --floor: the floor milters take connect, MAIL and each header "
                    "as cryptmilter does (cryptmilter-nullmilter -e), so the protocol steps an "
                    "encrypting milter must see are in the floor too")
    ap.add_argument("--floor-engine", action="store_true",
                    help="with --floor: also floor:ENGINE, the floor milter running the engine itself")
    ap.add_argument("--control", action="store_true",
                    help="with --floor: also floor2+ENGINE, floor+ENGINE again in a Postfix of its "
                    "own; the two's ratio is what the run's noise makes of one milter twice")
    ap.add_argument("--steady", action="store_true",
                    help="Postfix's processes live for the whole run, and one uncounted run of "
                    "each workload on each kind before round 1")
    ap.add_argument("--memory-buffer", default="1M", metavar="SIZE",
                    help="cryptmilter's MemoryBufferSize (what stays in RAM before the spool file)")
    a = ap.parse_args()
    engines = [e for e in a.engines.split(",") if e]
    if any(e not in ENGINES for e in engines):
        raise SystemExit("--engines: one of %s" % ", ".join(ENGINES))
    workloads = [(n, s, r, ss, max(ss, c // 5) if a.quick else c) for n, s, r, ss, c in WORKLOADS
                 if n.startswith(a.workloads)]
    if not workloads:
        raise SystemExit("--workloads: none starts with %r" % a.workloads)
    if (a.control or a.floor_engine or a.floor_steps) and not a.floor:
        raise SystemExit("--control, --floor-engine and --floor-steps go with --floor")
    # A stopped bench must stop its Postfix instances too (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    bench_group_enter()
    build = os.path.abspath(a.build)
    base = mta.workdir()
    mta.ensure_user("cryptmilter", "postfix")
    keyring = os.path.join(base, "keyring")
    make_keyring(keyring, a.keys, a.keyring)
    sink = Sink(base)
    kinds = ["none", "null"] + engines
    models, engine_floors = {}, []
    if a.floor:
        # The floor, and for each in-process engine the floor spending that
        # engine's CPU: the best an encrypting milter on it can do here.
        models = {e: engine_model(build, e, keyring) for e in engines if e in IN_PROCESS}
        if a.floor_steps:
            NULLS["floor"] = NULLS["floor"] + ["-e"]
        for e, m in models.items():
            NULLS["floor+" + e] = NULLS["floor"] + ["-c", "%.3f,%.3f,%.3f" % m]
        engine_floors = list(models) if a.floor_engine else []
        for e in engine_floors:
            NULLS["floor:" + e] = NULLS["floor"] + ["-k", keyring]
        kinds = (["none", "null", "floor"] + ["floor+" + e for e in models]
                 + ["floor:" + e for e in engine_floors] + engines)
        if a.control:
            for e in models:
                NULLS["floor2+" + e] = NULLS["floor+" + e]
            kinds += ["floor2+" + e for e in models]
    if a.compare:
        kinds += [e + "@base" for e in engines]
    compare = os.path.abspath(a.compare) if a.compare else None
    setups = {k: Setup(base, build, sink, k, keyring, compare, a.memory_buffer, a.steady)
              for k in kinds}
    results = {}
    try:
        if BENCH_GROUP is not None and bench_group_step_out() != 0:
            raise SystemExit("bench: cannot leave its own group")
        if a.steady:
            # Enough messages to start every process the workload uses.
            for w in workloads:
                for k in kinds:
                    run_once(setups[k], sink, w[:4] + (min(w[4], 2 * w[3]),))
        for rnd in range(a.rounds):
            for w in workloads:
                # The kinds in another order each round and workload (the
                # same in every run): a kind whose run always came right
                # after the same other one's cost a few hundredths more or
                # less for it (docs/benchmarks.md, 2026-12-07 (fourth)).
                order = list(kinds)
                random.Random("%d %s" % (rnd, w[0])).shuffle(order)
                for k in order:
                    res = run_once(setups[k], sink, w)
                    results.setdefault((w[0], k), []).append(res)
                    print("round %d %-30s %-10s %7.1f msgs/s %8.2f ms CPU/msg"
                          % (rnd + 1, w[0], k, res["rate"], res["cpu"]), flush=True)
        rss = {k: peak_rss_kib(setups[k].p.pid) for k in kinds if setups[k].p is not None}
    finally:
        for s in setups.values():
            s.stop()
        sink.stop()
        bench_group_leave()
    load = open("/proc/loadavg").read().split()[:3]
    print("\n%d rounds%s, %d CPUs, load average %s, %s, %s keys in a %s keyring; CPU counted %s"
          % (a.rounds, " (steady)" if a.steady else "", os.cpu_count(), " ".join(load),
             time.strftime("%Y-%m-%d %H:%M"), a.keys, a.keyring,
             "for the bench's processes" if BENCH_GROUP else "for the machine"))
    for e, m in models.items():
        print("floor+%s spends %s's CPU alone: %.2f ms a message, %.2f ms a MiB, "
              "%.2f ms a recipient past the first" % (e, e, *m))
    # "CPU /null": the null milter's machine CPU per message over this
    # one's, the throughput ratio a machine with nothing else to do would
    # show; steadier than the rates on a busy machine.
    print("%-30s %-10s %22s %6s %10s %8s %10s %9s"
          % ("workload", "milter", "msgs/s median (min-max)", "/null", "CPU ms/msg", "CPU /null",
             "milter ms", "peak RSS"))
    for w in workloads:
        null = statistics.median(r["rate"] for r in results[(w[0], "null")])
        null_cpu = statistics.median(r["cpu"] for r in results[(w[0], "null")])
        for k in kinds:
            rs = results[(w[0], k)]
            rates = [r["rate"] for r in rs]
            med = statistics.median(rates)
            cpu = statistics.median(r["cpu"] for r in rs)
            print("%-30s %-10s %8.1f (%6.1f-%6.1f) %6.2f %10.2f %8.2f %10.2f %9s"
                  % (w[0], k, med, min(rates), max(rates), med / null, cpu,
                     null_cpu / cpu if cpu > 0 else 0.0,
                     statistics.median(r["mcpu"] for r in rs),
                     "%d MiB" % (rss[k] // 1024) if k in rss else "-"))
    for e in models:
        # Issue 23's yardstick: the floor on e's CPU over cryptmilter on e,
        # machine CPU per message (1.00: as cheap as the floor).
        # Then the median of each round's own ratio (the two kinds' runs of
        # a round are minutes closer in time than the rounds are).
        for floor in ["floor+" + e] + (["floor:" + e] if e in engine_floors else []):
            # Then that median's standard error: this machine's speed
            # changes by half from one tenth of a second to the next
            # (docs/benchmarks.md), so one run of five rounds moves the
            # figures by several hundredths; a median within two of these
            # of a target is not told from it by the run (the ratio of the
            # medians spreads more).
            print("\n%s / %s, CPU per message (then the median of the rounds' own, "
                  "+- its standard error):" % (floor, e))
            for w in workloads:
                line = ratio_line(results, w[0], floor, e)
                if floor.startswith("floor+") and (w[0], e + "@base") in results:
                    line += "   (%s@base %.2f)" % (e, cpu_ratio(results, w[0], floor, e + "@base")[0])
                print(line)
        if (workloads[0][0], "floor2+" + e) in results:
            # The control: two identical milters, whose true ratio is 1.00.
            print("\nfloor2+%s / floor+%s, the control (one milter twice), likewise:" % (e, e))
            for w in workloads:
                print(ratio_line(results, w[0], "floor2+" + e, "floor+" + e))
    one, ten = WORKLOADS[0][0], WORKLOADS[2][0]
    if (one, "null") in results and (ten, "null") in results:
        # Ten recipients against one, both over ten sessions: the rates'
        # ratio, and the machine's CPU per message the other way round.
        print("\nten recipients against one: msgs/s ten/one, CPU ms/msg one/ten")
        for k in kinds:
            r1 = statistics.median(r["rate"] for r in results[(one, k)])
            r10 = statistics.median(r["rate"] for r in results[(ten, k)])
            c1 = statistics.median(r["cpu"] for r in results[(one, k)])
            c10 = statistics.median(r["cpu"] for r in results[(ten, k)])
            print("%-10s %6.2f %6.2f" % (k, r10 / r1, c1 / c10 if c10 > 0 else 0.0))
    if not os.environ.get("CM_TEST_KEEP"):
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
