#!/usr/bin/env python3
"""The cryptmilter daemon driven over the milter protocol as an MTA would:
negotiation, direction, encryption checked by gpg, sq and rnp, refusals with
enhanced status codes, RCPT-time split, several messages per connection."""
import os
import signal
import socket
import struct
import subprocess
import threading

from harness import sender as S
from harness.milterclient import SMFIP_ALL, SMFIP_NOEOH, SMFIP_NR_BODY, SMFIP_NR_CONN, SMFIP_NR_HDR, SMFIP_NR_MAIL, SMFIP_NR_RCPT
from harness.cmtest import (EXPORT, Milter, args, check, check_decrypts_to, check_rfc3156,
                            corpus, run_tests, workdir, write_config)

# Set by main(): nothing runs at import.
BINDIR = None
TMP = None

MILTERS = {}


MILTERS_LOCK = threading.Lock()


def milter(name, **conf):
    """One daemon per configuration, started on first use (from any thread)."""
    with MILTERS_LOCK:
        if name not in MILTERS:
            MILTERS[name] = Milter(BINDIR, TMP, name, **conf)
        return MILTERS[name]


def inbound(name="split"):
    return milter(name, MissingKeyAction=name) if name in ("split", "tempfail", "reject", "pass") \
        else milter(name)


def test_negotiation_asks_for_what_it_uses():
    c = inbound().client()
    check(c.actions & 0x13 == 0x13, "actions %#x lack ADDHDRS/CHGHDRS/CHGBODY" % c.actions)
    check(c.actions & 0x0C == 0, "asks for recipient changes it never makes")
    check(c.leadspc, "HDR_LEADSPC not negotiated")
    c.close()


def test_no_reply_steps_when_offered():
    """Offered every step option, as Postfix and Sendmail do: connect,
    MAIL, headers and body go without a round trip each and end of headers
    is skipped, while RCPT keeps the answer it can refuse with; errors met
    on the way are answered at end of message."""
    c = inbound().client(offer=SMFIP_ALL)
    nr = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_NOEOH
    check(c.protocol & nr == nr, "no-reply steps not taken: %#x" % c.protocol)
    check(not c.protocol & SMFIP_NR_RCPT, "RCPT unanswered: %#x" % c.protocol)
    c.connect()
    message = corpus()[0][1]
    res = c.transaction("s@ext.example", ["alice@example.org", "bob@example.org", "nobody@example.org"],
                        message)
    check([r[0] for r in res["rcpt"]] == [b"c", b"c", b"y"], "rcpt replies %r" % res["rcpt"])
    check(res["reply"][0] in (b"c", b"a"), "eom reply %r" % (res["reply"],))
    check_decrypts_to(check_rfc3156(res["message"], message), message, TMP)
    res = c.transaction("s@ext.example", ["alice@example.org"],
                        b"Subject: x\rcanary shown as body by a CR reader\r\nFrom: a@b\n\nbody\n", qid="QID2")
    c.close()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith("554 5.6.0 "),
          "header error not answered at end of message: %r" % (res["reply"],))
    check(res.get("mods") == [], "message modified")


def test_spool_failing_under_unanswered_body_refused_at_eom():
    """Body chunks have no reply: the spool failing while one is stored
    (its directory gone when the body spills) cannot be answered there, so
    end of message answers it, 452 4.3.1, and nothing of the message is
    changed or passed on."""
    spool = os.path.join(TMP, "spool-gone")
    os.makedirs(spool)
    m = milter("spoolgone", SpoolDir=spool, MemoryBufferSize="4K")
    c = m.client(offer=SMFIP_ALL)
    check(c.protocol & SMFIP_NR_BODY, "body chunks answered: %#x" % c.protocol)
    os.rmdir(spool)
    c.connect()
    res = c.transaction("s@ext.example", ["alice@example.org"],
                        b"Subject: spool\n\n" + b"canary spool line\n" * 4000)
    c.close()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith("452 4.3.1 "),
          "reply %r" % (res["reply"],))
    check(res["mods"] == [], "message modified: %r" % res["mods"][:3])


