#!/usr/bin/env python3
"""The replay cache shared in PostgreSQL (ReplayCache postgresql://...):
two daemons (ReplayNode a and b) on one server of the test's own, driven
over the milter protocol. A signed message passes once across both, a store
that stops or stalls defers (451) and never lets the plaintext out, and the
epoch guard refuses what a reinitialised store cannot vouch for."""
import os
import subprocess
import threading
import time

from harness import sender as S
from harness.cmtest import Milter, args, check, corpus, run_tests, workdir
from harness.pgserver import Cluster

BINDIR = None
TMP = None
PG = None
NODES = {}
TIMEOUT = 2.0       # ReplayTimeout


def node(name):
    if name not in NODES:
        NODES[name] = Milter(BINDIR, TMP, name, OutboundDaemons="submission",
                             GatewayKeys=S.gateway_fpr(), ReplayCache=PG.uri, ReplayNode=name,
                             ReplayTimeout="%ds" % TIMEOUT, LocalDomains="example.org")
    return NODES[name]


def outbound(name, msg, qid):
    c = node(name).client()
    try:
        c.connect(daemon="submission")
        return c.transaction("alice@example.org", ["x@ext.example"], msg, qid=qid)
    finally:
        c.close()


def signed(mark, faked_time=None):
    ent = S.entity_text(mark)
    return ent, S.pgp_mime(S.sign_encrypt("gpg", ent, TMP, faked_time=faked_time))


def passed(res, ent):
    return res["reply"][0] == b"c" and S.entity_of(res["message"]) == ent


def code(res):
    r = res["reply"]
    return r[1][:9] if r[0] == b"y" and r[1] else r[0].decode()


