#!/usr/bin/env python3
"""The replay cache shared in PostgreSQL (ReplayCache postgresql://...):
two daemons (ReplayNode a and b) on one server of the test's own, driven
over the milter protocol. A signed message passes once across both, a store
that stops or stalls defers (451) and never lets the plaintext out, and the
epoch guard refuses what a reinitialised store cannot vouch for."""
import os
import socket
import subprocess
import threading
import time

from harness import sender as S
from harness.cmtest import Milter, args, check, corpus, run_tests, workdir, write_config
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


def submit(m, msg, qid):
    """msg from alice@example.org to an external recipient, submitted to
    daemon m on a connection of its own; its result."""
    return m.send("alice@example.org", ["x@ext.example"], msg, qid=qid, daemon="submission")


def outbound(name, msg, qid):
    return submit(node(name), msg, qid)


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
    # stalled one may take ReplayTimeout + 0.5 s longer, no more (the
    # decryption before the check is gpg-agent's, slow on a loaded machine).
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
    check(took - base < TIMEOUT + 0.5,
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


def test_6_read_only_server_defers_then_the_writable_one_is_used():
    """A server that turns read-only behind the daemon's pooled connections
    (a demoted primary): 451, never 550 nor a pass; the connection that
    met it is not kept, so the next check reaches the writable host of the
    URI (target_session_attrs=read-write)."""
    other = Cluster()
    m = None
    try:
        replay_init(write_config(os.path.join(TMP, "other.conf"), GatewayKeys=S.gateway_fpr(),
                                 ReplayCache=other.uri))
        uri = ("postgresql://postgres@127.0.0.1:%d,127.0.0.1:%d/postgres"
               "?target_session_attrs=read-write" % (PG.port, other.port))
        m = Milter(BINDIR, TMP, "ro", OutboundDaemons="submission", GatewayKeys=S.gateway_fpr(),
                   ReplayCache=uri, ReplayNode="ro", ReplayTimeout="%ds" % TIMEOUT)
        first, second = signed(S.canary()), signed(S.canary())
        check(passed(submit(m, first[1], "Q6-1"), first[0]), "the writable primary refused")
        PG.psql("ALTER SYSTEM SET default_transaction_read_only = on")
        PG.psql("SELECT pg_reload_conf()")
        time.sleep(0.5)     # the pooled session reads the file at its next command
        res = submit(m, second[1], "Q6-2")
        check(code(res) == "451 4.3.0", "read-only server: %r" % (res["reply"],))
        m.wait_log(b"read-only transaction")
        res = submit(m, second[1], "Q6-3")
        check(passed(res, second[0]), "the writable host was not used: %r" % (res["reply"],))
        check(not PG.psql("SELECT 1 FROM cryptmilter_replay WHERE owner LIKE 'ro:Q6-2:%'"),
              "a read-only server recorded the signature")
    finally:
        PG.psql("ALTER SYSTEM RESET default_transaction_read_only")
        PG.psql("SELECT pg_reload_conf()")
        if m is not None:
            stop_all([m])
        other.destroy()


class Blackhole:
    """A TCP relay to a server that turns, on hole.set(), into a black
    hole: connections stay open, everything sent is read and dropped,
    nothing is answered (a hung server, a path that drops packets)."""

    def __init__(self, port):
        self.target, self.hole, self.conns = port, threading.Event(), []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.hole.is_set():
                threading.Thread(target=self._pipe, args=(c, None), daemon=True).start()
                continue
            u = socket.create_connection(("127.0.0.1", self.target))
            self.conns.append(u)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    if b is not None:
                        b.shutdown(socket.SHUT_WR)
                    return
                if b is not None and not self.hole.is_set():
                    b.sendall(d)
        except OSError:
            return

    def close(self):
        for c in [self.sock] + self.conns:
            c.close()


def test_7_unresponsive_store_answers_within_the_timeout():
    """A server that takes the statement and never answers: 451 within
    ReplayTimeout + 0.5 s. The cancel request (PQcancel waits for the server
    to close, with no limit of its own) must not hold the check."""
    hole = Blackhole(PG.port)
    m = None
    try:
        m = Milter(BINDIR, TMP, "bh", OutboundDaemons="submission", GatewayKeys=S.gateway_fpr(),
                   ReplayCache="postgresql://postgres@127.0.0.1:%d/postgres" % hole.port,
                   ReplayNode="bh", ReplayTimeout="%ds" % TIMEOUT)
        out = {}

        def send(msg, qid):
            t0 = time.monotonic()
            out[qid] = submit(m, msg, qid)
            out[qid]["took"] = time.monotonic() - t0
        first, second = signed(S.canary()), signed(S.canary())
        send(first[1], "Q7-1")
        check(passed(out["Q7-1"], first[0]), "through the relay: %r" % (out["Q7-1"]["reply"],))
        hole.hole.set()
        for qid in ("Q7-2", "Q7-3"):    # on the pooled connection, then a new one
            t = threading.Thread(target=send, args=(second[1], qid), daemon=True)
            t.start()
            t.join(TIMEOUT + 10)
            check(qid in out, "%s: no answer %.0f s after the timeout" % (qid, 10))
            check(code(out[qid]) == "451 4.3.0" and out[qid]["took"] < TIMEOUT + 0.5,
                  "%s: %r in %.2f s" % (qid, out[qid]["reply"], out[qid]["took"]))
        m.wait_log(b"timed out")
    finally:
        hole.close()
        if m is not None:
            stop_all([m])


def test_8_store_down_connects_are_spaced():
    """With the server down, the checks of a burst do not each open a
    connection: one at a time tries, spaced (100 ms doubling to 1 s); all
    are 451. Once it is back the next message passes."""
    m = Milter(BINDIR, TMP, "storm", OutboundDaemons="submission", GatewayKeys=S.gateway_fpr(),
               ReplayCache=PG.uri, ReplayNode="storm", ReplayTimeout="%ds" % TIMEOUT)
    try:
        PG.stop("immediate")
        ent, msg = signed(S.canary())

        def send(qid):
            return submit(m, msg, qid)
        t0 = time.monotonic()
        check(code(send("Q8-0")) == "451 4.3.0", "store down: not 451")
        n = 12
        out = [None] * n
        gate = threading.Barrier(n)

        def one(i):
            gate.wait()
            out[i] = send("Q8-%d" % (i + 1))
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        span = time.monotonic() - t0
        check(all(r is not None and code(r) == "451 4.3.0" for r in out),
              "burst with the store down: %r" % ([r and code(r) for r in out],))
        with open(m.log.name, "rb") as f:
            tries = f.read().count(b"ReplayCache: cannot connect")
        # The first message, then at most one probe per pause (100, 200,
        # 400, 800 ms, then 1 s) within the time the messages took (the
        # decryptions before the checks stretch it on a loaded machine),
        # and one more for a pause that ended as the last check began;
        # each check used to try on its own (13).
        allowed, pause, spent = 1, 0.1, 0.1
        while spent <= span:
            allowed += 1
            pause = min(pause * 2, 1.0)
            spent += pause
        allowed += 1
        check(tries <= min(allowed, n), "%d connects for %d checks in %.1f s (at most %d)"
              % (tries, n + 1, span, min(allowed, n)))
        print("       store down: %d connects for %d checks in %.1f s" % (tries, n + 1, span),
              flush=True)
        PG.start()
        PG.wait_ready()
        check(passed(send("Q8-back"), ent), "the store is back, the message deferred")
    finally:
        stop_all([m])


def test_9_read_back_does_not_vouch_for_an_unreplicated_row():
    """The insert is sent, commits on the primary, and its session is
    ended while the commit waits for the synchronous standby (here: none
    answers). The row is visible, but a failover would lose it: the
    read-back must not pass on it (451), only on a row the standby has."""
    solo = Cluster()
    m = None
    try:
        conf = write_config(os.path.join(TMP, "solo.conf"), GatewayKeys=S.gateway_fpr(),
                            ReplayCache=solo.uri)
        replay_init(conf)
        solo.psql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
        solo.psql("SELECT pg_reload_conf()")
        m = Milter(BINDIR, TMP, "solo", OutboundDaemons="submission", GatewayKeys=S.gateway_fpr(),
                   ReplayCache=solo.uri, ReplayNode="solo", ReplayTimeout="%ds" % TIMEOUT)
        ent, msg = signed(S.canary())
        out = {}

        def send():
            out["res"] = submit(m, msg, "Q9")
        t = threading.Thread(target=send, daemon=True)
        t.start()
        killed = []
        end = time.monotonic() + TIMEOUT
        while not killed and time.monotonic() < end:
            killed = solo.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                               "application_name = 'cryptmilter' AND wait_event = 'SyncRep'")
            time.sleep(0.05)
        t.join(TIMEOUT + 10)
        check(killed, "the insert never waited for the standby")
        check(solo.psql("SELECT owner FROM cryptmilter_replay WHERE owner LIKE 'solo:Q9:%'"),
              "the insert did not commit on the primary")
        check("res" in out and code(out["res"]) == "451 4.3.0",
              "a row only the primary has: %r" % (out.get("res", {}).get("reply"),))
        m.wait_log(b"reading the row back")
    finally:
        if m is not None:
            stop_all([m])
        solo.destroy()


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