def test_refuses_mta_without_body_changes():
    import socket
    import struct
    s = socket.socket(socket.AF_UNIX)
    s.connect(inbound().sock)
    s.sendall(struct.pack("!I", 13) + b"O" + struct.pack("!III", 6, 0x11, 0))  # no CHGBODY
    data = b""
    try:
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    check(data[4:5] != b"O", "negotiation accepted without CHGBODY")
    # The refusal ended that connection only: the milter still serves.
    c = inbound().client()
    c.connect()
    res = c.transaction("sender@ext.example", ["alice@example.org"], corpus()[0][1])
    c.close()
    check(res["reply"][0] == b"c" and any(b"encrypted pgp-mime" in d for _, d in res["mods"]),
          "no service after a refused negotiation: %r" % (res["reply"],))


def encrypts(name, message):
    def t():
        c = inbound().client()
        c.connect()
        res = c.transaction("sender@ext.example", ["alice@example.org", "bob@example.org"], message)
        c.close()
        check(res["reply"][0] in (b"c", b"a"), "eom reply %r" % (res["reply"],))
        armor = check_rfc3156(res["message"], message)
        check_decrypts_to(armor, message, TMP)
    return ("milter-encrypt/" + name, t)


def test_outbound_by_client_address():
    c = milter("internal", InternalHosts="192.0.2.0/24").client()
    c.connect(client_addr="192.0.2.7")
    res = c.transaction("alice@example.org", ["nobody@ext.example"], corpus()[0][1])
    c.close()
    check(res["mods"] == [] and res["reply"][0] == b"c", "outbound message was modified")


def test_localhost_is_not_internal_by_default():
    # Postfix's own bounces come from 127.0.0.1: inbound unless configured.
    c = inbound().client()
    c.connect(client_addr="127.0.0.1")
    res = c.transaction("MAILER-DAEMON@gw.example.org", ["alice@example.org"], corpus()[0][1])
    c.close()
    check(res["reply"][0] == b"c" and any(b"encrypted pgp-mime" in d for _, d in res["mods"]),
          "mail from 127.0.0.1 was not encrypted: %r" % (res["mods"][:3],))


def test_outbound_by_auth():
    c = inbound().client()
    c.connect()
    res = c.transaction("alice@example.org", ["x@ext.example"], corpus()[0][1], auth="alice")
    c.close()
    check(res["mods"] == [] and res["reply"] == (b"c", None),
          "authenticated submission: reply %r, mods %r" % (res["reply"], res["mods"][:2]))


def test_outbound_by_daemon():
    m = milter("daemons", OutboundDaemons="submission")
    c = m.client()
    c.connect(daemon="submission")
    res = c.transaction("alice@example.org", ["x@ext.example"], corpus()[0][1])
    c.close()
    check(res["mods"] == [] and res["reply"] == (b"c", None),
          "submission daemon mail: reply %r, mods %r" % (res["reply"], res["mods"][:2]))


def outbound_milter():
    return milter("outbound", OutboundDaemons="submission", GatewayKeys=S.gateway_fpr(),
                  ReplayCache=os.path.join(TMP, "replay"), LocalDomains="example.org")


def test_outbound_decrypts_and_refuses_replay():
    mark = S.canary()
    ent = S.entity_alternative(mark)
    msg = S.pgp_mime(S.sign_encrypt("gpg", ent, TMP))
    for attempt in range(2):
        c = outbound_milter().client()
        c.connect(daemon="submission")
        res = c.transaction("alice@example.org", ["x@ext.example"], msg)
        c.close()
        if attempt == 0:
            check(res["reply"][0] == b"c", "first: reply %r" % (res["reply"],))
            check(S.entity_of(res["message"]) == ent, "decrypted entity differs")
        else:
            check(res["reply"][0] == b"y" and res["reply"][1].startswith("550 5.7.1"),
                  "replay: reply %r" % (res["reply"],))


def test_outbound_unsigned_refused():
    mark = S.canary()
    c = outbound_milter().client()
    c.connect(daemon="submission")
    res = c.transaction("alice@example.org", ["x@ext.example"],
                        S.pgp_mime(S.sign_encrypt("sq", S.entity_text(mark), TMP, signer=None)))
    c.close()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith("550 5.7.1")
          and mark not in res["reply"][1], "unsigned: reply %r" % (res["reply"],))