def replay_init(conf):
    p = subprocess.run([os.path.join(BINDIR, "cryptmilter"), "--replay-init", "-c", conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(p.returncode == 0, "--replay-init: %s" % p.stdout.decode(errors="replace"))


def stop_all(milters):
    """Stop daemons together: libmilter takes a few seconds to return."""
    milters = list(milters)
    for m in milters:
        m.p.terminate()
    for m in milters:
        m.stop()


def burst(jobs):
    """Run (node, message, qid) at once; their results in order."""
    out = [None] * len(jobs)
    gate = threading.Barrier(len(jobs))

    def one(i, job):
        gate.wait()
        try:
            out[i] = outbound(*job)
        except Exception as e:  # a broken session is a failure of its own
            out[i] = {"reply": (b"error", str(e))}
    threads = [threading.Thread(target=one, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_1_each_message_passes_once_across_both_nodes():
    """Issue 26's case 1: 50 signed messages, each sent 8 times at once
    across both daemons: exactly 50 pass, 350 are refused. Five messages'
    40 copies go at once (a burst), ten bursts."""
    n, copies, per_burst = 50, 8, 5
    msgs = [signed(S.canary()) for _ in range(n)]
    jobs = [("ab"[k % 2], msgs[i][1], "Q1-%d-%d" % (i, k)) for i in range(n)
            for k in range(copies)]
    res = []
    for b in range(0, len(jobs), per_burst * copies):
        res += burst(jobs[b:b + per_burst * copies])
    for i in range(n):
        mine = res[i * copies:(i + 1) * copies]
        ok = [r for r in mine if passed(r, msgs[i][0])]
        refused = [r for r in mine if code(r) == "550 5.7.1"]
        check(len(ok) == 1 and len(refused) == copies - 1,
              "message %d: %d passed, replies %r" % (i, len(ok), [code(r) for r in mine]))
    owners = PG.psql("SELECT owner FROM cryptmilter_replay WHERE owner LIKE '_:Q1-%'")
    check(len(owners) == n, "%d rows for %d messages" % (len(owners), n))


def test_2_store_killed_during_a_burst():
    n = 16
    msgs = [signed(S.canary()) for _ in range(n)]
    jobs = [("ab"[i % 2], msgs[i][1], "Q2-%d" % i) for i in range(n)]
    killer = threading.Timer(0.3, PG.stop, args=("immediate",))
    killer.start()
    res = burst(jobs)
    killer.join()
    # -n with the store down: a loud warning, not a mistake (the unit's
    # ExecStartPre must not keep a gateway, and its inbound mail, down).
    p = subprocess.run([os.path.join(BINDIR, "cryptmilter"), "-n", "-c", node("a").conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(p.returncode == 0 and b"WARNING" in p.stdout and b"deferred (451)" in p.stdout,
          "-n with the store down: %d %s" % (p.returncode, p.stdout.decode(errors="replace")[-400:]))
    PG.start()
    PG.wait_ready()
    rows = {r[0].split(":")[1] for r in PG.psql(
        "SELECT owner FROM cryptmilter_replay WHERE owner LIKE '_:Q2-%'")}
    deferred = []
    for i, r in enumerate(res):
        if r["reply"][0] == b"c":
            check(passed(r, msgs[i][0]), "message %d: a pass without its entity" % i)
            check("Q2-%d" % i in rows, "message %d passed but its row is gone" % i)
        else:
            check(code(r) in ("550 5.7.1", "451 4.3.0"), "message %d: %r" % (i, r["reply"]))
            check(b"CANARY-" not in r.get("replaced", b""),
                  "message %d: plaintext in a refusal" % i)
            if code(r) == "451 4.3.0":
                deferred.append(i)
    # Resent, each deferred message passes at most once.
    again = burst([("ab"[k], msgs[i][1], "Q2r-%d-%d" % (i, k)) for i in deferred for k in (0, 1)])
    for j, i in enumerate(deferred):
        check(sum(passed(r, msgs[i][0]) for r in again[2 * j:2 * j + 2]) <= 1,
              "deferred message %d passed twice" % i)
    print("       burst: %d passed, %d deferred" % (sum(r["reply"][0] == b"c" for r in res),
                                                    len(deferred)), flush=True)


def test_3_slow_store_defers_in_time_inbound_unaffected():
    # What an outbound message takes here with the store answering: the
    # stalled one may take ReplayTimeout longer, no more (the decryption
    # before the check is gpg-agent's, and slow on a loaded machine).
    ent0, msg0 = signed(S.canary())
    t0 = time.monotonic()
    res0 = outbound("b", msg0, "Q3-0")
    base = time.monotonic() - t0
    check(passed(res0, ent0), "before the stall: %r" % (res0["reply"],))
    ent, msg = signed(S.canary())
    lock = PG.session("BEGIN;", "LOCK TABLE cryptmilter_replay IN ACCESS EXCLUSIVE MODE;")
    inbound = {}

    def encrypt_inbound():
        c = node("a").client()
        c.connect()
        inbound["res"] = c.transaction("s@ext.example", ["alice@example.org"], corpus()[0][1])
        c.close()
        inbound["end"] = time.monotonic()
    try:
        t = threading.Thread(target=encrypt_inbound)
        t0 = time.monotonic()
        t.start()
        res = outbound("b", msg, "Q3-1")
        took = time.monotonic() - t0
        t.join(30)
    finally:
        released = time.monotonic()
        lock.stdin.close()
        lock.wait(10)
    check(code(res) == "451 4.3.0", "slow store: %r" % (res["reply"],))
    check(took < base + TIMEOUT + 1.0,
          "slow store answered in %.2f s (%.2f s unstalled)" % (took, base))
    # Inbound never touches the store: it is done while the lock still holds.
    check(inbound["res"]["reply"][0] == b"c"
          and b"multipart/encrypted" in inbound["res"]["message"] and inbound["end"] < released,
          "inbound during the stall: %r, done %.2f s after the lock was released"
          % (inbound["res"]["reply"], inbound["end"] - released))
    # Nothing was recorded: once the store is back the message passes, once.
    first, second = outbound("b", msg, "Q3-2"), outbound("a", msg, "Q3-3")
    check(passed(first, ent) and code(second) == "550 5.7.1",
          "after the stall: %r, %r" % (first["reply"], second["reply"]))


def test_4_failover_to_a_synchronous_standby():
    """A primary with a synchronous standby, the daemons given both
    (target_session_attrs=read-write): after the primary dies and the
    standby is promoted, every message accepted before is refused."""
    primary = Cluster()
    standby = None
    try:
        standby = Cluster(standby_of=primary)
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.psql("SELECT pg_reload_conf()")
        uri = ("postgresql://postgres@127.0.0.1:%d,127.0.0.1:%d/postgres"
               "?target_session_attrs=read-write" % (primary.port, standby.port))
        pair = [Milter(BINDIR, TMP, "f" + n, OutboundDaemons="submission",
                       GatewayKeys=S.gateway_fpr(), ReplayCache=uri, ReplayNode="f" + n,
                       ReplayTimeout="%ds" % TIMEOUT) for n in "ab"]
        try:
            replay_init(pair[0].conf)
            p = subprocess.run([os.path.join(BINDIR, "cryptmilter"), "-n", "-c", pair[0].conf],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            check(p.returncode == 0 and b"synchronous_standby_names" not in p.stdout,
                  "-n with a synchronous standby: %s" % p.stdout.decode(errors="replace")[-400:])
            msgs = [signed(S.canary()) for _ in range(6)]
            for i, (ent, msg) in enumerate(msgs):
                c = pair[i % 2].client()
                c.connect(daemon="submission")
                res = c.transaction("alice@example.org", ["x@ext.example"], msg, qid="Q4-%d" % i)
                c.close()
                check(passed(res, ent), "before failover, message %d: %r" % (i, res["reply"]))
            primary.stop("immediate")
            standby.promote()
            for i, (ent, msg) in enumerate(msgs):
                c = pair[(i + 1) % 2].client()
                c.connect(daemon="submission")
                res = c.transaction("alice@example.org", ["x@ext.example"], msg, qid="Q4r-%d" % i)
                c.close()
                check(code(res) == "550 5.7.1", "replayed after failover, message %d: %r"
                      % (i, res["reply"]))
        finally:
            stop_all(pair)
    finally:
        if standby is not None:
            standby.destroy()
        primary.destroy()


def test_5_epoch_after_the_schema_is_recreated():
    ago = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() - 120))
    old_ent, old = signed(S.canary(), faked_time=ago)
    PG.psql("DROP TABLE cryptmilter_replay, cryptmilter_replay_meta")
    res = outbound("a", old, "Q5-1")
    check(code(res) == "451 4.3.0", "no schema: %r" % (res["reply"],))
    p = subprocess.run([os.path.join(BINDIR, "cryptmilter"), "-n", "-c", node("a").conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(p.returncode == 78 and b"--replay-init" in p.stdout, "-n without schema: %d %s"
          % (p.returncode, p.stdout.decode(errors="replace")[-400:]))
    replay_init(node("a").conf)
    res = outbound("b", old, "Q5-2")
    check(code(res) == "550 5.7.1", "pre-epoch signature: %r" % (res["reply"],))
    ent, fresh = signed(S.canary())
    check(passed(outbound("a", fresh, "Q5-3"), ent), "a signature after the epoch is refused")
    p = subprocess.run([os.path.join(BINDIR, "cryptmilter"), "-n", "-c", node("a").conf],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(p.returncode == 0 and b"synchronous_standby_names is empty" in p.stdout,
          "-n on an initialised store: %d %s" % (p.returncode,
                                                  p.stdout.decode(errors="replace")[-400:]))


def main():
    global BINDIR, TMP, PG
    BINDIR = args().bindir
    TMP = workdir()
    PG = Cluster()
    try:
        replay_init(node("a").conf)
        node("b")
        run_tests([(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")])
    finally:
        stop_all(NODES.values())
        PG.destroy()


if __name__ == "__main__":
    main()
