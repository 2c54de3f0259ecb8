#!/usr/bin/env python3
"""milter_cost.py --bindir BUILD/milter [--n N] - what one message costs the
daemon, inbound (encrypt to one recipient) next to outbound (decrypt,
verify the sender's signature, record it in the replay cache), measured
over the milter protocol from MAIL to the end-of-message answer, one
connection at a time, so MTA and network costs are left out. With
--postgresql, outbound also with the replay cache in a PostgreSQL server
of its own on loopback (harness/pgserver.py; run as root), next to LMDB.

Needs the keyring fixture (ctest's keyring_setup): run it from the build
directory with CM_TEST_KEYRING, GNUPGHOME and CM_TEST_TMP set as ctest
sets them. Prints figures; asserts nothing about speed."""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import sender as S                             # noqa: E402
from harness.cmtest import Milter, check, corpus, workdir   # noqa: E402
from harness.pgserver import Cluster                        # noqa: E402


def timed(m, sender, rcpt, msg, daemon):
    c = m.client()
    c.connect(daemon=daemon)
    t0 = time.perf_counter()
    res = c.transaction(sender, [rcpt], msg)
    dt = time.perf_counter() - t0
    c.close()
    check(res["reply"][0] in (b"c", b"a"), "refused: %r" % (res["reply"],))
    return dt


def report(name, times):
    ms = sorted(t * 1000 for t in times)
    print("%-34s n=%-4d median %7.1f ms   p90 %7.1f ms   mean %7.1f ms"
          % (name, len(ms), statistics.median(ms), ms[int(len(ms) * 0.9) - 1], statistics.mean(ms)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", required=True)
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--postgresql", action="store_true")
    a = p.parse_args()
    tmp = workdir()
    m = Milter(a.bindir, tmp, "bench", OutboundDaemons="submission", LogLevel="warning",
               GatewayKeys=S.gateway_fpr(), ReplayCache=os.path.join(tmp, "replay"))
    try:
        plain = corpus()[0][1]
        timed(m, "a@ext.example", "alice@example.org", plain, "smtpd")      # warm the index
        inbound = [timed(m, "a@ext.example", "alice@example.org", plain, "smtpd")
                   for _ in range(a.n)]
        # Each outbound message is signed anew (the replay cache would
        # refuse a repeat); making them is not timed.
        msgs = [S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(S.canary()), tmp))
                for _ in range(a.n)]
        outbound = [timed(m, "alice@example.org", "x@ext.example", msg, "submission")
                    for msg in msgs]
        shared = postgresql(a, tmp) if a.postgresql else None
        print("cryptmilter daemon, one connection at a time, %s" % time.strftime("%Y-%m-%d"))
        report("inbound: encrypt (1 recipient)", inbound)
        report("outbound: decrypt + verify + replay", outbound)
        if shared:
            report("outbound, replay in PostgreSQL", shared)
    finally:
        m.stop()


def postgresql(a, tmp):
    """The outbound figures with ReplayCache on a loopback PostgreSQL."""
    pg = Cluster()
    try:
        m = Milter(a.bindir, tmp, "benchpg", OutboundDaemons="submission", LogLevel="warning",
                   GatewayKeys=S.gateway_fpr(), ReplayCache=pg.uri, ReplayNode="bench")
        try:
            init = subprocess.run([os.path.join(a.bindir, "cryptmilter"), "--replay-init", "-c",
                                   m.conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            check(init.returncode == 0, "--replay-init: %r" % init.stdout)
            msgs = [S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(S.canary()), tmp))
                    for _ in range(a.n + 1)]
            timed(m, "alice@example.org", "x@ext.example", msgs.pop(), "submission")  # connect
            return [timed(m, "alice@example.org", "x@ext.example", msg, "submission")
                    for msg in msgs]
        finally:
            m.stop()
    finally:
        pg.destroy()


if __name__ == "__main__":
    main()