def test_outbound_local_recipient_split_at_rcpt():
    c = outbound_milter().client()
    c.connect(daemon="submission")
    res = c.envelope("alice@example.org", ["x@ext.example", "bob@example.org"])
    c.abort()
    c.close()
    check(res["rcpt"][0][0] == b"c", "external recipient: %r" % (res["rcpt"][0],))
    check(res["rcpt"][1][0] == b"y" and res["rcpt"][1][1].startswith("452 4.5.3"),
          "local recipient: %r" % (res["rcpt"][1],))


def test_split_defers_other_class():
    c = inbound().client()
    c.connect()
    res = c.transaction("s@ext.example", ["alice@example.org", "nobody@example.org",
                                          "bob@example.org"], corpus()[0][1])
    c.close()
    codes = [r[0] for r in res["rcpt"]]
    check(codes == [b"c", b"y", b"c"], "rcpt replies %r" % res["rcpt"])
    check(res["rcpt"][1][1].startswith("452 4.5.3 "), "split reply %r" % res["rcpt"][1][1])
    check_rfc3156(res["message"], corpus()[0][1])


def test_split_keyless_first():
    c = inbound().client()
    c.connect()
    res = c.transaction("s@ext.example", ["nobody@example.org", "alice@example.org"],
                        corpus()[0][1])
    c.close()
    check([r[0] for r in res["rcpt"]] == [b"c", b"y"], "rcpt replies %r" % res["rcpt"])
    check(b"X-Cryptmilter: skipped no-key\r\n" in res["message"], "no skipped trace")
    check(b"multipart/encrypted" not in res["message"], "keyless copy encrypted")


def refused(name, rcpts, want):
    c = inbound(name).client()
    c.connect()
    res = c.transaction("s@ext.example", rcpts, b"Subject: canary\n\ncanary body\n")
    c.close()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith(want),
          "reply %r, want %s" % (res["reply"], want))
    check(res["mods"] == [], "modifications sent with a refusal")


def test_missing_key_tempfail():
    refused("tempfail", ["alice@example.org", "nobody@example.org"], "451 4.7.4 ")


def test_missing_key_reject():
    refused("reject", ["nobody@example.org"], "554 5.7.4 ")


def test_missing_keyring_tempfails_at_rcpt():
    m = milter("nokeyring", KeyringDir=os.path.join(TMP, "absent"), MissingKeyAction="pass")
    c = m.client()
    c.connect()
    res = c.transaction("s@ext.example", ["alice@example.org"], b"Subject: x\n\ncanary\n")
    c.close()
    check(res["rcpt"][0][0] == b"y" and res["rcpt"][0][1].startswith("451 4.3.0 "),
          "rcpt reply %r" % (res["rcpt"],))


def test_several_messages_and_abort_per_connection():
    # Each message is encrypted to its own recipient only; an aborted
    # transaction leaves nothing behind.
    c = inbound().client()
    c.connect()
    first = c.transaction("s@ext.example", ["alice@example.org"], corpus()[0][1], qid="Q1")
    c.macros(b"M", i="Q2")
    c.step(b"M", b"<s@ext.example>\0")
    c.step(b"R", b"<nobody@example.org>\0")
    c.abort()
    second = c.transaction("s@ext.example", ["bob@example.org"], corpus()[1][1], qid="Q3")
    c.close()
    for res, key, other in ((first, "alice", "bob"), (second, "bob", "alice")):
        armor = check_rfc3156(res["message"], corpus()[0 if key == "alice" else 1][1])
        path = os.path.join(TMP, "only-%s.asc" % key)
        with open(path, "wb") as f:
            f.write(armor)
        ok = subprocess.run(["sq", "decrypt", "--recipient-key",
                             os.path.join(EXPORT, key + ".sec.asc"), path], capture_output=True)
        bad = subprocess.run(["sq", "decrypt", "--recipient-key",
                              os.path.join(EXPORT, other + ".sec.asc"), path], capture_output=True)
        check(ok.returncode == 0, "%s cannot decrypt her message" % key)
        check(bad.returncode != 0, "%s can decrypt %s's message" % (other, key))


