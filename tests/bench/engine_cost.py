#!/usr/bin/env python3
"""engine_cost.py --build BUILD [--engines rnp,gpgme] [--rounds 5] - what
each OpenPGP engine alone costs per message, with no MTA, milter protocol
or MIME around it: the floor under bench.py's ratios. Runs
cryptmilter-enginecost (tests/bench/engine_cost.c) on a keyring made as
bench.py makes its own (ten recipients, gpg's default key algorithm, a
pubring.gpg), one message at a time, and prints the medians over the
rounds of the machine's CPU per message (gpg's processes included) and
the cost of each recipient past the first. Run it on an idle machine, as
root (like bench.py). Asserts nothing about speed."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import bench                                            # noqa: E402
from harness import mta                                 # noqa: E402

RCPTS = ["bench@example.org"] + ["%dbench@example.org" % i for i in range(2, 11)]
# (name, bytes, recipients, messages a round)
CASES = [("10KiB x1 rcpt", 10240, 1, 200), ("10KiB x10 rcpt", 10240, 10, 100),
         ("1MiB x1 rcpt", 1 << 20, 1, 20)]
LINE = re.compile(r"wall ([0-9.]+) ms, process CPU ([0-9.]+) ms, machine CPU ([0-9.]+) ms")


def run(tool, engine, keyring, size, nrcpt, n):
    out = subprocess.run([tool, engine, keyring, str(size), str(n)] + RCPTS[:nrcpt],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    m = LINE.search(out)
    if not m:
        raise SystemExit("cryptmilter-enginecost said %r" % out)
    return [float(x) for x in m.groups()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--engines", default="rnp,gpgme")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keys", default="future-default", metavar="ALGO")
    a = ap.parse_args()
    tool = os.path.join(os.path.abspath(a.build), "tests", "cryptmilter-enginecost")
    base = mta.workdir()
    mta.ensure_user("cryptmilter", "postfix")
    keyring = os.path.join(base, "keyring")
    bench.make_keyring(keyring, a.keys, "gpg")
    engines = [e for e in a.engines.split(",") if e]
    res = {(e, c[0]): [] for e in engines for c in CASES}
    try:
        for _ in range(a.rounds):
            for e in engines:
                for name, size, nrcpt, n in CASES:
                    res[(e, name)].append(run(tool, e, keyring, size, nrcpt, n))
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=keyring))
        if not os.environ.get("CM_TEST_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    print("%d rounds, %d CPUs, load average %s, %s keys, one message at a time"
          % (a.rounds, os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg()), a.keys))
    print("%-8s %-16s %10s %12s %12s" % ("engine", "case", "wall ms", "process ms", "machine ms"))
    for e in engines:
        med = {}
        for name, _, _, _ in CASES:
            cols = [statistics.median(r[i] for r in res[(e, name)]) for i in range(3)]
            med[name] = cols
            print("%-8s %-16s %10.2f %12.2f %12.2f" % (e, name, *cols))
        print("%-8s %-16s %36.2f" % (e, "each rcpt past 1",
                                     (med["10KiB x10 rcpt"][2] - med["10KiB x1 rcpt"][2]) / 9))


if __name__ == "__main__":
    main()
