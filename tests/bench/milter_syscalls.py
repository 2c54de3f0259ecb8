#!/usr/bin/env python3
"""milter_syscalls.py --bindir BUILD/milter [--bindir OTHER/milter ...] - the
system calls one message costs the daemon and the floor
(cryptmilter-nullmilter -r -a), counted by `strace -f -c` attached to the
running process while the messages of each workload go through the milter
protocol one connection at a time (as milter_instr.py sends them), and the
process's utime+stime and minor page faults over them from /proc/PID/stat.
Counts do not move much with what else the machine runs, so they can be
compared on a busy machine; the times can not. poll, futex and
restart_syscall vary with the scheduling (libmilter's poll thread, its
workers' hand-offs): the second figure leaves them out. Same keyring and
workloads as milter_instr.py; --sessions N sends over N connections at
once (libmilter then starts and ends worker threads: clone3, and madvise
of each ended thread's stack). Needs strace; prints figures, asserts
nothing. With --calls, also prints each workload's calls by name (per
message)."""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milter_instr as mi                                 # noqa: E402
from harness.cmtest import write_config                  # noqa: E402

# name, body size, recipients, messages
WORKLOADS = [("10KiB x1 rcpt", 10 * 1024, 1, 200), ("10KiB x10 rcpt", 10 * 1024, 10, 100),
             ("1MiB x1 rcpt", 1024 * 1024, 1, 40)]


VARIES = ("poll", "futex", "restart_syscall")


def cputicks(pid):
    """utime, stime (clock ticks) and minor faults of pid (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12]), int(fields[7])


def sends(sock, rcpts, msg, n, sessions):
    """n messages over sessions connections at once."""
    def worker(k):
        for _ in range(k):
            mi.send(sock, rcpts, msg)
    ts = [threading.Thread(target=worker, args=(n // sessions,)) for _ in range(sessions)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def strace_count(pid, fn, out):
    """Calls by name of pid (all threads) while fn runs."""
    st = subprocess.Popen(["strace", "-f", "-c", "-U", "name,calls,errors", "-o", out,
                           "-p", str(pid)], stderr=subprocess.DEVNULL)
    time.sleep(1.0)             # attached to every thread
    fn()
    time.sleep(0.2)
    st.send_signal(signal.SIGINT)
    st.wait()
    calls = {}
    for ln in open(out):
        f = ln.split()
        if len(f) >= 2 and f[1].isdigit() and not ln.startswith(("-", "syscall", "total")):
            calls[f[0]] = int(f[1])
    return calls


def run(label, pid, sock, show, sessions):
    tick = os.sysconf("SC_CLK_TCK")
    for name, size, nr, n in WORKLOADS:
        msg = mi.message(size)
        rc = mi.RCPTS[:nr]
        n -= n % sessions
        sends(sock, rc, msg, 2 * sessions, sessions)    # warm up
        calls = strace_count(pid, lambda: sends(sock, rc, msg, n, sessions),
                             os.path.join(mi.OUT, "strace.%d" % pid))
        u0, s0, f0 = cputicks(pid)
        sends(sock, rc, msg, n, sessions)
        u1, s1, f1 = cputicks(pid)
        steady = sum(v for k, v in calls.items() if k not in VARIES)
        print("%-28s %-16s %6.1f calls a message (%5.1f without %s), %5.2f minor faults, "
              "user %.2f ms, system %.2f ms" %
              (label, name, sum(calls.values()) / n, steady / n, "/".join(VARIES), (f1 - f0) / n,
               (u1 - u0) * 1e3 / tick / n, (s1 - s0) * 1e3 / tick / n), flush=True)
        if show:
            for k, v in sorted(calls.items(), key=lambda kv: -kv[1]):
                print("    %-20s %8.2f" % (k, v / n))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", action="append", required=True)
    p.add_argument("--calls", action="store_true")
    p.add_argument("--sessions", type=int, default=1)
    a = p.parse_args()
    mi.OUT = tempfile.mkdtemp(prefix="syscalls-")
    kr = os.path.join(mi.OUT, "gnupg")
    mi.keyring(kr)
    sock = os.path.join(mi.OUT, "floor.sock")
    fl = subprocess.Popen([os.path.join(a.bindir[0], "..", "tests", "cryptmilter-nullmilter"), "-r", "-a",
                           "local:" + sock])
    try:
        mi.ready(fl, sock)
        run("floor", fl.pid, sock, a.calls, a.sessions)
    finally:
        fl.terminate()
        fl.wait()
    for i, b in enumerate(a.bindir):
        sock = os.path.join(mi.OUT, "m%d.sock" % i)
        conf = write_config(os.path.join(mi.OUT, "m%d.conf" % i), Socket="local:" + sock,
                            KeyringDir=kr, OpenPGPBackend="rnp", MissingKeyAction="tempfail",
                            SpoolDir=mi.OUT, MemoryBufferSize="1M")
        m = subprocess.Popen([os.path.join(b, "cryptmilter"), "-f", "-c", conf],
                             stdout=open(os.path.join(mi.OUT, "m%d.log" % i), "wb"),
                             stderr=subprocess.STDOUT)
        try:
            mi.ready(m, sock)
            run(b, m.pid, sock, a.calls, a.sessions)
        finally:
            m.terminate()
            m.wait()


if __name__ == "__main__":
    main()
