#!/usr/bin/env python3
"""cryptmilter inside a real, private Postfix (postfix -c DIR) on loopback,
relaying to a local sink that stands in for the cloud mailbox. Mail is sent
with swaks, smtp-source and Python's smtplib; what arrives is checked by an
independent parser and decrypted by gpg, sq and rnp."""
import os
import shutil
import smtplib
import subprocess
import threading
import time

import mta
from cmtest import (EXPORT, GNUPGHOME, Failure, Milter, args, check, check_decrypts_to,
                    check_rfc3156, corpus, crlf, gpg_encrypt, run_tests, split_message)
from milterproxy import MilterProxy
from sink import Sink

BINDIR = args().bindir
TMP = mta.workdir()
mta.ensure_user("cryptmilter", "postfix")
KEYRING = os.path.join(TMP, "keyring")
mta.private_keyring(GNUPGHOME, KEYRING, "cryptmilter")
SPOOL = os.path.join(TMP, "spool")
os.makedirs(SPOOL)
shutil.chown(SPOOL, "cryptmilter")
MILTER_CONF = dict(UserID="cryptmilter:postfix", KeyringDir=KEYRING, SpoolDir=SPOOL,
                   InternalHosts="127.0.0.2/32", OutboundDaemons="submission",
                   MissingKeyAction="split")


