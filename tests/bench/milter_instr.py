#!/usr/bin/env python3
"""milter_instr.py --bindir BUILD/milter [--bindir OTHER/milter ...] - the
instructions one message costs the daemon, counted by callgrind while the
messages of each workload go through the milter protocol one connection at
a time (callgrind_control zeroes the counts before them and dumps after):
unlike CPU time the count does not move with what else the machine runs,
so a change can be judged against its parent on a busy machine (this
machine's perf has no hardware counters). OpenPGPBackend rnp, on a
keyring of its own (bench@example.org, 2bench@ .. 10bench@, as
bench.py's). Also counted: the floor (cryptmilter-nullmilter -r -a,
without -c) and librnp alone (cryptmilter-enginecost, the difference
between N and 2N messages), whose sum stands for bench.py's floor+rnp;
the last column is that sum over the daemon's count. Needs valgrind;
prints figures, asserts nothing."""
import argparse
import glob
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness.cmtest import check, write_config          # noqa: E402
from harness.milterclient import SMFIP_ALL, MilterClient  # noqa: E402

RCPTS = ["bench@example.org"] + ["%dbench@example.org" % i for i in range(2, 11)]
# name, body size, recipients, messages
WORKLOADS = [("10KiB x1 rcpt", 10 * 1024, 1, 20), ("10KiB x10 rcpt", 10 * 1024, 10, 10),
             ("1MiB x1 rcpt", 1024 * 1024, 1, 4)]
OUT = None


def keyring(path):
    os.makedirs(path, mode=0o700)
    env = dict(os.environ, GNUPGHOME=path, LC_ALL="C")
    for a in RCPTS:
        subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                        a, "future-default", "default", "never"], env=env, check=True)
    subprocess.run(["gpgconf", "--kill", "all"], env=env)


def message(size):
    line = b"The quick brown fox jumps over the lazy dog, again and again. 0123456789\n"
    body = (line * (size // len(line) + 1))[:size]
    return b"From: a@ext.example\nTo: bench@example.org\nSubject: bench\n\n" + body


def send(sock, rcpts, msg):
    c = MilterClient(sock, offer=SMFIP_ALL)     # what Postfix offers
    c.connect(daemon="smtpd")
    res = c.transaction("a@ext.example", rcpts, msg)
    c.close()
    check(res["reply"][0] in (b"c", b"a"), "refused: %r" % (res["reply"],))


def count(pid, fn):
    """Instructions of pid (all threads) while fn runs, by callgrind."""
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, stdout=subprocess.DEVNULL)
    fn()
    out = subprocess.run(["callgrind_control", "-d", str(pid)], check=True,
                         capture_output=True, text=True).stdout
    time.sleep(0.5)
    dumps = sorted(glob.glob(os.path.join(OUT, "callgrind.out.%d.*" % pid)), key=os.path.getmtime)
    check(dumps, "no callgrind dump: %s" % out)
    for ln in open(dumps[-1]):
        if ln.startswith(("summary:", "totals:")):
            return int(ln.split()[1])
    raise RuntimeError("no totals in " + dumps[-1])


def start(cmd, name):
    """cmd under callgrind, collecting from the start (zeroed per workload)."""
    return subprocess.Popen(["valgrind", "--tool=callgrind", "--quiet", "--compress-strings=no",
                             "--callgrind-out-file=" + os.path.join(OUT, "callgrind.out.%p")]
                            + cmd, stdout=open(os.path.join(OUT, name + ".log"), "wb"),
                            stderr=subprocess.STDOUT)


def ready(p, sock):
    for _ in range(600):
        check(p.poll() is None, "exited with %s" % p.returncode)
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            s.close()
            return
        except OSError:
            s.close()
            time.sleep(0.1)
    raise RuntimeError("no socket " + sock)


def engine(bindir, kr, size, nr, n):
    """librnp's instructions a message in cryptmilter-enginecost."""
    tool = os.path.join(bindir, "..", "tests", "cryptmilter-enginecost")
    ir = []
    for k in (n, 2 * n):
        out = os.path.join(OUT, "engine.%d" % k)
        subprocess.run(["valgrind", "--tool=callgrind", "--quiet", "--callgrind-out-file=" + out,
                        tool, "rnp", kr, str(size), str(k)] + RCPTS[:nr],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ir.append(next(int(ln.split()[1]) for ln in open(out)
                       if ln.startswith(("summary:", "totals:"))))
    return (ir[1] - ir[0]) / n


def run(label, pid, sock, floor=None):
    res = {}
    for name, size, nr, n in WORKLOADS:
        msg = message(size)
        send(sock, RCPTS[:nr], msg)     # warm up
        ir = count(pid, lambda: [send(sock, RCPTS[:nr], msg) for _ in range(n)]) / n
        res[name] = ir
        ratio = "  (floor+rnp)/this %.3f" % (floor[name] / ir) if floor else ""
        print("%-28s %-16s %9.3f M instructions a message%s" % (label, name, ir / 1e6, ratio),
              flush=True)
    return res


def main():
    global OUT
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", action="append", required=True)
    a = p.parse_args()
    OUT = tempfile.mkdtemp(prefix="instr-")
    kr = os.path.join(OUT, "gnupg")
    keyring(kr)
    sock = os.path.join(OUT, "floor.sock")
    fl = start([os.path.join(a.bindir[0], "..", "tests", "cryptmilter-nullmilter"), "-r", "-a",
                "local:" + sock], "floor")
    try:
        ready(fl, sock)
        floor = run("floor", fl.pid, sock)
    finally:
        fl.terminate()
        fl.wait()
    for name, size, nr, n in WORKLOADS:
        e = engine(a.bindir[0], kr, size, nr, max(n // 2, 2))
        print("%-28s %-16s %9.3f M instructions a message" % ("librnp alone", name, e / 1e6),
              flush=True)
        floor[name] += e
    for i, b in enumerate(a.bindir):
        sock = os.path.join(OUT, "m%d.sock" % i)
        conf = write_config(os.path.join(OUT, "m%d.conf" % i), Socket="local:" + sock,
                            KeyringDir=kr, OpenPGPBackend="rnp", MissingKeyAction="tempfail",
                            SpoolDir=OUT, MemoryBufferSize="1M")
        m = start([os.path.join(b, "cryptmilter"), "-f", "-c", conf], "m%d" % i)
        try:
            ready(m, sock)
            run(b, m.pid, sock, floor)
        finally:
            m.terminate()
            m.wait()


if __name__ == "__main__":
    main()