def in_parallel(n, fn):
    """fn(0) .. fn(n - 1) in threads at once; each must end within 60 s and
    raise nothing. Start the milter first: milter() is not thread-safe."""
    errors = []

    def one(i):
        try:
            fn(i)
        except Exception as e:  # collected and reported below
            errors.append("%d: %s" % (i, e))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        check(not t.is_alive(), "a session hung")
    check(not errors, "; ".join(sorted(errors)[:5]))


def test_concurrent_connections():
    msg = corpus()[0][1]
    inbound()       # started before the threads

    def one(i):
        c = inbound().client()
        c.connect()
        res = c.transaction("s@ext.example", ["alice@example.org", "bob@example.org"], msg,
                            qid="C%d" % i)
        c.close()
        check_rfc3156(res["message"], msg)
    in_parallel(10, one)


def test_stop_right_after_start_is_clean():
    # The socket exists before libmilter's signal thread does; a SIGTERM in
    # that window must still mean a clean stop (exit 0), not death by signal.
    for i in range(5):
        m = Milter(BINDIR, TMP, "early%d" % i)
        m.stop()


def wait_log(m, text, timeout=10):
    m.wait_log(text, timeout)


def reload_with(m, n, **conf):
    """Rewrite m's file, SIGHUP, and wait for reload number n (or its error)."""
    write_config(m.conf, Socket="local:" + m.sock, **conf)
    m.p.send_signal(signal.SIGHUP)
    wait_log(m, b"reload: configuration %d " % n if n else b"the configuration in use stays")
    check(m.p.poll() is None, "cryptmilter stopped on SIGHUP")


def test_sighup_reloads_without_dropping_connections():
    m = Milter(BINDIR, TMP, "reload", MissingKeyAction="reject")
    msg = b"Subject: reload\n\ncanary body\n"
    c = m.client()
    c.connect()
    r1 = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="R1")
    check(r1["reply"][1].startswith("554 5.7.4 "), "before reload: %r" % (r1["reply"],))

    reload_with(m, 2, MissingKeyAction="pass")
    r2 = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="R2")
    check(r2["reply"] == (b"c", None), "after reload, same connection: %r" % (r2["reply"],))
    check(b"X-Cryptmilter: skipped no-key\r\n" in r2["message"], "not passed under the new file")

    # A bad file is refused and the configuration in use stays.
    with open(m.conf, "a") as f:
        f.write("NoSuchKey yes\n")
    m.p.send_signal(signal.SIGHUP)
    wait_log(m, b'unknown key "NoSuchKey"; the configuration in use stays')
    r3 = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="R3")
    check(r3["reply"] == (b"c", None), "after a bad reload: %r" % (r3["reply"],))

    # A message under way when the file changes ends on the configuration it
    # began with; the next one takes the new file.
    r4 = c.envelope("s@ext.example", ["nobody@example.org"], qid="R4")
    reload_with(m, 3, MissingKeyAction="reject")
    r4 = c.data(r4, msg)
    check(r4["reply"] == (b"c", None), "message under way: %r" % (r4["reply"],))
    r5 = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="R5")
    check(r5["reply"][1].startswith("554 5.7.4 "), "after the second reload: %r" % (r5["reply"],))
    c.close()
    m.stop()        # SIGTERM still stops it, exit 0


def test_reload_refuses_empty_file_and_missing_keyring():
    m = Milter(BINDIR, TMP, "reload-bad", MissingKeyAction="reject")
    msg = b"Subject: reload\n\ncanary body\n"
    try:
        # A file caught while being written: empty. All defaults would
        # turn MissingKeyAction reject into split.
        with open(m.conf, "w"):
            pass
        m.p.send_signal(signal.SIGHUP)
        wait_log(m, b"sets no key at all")
        c = m.client()
        c.connect()
        r = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="E1")
        check(r["reply"][1].startswith("554 5.7.4 "), "after an empty file: %r" % (r["reply"],))
        reload_with(m, 0, MissingKeyAction="pass", KeyringDir=os.path.join(TMP, "no-such-dir"))
        r = c.transaction("s@ext.example", ["nobody@example.org"], msg, qid="E2")
        check(r["reply"][1].startswith("554 5.7.4 "), "after a missing KeyringDir: %r"
              % (r["reply"],))
        c.close()
    finally:
        m.stop()