class Gateway:
    """Sink + Postfix + cryptmilter (optionally behind a proxy)."""

    def __init__(self, name, milter=True, proxy=None, conf=None):
        self.sink = Sink(os.path.join(TMP, name, "sink"))
        self.pf = mta.PostfixInstance(os.path.join(TMP, name), self.sink.port, milter=milter)
        self.proxy = None
        self.milter = None
        self.conf = dict(MILTER_CONF, **(conf or {}))
        if milter:
            sock = self.pf.milter_socket
            if proxy is not None:
                real = os.path.join(TMP, name, "real.sock")
                self.proxy = MilterProxy(sock, real, proxy[0], proxy[1], lambda: self.milter.p.pid)
                sock = real
            self.sock = sock
            self.start_milter()
        self.pf.start()

    def start_milter(self):
        self.milter = Milter(BINDIR, os.path.join(TMP, self.pf.dir), "milter", sock=self.sock,
                             **self.conf)

    def stop(self):
        self.pf.stop()
        if self.milter is not None and self.milter.p.poll() is None:
            self.milter.stop()
        if self.proxy:
            self.proxy.close()
        self.sink.stop()

    def wait(self, n, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            msgs = self.sink.messages()
            if len(msgs) >= n:
                return msgs
            time.sleep(0.1)
        raise Failure("sink has %d messages, want %d; maillog:\n%s"
                      % (len(self.sink.messages()), n, self.pf.log()[-2000:]))


def swaks(port, to, data=None, frm="sender@ext.example", local="127.0.0.1", body=None):
    cmd = ["swaks", "--server", "127.0.0.1:%d" % port, "--from", frm, "--to", ",".join(to),
           "--local-interface", local, "--timeout", "60"]
    if data is not None:
        path = os.path.join(TMP, "swaks-%d.eml" % threading.get_ident())
        with open(path, "wb") as f:
            f.write(data)
        cmd += ["--data", path]
    if body is not None:
        cmd += ["--body", body, "--header", "Subject: canary"]
    r = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    return r


def final_reply(r):
    """The server's answer to DATA (or the first failure) in a swaks run."""
    lines = [l for l in r.stdout.splitlines() if l.startswith(("<-", "<**"))]
    for l in lines:
        if l.startswith("<**"):
            return l[4:].strip()
    return lines[-2][3:].strip() if len(lines) >= 2 else ""


GW = Gateway("gw")
SHAPES = [m for m in corpus() if m[0] not in ("no-final-newline", "mixed-eol", "binary-nul")]


def smtp_send(port, rcpts, message):
    """Send message exactly (smtplib only dot-stuffs and makes LF into CRLF;
    swaks would append an empty line). Given bytes, smtplib does not turn
    bare LF into CRLF, so that is done here."""
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    try:
        s.sendmail("sender@ext.example", rcpts, crlf(message))
    finally:
        s.quit()


def encrypts(name, message):
    def t():
        before = len(GW.sink.messages())
        smtp_send(GW.pf.port, ["alice@example.org", "bob@example.org"], message)
        env, got = GW.wait(before + 1)[before]
        check(sorted(env["rcpts"]) == ["<alice@example.org>", "<bob@example.org>"], "envelope %r" % env)
        armor = check_rfc3156(got, message, ignore=(b"received",))
        check_decrypts_to(armor, message, TMP)
    return ("postfix-encrypt/" + name, t)


def test_already_encrypted_untouched():
    ct = gpg_encrypt(b"Content-Type: text/plain\r\n\r\ncanary\r\n", "alice@example.org")
    msg = (b"From: a@ext.example\nTo: alice@example.org\nSubject: e2e\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";"
           b" boundary=\"xx\"\n\n--xx\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
           b"--xx\nContent-Type: application/octet-stream\n\n" + ct + b"\n--xx--\n")
    before = len(GW.sink.messages())
    smtp_send(GW.pf.port, ["alice@example.org"], msg)
    _, got = GW.wait(before + 1)[before]
    check(split_message(got)[1] == split_message(msg)[1].replace(b"\n", b"\r\n"), "body changed")
    check(b"X-Cryptmilter: skipped already-encrypted\r\n" in got, "no skipped trace")


def outbound_plain(port, local):
    before = len(GW.sink.messages())
    r = swaks(port, ["someone@ext.example"], local=local, body="outbound canary text")
    check(r.returncode == 0, "swaks: %s" % final_reply(r))
    _, got = GW.wait(before + 1)[before]
    check(b"outbound canary text" in got, "outbound mail was encrypted")
    check(b"X-Cryptmilter" not in got, "outbound mail was traced")


def test_outbound_from_internal_host():
    outbound_plain(GW.pf.port, "127.0.0.2")


def test_outbound_from_submission_daemon():
    outbound_plain(GW.pf.subport, "127.0.0.1")


def test_several_messages_per_connection_with_rset():
    before = len(GW.sink.messages())
    s = smtplib.SMTP("127.0.0.1", GW.pf.port, timeout=60)
    s.ehlo("client.ext.example")
    s.sendmail("a@ext.example", ["alice@example.org"], b"Subject: one\r\n\r\nfor alice\r\n")
    s.mail("a@ext.example")
    s.rcpt("nobody@example.org")
    s.rset()
    s.sendmail("a@ext.example", ["bob@example.org"], b"Subject: two\r\n\r\nfor bob\r\n")
    s.quit()
    msgs = GW.wait(before + 2)[before:]
    check(len(msgs) == 2, "want 2 messages, got %d" % len(msgs))
    for env, got in msgs:
        rcpt = env["rcpts"][0].strip("<>")
        check(len(env["rcpts"]) == 1, "envelope %r" % env)
        only_for(got, rcpt.split("@")[0])


def only_for(message, who):
    """message decrypts with who's key and with no other."""
    armor = check_rfc3156(message, message)
    path = os.path.join(TMP, "only-%d.asc" % threading.get_ident())
    with open(path, "wb") as f:
        f.write(armor)
    for key in ("alice", "bob"):
        r = subprocess.run(["sq", "decrypt", "--recipient-key",
                            os.path.join(EXPORT, key + ".sec.asc"), path], capture_output=True)
        check((r.returncode == 0) == (key == who),
              "%s's key %s decrypt mail for %s" % (key, "cannot" if key == who else "can", who))


def test_smtp_source_session():
    before = len(GW.sink.messages())
    r = subprocess.run(["smtp-source", "-s", "1", "-m", "5", "-f", "a@ext.example",
                        "-t", "bob@example.org", "-S", "smtp-source canary", "127.0.0.1:%d" % GW.pf.port],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "smtp-source: %s" % r.stderr)
    msgs = GW.wait(before + 5)[before:]
    for env, got in msgs:
        check(b"X-Cryptmilter: encrypted pgp-mime" in got, "not encrypted")
        check(b"La de da" not in split_message(got)[1], "smtp-source's text in the body")


def test_twenty_concurrent_sessions():
    before = len(GW.sink.messages())
    who = ["alice" if i % 2 == 0 else "bob" for i in range(20)]
    results = [None] * 20

    def send(i):
        results[i] = swaks(GW.pf.port, ["%s@example.org" % who[i]],
                           body="concurrent canary %d" % i)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, r in enumerate(results):
        check(r.returncode == 0, "session %d: %s" % (i, final_reply(r)))
    msgs = GW.wait(before + 20, timeout=60)[before:]
    check(len(msgs) == 20, "want 20 messages, got %d" % len(msgs))
    for env, got in msgs:
        check(b"concurrent canary" not in got, "plaintext arrived")
        only_for(got, env["rcpts"][0].strip("<>").split("@")[0])


def test_split_with_postfix_as_client():
    # A second Postfix (no milter) relays to the gateway. The gateway defers
    # the recipient of the other class with 452 4.5.3; the client retries it
    # in a transaction of its own; every copy arrives, each correct.
    client = mta.PostfixInstance(os.path.join(TMP, "client"), GW.pf.port, milter=False,
                                 name="client")
    client.start()
    try:
        before = len(GW.sink.messages())
        r = swaks(client.port, ["alice@example.org", "nobody@example.org", "bob@example.org"],
                  body="split canary")
        check(r.returncode == 0, "swaks to client: %s" % final_reply(r))
        end = time.time() + 60
        while time.time() < end and len(GW.sink.messages()) < before + 2:
            client.flush()
            time.sleep(1)
        msgs = GW.wait(before + 2)[before:]
        check("452 4.5.3" in client.log(), "the client never saw 452 4.5.3")
        byrcpt = {tuple(sorted(e["rcpts"])): m for e, m in msgs}
        check(set(byrcpt) == {("<alice@example.org>", "<bob@example.org>"),
                              ("<nobody@example.org>",)}, "envelopes %r" % list(byrcpt))
        enc = byrcpt[("<alice@example.org>", "<bob@example.org>")]
        plain = byrcpt[("<nobody@example.org>",)]
        check(b"X-Cryptmilter: encrypted pgp-mime" in enc and b"split canary" not in enc,
              "keyed copy not encrypted")
        check(b"X-Cryptmilter: skipped no-key" in plain and b"split canary" in plain,
              "keyless copy not delivered as is")
        check(client.queue_ids() == [], "mail left in the client queue")
    finally:
        client.stop()


def test_control_without_milter_canary_arrives():
    # Without cryptmilter in the path the canary reaches the sink in plaintext:
    # the checks above would notice the milter being taken out.
    gw = Gateway("bypass", milter=False)
    try:
        r = swaks(gw.pf.port, ["alice@example.org"], body="bypass canary")
        check(r.returncode == 0, "swaks: %s" % final_reply(r))
        _, got = gw.wait(1)[0]
        check(b"bypass canary" in got and b"multipart/encrypted" not in got,
              "the control message was not plaintext")
    finally:
        gw.stop()


# ------------------------------------------------------------ fail closed

def refused_then_serving(gw, canary, want_prefix="4"):
    """Send a canary; it must be refused with 4xx and never reach the sink in
    plaintext. Then the gateway must serve again."""
    r = swaks(gw.pf.port, ["alice@example.org"], body=canary)
    reply = final_reply(r)
    check(r.returncode != 0, "message with %s was accepted: %s" % (canary, reply))
    check(reply.startswith(want_prefix), "reply %r is not %sxx" % (reply, want_prefix))
    time.sleep(1)
    gw.pf.flush()
    time.sleep(1)
    check(not gw.sink.contains(canary.encode()), "%s reached the sink in plaintext" % canary)
    check(gw.pf.queue_ids() == [], "message left in the gateway queue")
    return reply


def serves_again(gw):
    if gw.milter.p.poll() is not None:
        gw.start_milter()
    before = len(gw.sink.messages())
    r = swaks(gw.pf.port, ["alice@example.org"], body="after recovery")
    check(r.returncode == 0, "not serving again: %s" % final_reply(r))
    _, got = gw.wait(before + 1)[before]
    check(b"X-Cryptmilter: encrypted pgp-mime" in got and b"after recovery" not in got,
          "recovered gateway did not encrypt")


def test_failclosed_milter_not_running():
    gw = Gateway("down")
    try:
        gw.milter.stop()
        refused_then_serving(gw, "canary-down-1")
        serves_again(gw)
    finally:
        gw.stop()


def killed_at(stage, trigger, body=None):
    def t():
        gw = Gateway("kill-" + stage, proxy=(trigger, "kill"))
        try:
            r = swaks(gw.pf.port, ["alice@example.org"],
                      data=body if body else None, body=None if body else "canary-" + stage)
            reply = final_reply(r)
            check(gw.proxy.fired.is_set(), "the kill trigger never fired")
            check(r.returncode != 0 and reply.startswith("4"), "reply %r" % reply)
            time.sleep(1)
            gw.pf.flush()
            time.sleep(1)
            check(not gw.sink.contains(b"canary-" + stage.encode()), "canary reached the sink")
            check(gw.pf.queue_ids() == [], "message left in the queue")
            gw.proxy.fired.clear()
            gw.proxy.trigger = (None, None)
            serves_again(gw)
        finally:
            gw.stop()
    return ("failclosed/killed-at-" + stage, t)


def big_canary_message():
    # Incompressible, so the ciphertext needs many body-replacement packets.
    import base64
    noise = base64.encodebytes(os.urandom(3 * 1024 * 1024))
    return b"From: a@ext.example\nSubject: big\n\ncanary-replbody\n" + noise


def test_failclosed_milter_hangs():
    gw = Gateway("hang", proxy=(("mta", b"E"), "hang"))
    try:
        t0 = time.time()
        refused_then_serving(gw, "canary-hang")
        check(gw.proxy.fired.is_set(), "never hung")
        check(time.time() - t0 >= 7, "answered before the milter timeout")
        gw.proxy.fired.clear()
        gw.proxy.trigger = (None, None)
        serves_again(gw)
    finally:
        gw.stop()


def test_failclosed_keyring_unreadable():
    keyring = os.path.join(TMP, "keyring-locked")
    mta.private_keyring(GNUPGHOME, keyring, "cryptmilter")
    gw = Gateway("locked", conf={"KeyringDir": keyring})
    try:
        os.chmod(os.path.join(keyring, "pubring.kbx"), 0)
        reply = refused_then_serving(gw, "canary-locked")
        check("4.3.0" in reply, "reply %r lacks 4.3.0" % reply)
        os.chmod(os.path.join(keyring, "pubring.kbx"), 0o600)
        serves_again(gw)
    finally:
        gw.stop()


def test_failclosed_gpg_agent_killed():
    env = dict(os.environ, GNUPGHOME=KEYRING)
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env)
    before = len(GW.sink.messages())
    r = swaks(GW.pf.port, ["alice@example.org"], body="canary-agent")
    check(r.returncode == 0, "swaks: %s" % final_reply(r))
    _, got = GW.wait(before + 1)[before]
    check(b"canary-agent" not in got and b"encrypted pgp-mime" in got, "not encrypted")


def test_log_lines_carry_postfix_queue_id():
    with open(GW.milter.log.name, "rb") as f:
        log = f.read()
    ids = [l.split(b": ")[2] for l in log.splitlines() if b": inbound (" in l]
    check(ids and all(len(i) >= 8 and i != b"-" for i in ids), "queue IDs missing: %r" % ids[:3])
    check(b"canary" not in log, "message content in the log")


tests = [encrypts(n, m) for n, m in SHAPES]
tests += [(n, f) for n, f in sorted(globals().items())
          if n.startswith("test_") and n != "test_log_lines_carry_postfix_queue_id"]
tests += [killed_at("connect", ("mta", b"C")),
          killed_at("rcpt", ("mta", b"R")),
          killed_at("header", ("mta", b"L")),
          killed_at("body", ("mta", b"B")),
          killed_at("eom", ("mta", b"E")),
          killed_at("replbody", ("milter", b"b"), body=big_canary_message())]
tests.append(("test_log_lines_carry_postfix_queue_id", test_log_lines_carry_postfix_queue_id))
try:
    run_tests(tests)
finally:
    GW.stop()