def test_quoted_recipient_is_encrypted():
    c = inbound().client()
    c.connect()
    res = c.transaction("sender@ext.example", ['"alice"@Example.ORG.', "bob@example.org"],
                        corpus()[0][1])
    c.close()
    check(res["reply"][0] in (b"c", b"a"), "eom reply %r" % (res["reply"],))
    check(b"X-Cryptmilter: encrypted pgp-mime" in res["message"], "quoted recipient in plaintext")


def test_bare_cr_in_header_refused():
    c = inbound().client()
    c.connect()
    res = c.transaction("sender@ext.example", ["alice@example.org"],
                        b"Subject: x\rcanary shown as body by a CR reader\r\nFrom: a@b\n\nbody\n")
    c.close()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith("554 5.6.0 "),
          "reply %r" % (res["reply"],))
    check(res.get("mods") == [], "message modified")


def test_every_log_line_of_a_transaction_has_its_queue_id():
    # Debug level, a keyed and a keyless recipient under split, a key
    # index built for this message: every line it causes names QIDALL7.
    m = Milter(BINDIR, TMP, "qidall", MissingKeyAction="split", LogLevel="debug",
               RecipientDelimiter="+")
    try:
        c = m.client()
        c.connect()
        res = c.transaction("s@ext.example", ["alice+x@example.org", "nobody@example.org"],
                            corpus()[0][1], qid="QIDALL7")
        c.close()
        check(res["reply"][0] == b"c", "reply %r" % (res["reply"],))
        wait_log(m, b"QIDALL7: inbound")
    finally:
        m.stop()
    with open(m.log.name, "rb") as f:
        lines = f.read().decode(errors="replace").splitlines()
    start = next(i for i, l in enumerate(lines) if " starting on " in l)
    stop = next(i for i, l in enumerate(lines) if l.endswith("cryptmilter stopping"))
    body = lines[start + 1:stop]
    check(len(body) >= 4, "too few lines to judge: %r" % body)
    missing = [l for l in body if "QIDALL7" not in l]
    check(missing == [], "log lines without the queue ID: %r" % missing)


def test_log_has_queue_id_and_no_content():
    m = milter("qidlog", MissingKeyAction="split")
    c = m.client()
    c.connect()
    res = c.transaction("sender@ext.example", ["alice@example.org", "bob@example.org"],
                        b"Subject: canary subject\n\nsecret plan canary\n", qid="QIDLOG1")
    c.close()
    check(res["reply"][0] == b"c", "reply %r" % (res["reply"],))
    wait_log(m, b"QIDLOG1: inbound (external) from=<sender@ext.example> nrcpt=2")
    with open(m.log.name, "rb") as f:
        text = f.read()
    check(b"secret plan" not in text and b"canary" not in text, "message content in the log")


# libmilter's socket reads, read ahead (milter/cm_mio.c), under load: many
# sessions at once in libmilter's worker pool, commands sent back to back
# (the no-reply steps), bodies in 65535-byte chunks, transactions aborted
# mid-body, connections dropped mid-command. Every session must get its own
# answers, whole and in time, and the daemon must outlive the bad ones.
# Fewer sessions under valgrind, which runs this suite too.
MIO_SESSIONS = 4 if os.environ.get("CM_TEST_VALGRIND") else 20


def mio_message(i, size):
    line = b"line %d of a message that crosses the read-ahead buffer\n" % i
    return (b"From: s@ext.example\nTo: alice@example.org\nSubject: mio %d\n\n" % i
            + line * (size // len(line) + 1))


def test_mio_sessions_in_parallel_with_no_reply_steps():
    """MIO_SESSIONS sessions (20), three messages each (the last 300 KiB: five 65535-byte
    body chunks), every step that may go unanswered sent back to back."""
    inbound()       # started before the threads

    def one(i):
        c = inbound().client(offer=SMFIP_ALL, timeout=30)
        c.connect()
        for k, size in enumerate((2000, 40000, 300000)):
            m = mio_message(i * 10 + k, size)
            res = c.transaction("s@ext.example", ["alice@example.org"], m, qid="P%dK%d" % (i, k))
            check(res["reply"][0] in (b"c", b"a"), "eom reply %r" % (res["reply"],))
            check_rfc3156(res["message"], m)
        c.close()
    in_parallel(MIO_SESSIONS, one)


def test_mio_aborts_mid_body_then_a_message():
    """A transaction aborted after part of its body, then a whole one on
    the same connection: the second is encrypted as itself."""
    inbound()       # started before the threads

    def one(i):
        c = inbound().client(offer=SMFIP_ALL, timeout=30)
        c.connect()
        res = c.envelope("s@ext.example", ["alice@example.org"], qid="A%d" % i)
        check("reply" not in res, "envelope refused %r" % res)
        c.send(b"L", b"Subject\0 aborted\0")
        c.send(b"B", b"x" * 65535)
        c.send(b"B", b"y" * (i * 997 % 65535 + 1))
        c.abort()
        m = mio_message(i, 70000)
        res = c.transaction("s@ext.example", ["alice@example.org"], m, qid="B%d" % i)
        check(res["reply"][0] in (b"c", b"a"), "eom reply %r" % (res["reply"],))
        check_rfc3156(res["message"], m)
        c.close()
    in_parallel(MIO_SESSIONS // 2, one)


def test_mio_dropped_connections_leave_the_others_whole():
    """Connections closed mid-command (half a length prefix, half a body
    chunk, a huge length) among sessions that complete: those complete,
    and the daemon still answers afterwards."""
    inbound()       # started before the threads
    def bad(i):
        c = inbound().client(offer=SMFIP_ALL, timeout=30)
        c.connect()
        c.envelope("s@ext.example", ["alice@example.org"], qid="D%d" % i)
        kind = i % 3
        if kind == 0:
            c.s.sendall(b"\0\0")
        elif kind == 1:
            c.s.sendall(struct.pack("!I", 60001) + b"B" + b"z" * 30000)
        else:
            c.s.sendall(struct.pack("!I", 0x7ffffff0) + b"B" + b"z" * 100)
        c.s.shutdown(socket.SHUT_RDWR)
        c.s.close()

    def one(i):
        if i % 2:
            bad(i)
            return
        c = inbound().client(offer=SMFIP_ALL, timeout=30)
        c.connect()
        m = mio_message(i, 100000)
        res = c.transaction("s@ext.example", ["alice@example.org"], m, qid="G%d" % i)
        check_rfc3156(res["message"], m)
        c.close()
    in_parallel(MIO_SESSIONS + 10, one)
    m = mio_message(99, 1000)
    check_rfc3156(inbound().send("s@ext.example", ["alice@example.org"], m)["message"], m)


def test_mio_everything_in_one_write():
    """A whole session in one write (what read-ahead takes in at once):
    the answers come back in order for each message."""
    inbound()       # started before the threads

    def one(i):
        c = inbound().client(offer=SMFIP_ALL, timeout=30)
        out = b""
        for k in range(3):
            body = b"body %d %d\r\n" % (i, k)
            for cmd, data in ((b"M", b"<s@ext.example>\0"), (b"R", b"<alice@example.org>\0"),
                              (b"L", b"From\0 s@ext.example\0"), (b"L", b"Subject\0 one write\0"),
                              (b"B", body), (b"E", b"")):
                out += struct.pack("!I", len(data) + 1) + cmd + data
        c.s.sendall(out)
        for k in range(3):
            cmd, data = c.recv()
            check(cmd == b"c", "rcpt %d answered %r" % (k, cmd))
            while True:
                cmd, data = c.recv()
                if cmd not in (b"h", b"m", b"i", b"b", b"p"):
                    break
            check(cmd in (b"c", b"a"), "eom %d answered %r %r" % (k, cmd, data))
        c.close()
    in_parallel(MIO_SESSIONS // 2, one)


def milters_stop_cleanly():
    for m in MILTERS.values():
        m.stop()


def main():
    global BINDIR, TMP
    BINDIR = args().bindir
    TMP = workdir()
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    tests += [encrypts(name, msg) for name, msg in corpus()]
    tests.append(("milters_stop_cleanly", milters_stop_cleanly))
    run_tests(tests)


if __name__ == "__main__":
    main()
