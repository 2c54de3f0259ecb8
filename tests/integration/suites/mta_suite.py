"""The end-to-end cases every MTA runs: cryptmilter inside a real MTA on
loopback, relaying to a local sink that stands in for the cloud mailbox.
Mail is sent with swaks, smtp-source and Python's smtplib; what arrives is
checked by an independent parser and decrypted by gpg, sq and rnp.

test_postfix.py and test_sendmail.py subclass MtaSuite with their MTA
(mta.PostfixInstance, mta_sendmail.SendmailInstance) and add what only that
MTA can show. An MTA instance offers: port, subport (daemon_name
"submission"), milter_socket, start(), stop(), flush(), queue_ids(), log().
"""
import base64
import contextlib
import os
import shutil
import smtplib
import subprocess
import threading
import time

from harness import faults
from harness import mta
from harness.cmrun import BACKEND
from harness.cmtest import (GNUPGHOME, check, check_decrypts_only_for, check_decrypts_to,
                            check_rfc3156, corpus, crlf, gpg_encrypt, run_tests, split_message)
from harness.gateway import Gateway
from harness.smime_oracles import CERTS, check_smime_decrypts_to

from .mta_outbound import OutboundCases


def swaks(port, to, data=None, frm="sender@ext.example", local="127.0.0.1", body=None, tmp=None):
    cmd = ["swaks", "--server", "127.0.0.1:%d" % port, "--from", frm, "--to", ",".join(to),
           "--local-interface", local, "--timeout", "60"]
    if data is not None:
        path = os.path.join(tmp, "swaks-%d.eml" % threading.get_ident())
        with open(path, "wb") as f:
            f.write(data)
        cmd += ["--data", path]
    if body is not None:
        cmd += ["--body", body, "--header", "Subject: canary"]
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace")


def final_reply(r):
    """The server's answer to DATA (or the first failure) in a swaks run."""
    lines = [l for l in r.stdout.splitlines() if l.startswith(("<-", "<**"))]
    for l in lines:
        if l.startswith("<**"):
            return l[4:].strip()
    return lines[-2][3:].strip() if len(lines) >= 2 else ""


def smtp_send(port, rcpts, message):
    """Send message exactly (smtplib only dot-stuffs and makes LF into CRLF;
    swaks would append an empty line). Given bytes, smtplib does not turn
    bare LF into CRLF, so that is done here."""
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    try:
        s.sendmail("sender@ext.example", rcpts, crlf(message))
    finally:
        s.quit()


def big_canary_message(raw=3 * 1024 * 1024):
    # Incompressible, so the ciphertext needs many body-replacement packets.
    noise = base64.encodebytes(os.urandom(raw))
    return b"From: a@ext.example\nSubject: big\n\ncanary-replbody\n" + noise


class MtaSuite(OutboundCases):
    """The shared cases. Subclasses set name and make_mta(base, relay_port,
    milter) and may add test_* methods of their own."""

    name = None

    def __init__(self, bindir):
        self.bindir = bindir
        self.tmp = mta.workdir()
        mta.ensure_user("cryptmilter", "postfix")
        self.keyring = os.path.join(self.tmp, "keyring")
        mta.private_keyring(GNUPGHOME, self.keyring, "cryptmilter")
        spool = os.path.join(self.tmp, "spool")
        os.makedirs(spool)
        shutil.chown(spool, "cryptmilter")
        self.milter_conf = dict(UserID="cryptmilter:postfix", KeyringDir=self.keyring,
                                SpoolDir=spool, InternalHosts="127.0.0.2/32",
                                OutboundDaemons="submission", MissingKeyAction="split",
                                OpenPGPBackend=BACKEND)
        self.certs = os.path.join(self.tmp, "certs")
        mta.private_keyring(CERTS, self.certs, "cryptmilter")
        self.milter_conf["CertificateDir"] = self.certs
        self.milter_conf.update(self.outbound_conf())
        self.Gateway = Gateway
        self.gw = None

    def make_mta(self, base, relay_port, milter):
        raise NotImplementedError

    def swaks(self, port, to, **kw):
        return swaks(port, to, tmp=self.tmp, **kw)

    # ------------------------------------------------------------ delivery

    def encrypts(self, name, message):
        def t():
            gw = self.gw
            with gw.arrivals() as msgs:
                smtp_send(gw.mta.port, ["alice@example.org", "bob@example.org"], message)
            env, got = msgs[0]
            check(sorted(env["rcpts"]) == ["<alice@example.org>", "<bob@example.org>"],
                  "envelope %r" % env)
            armor = check_rfc3156(got, message, ignore=(b"received",))
            check_decrypts_to(armor, message, self.tmp)
        return ("%s-encrypt/%s" % (self.name, name), t)

    def smime_encrypts(self, name, message):
        def t():
            gw = self.gw
            with gw.arrivals() as msgs:
                smtp_send(gw.mta.port, ["sam@example.org", "sue@example.org"], message)
            env, got = msgs[0]
            check(sorted(env["rcpts"]) == ["<sam@example.org>", "<sue@example.org>"],
                  "envelope %r" % env)
            check(b"canary" not in split_message(got)[1], "plaintext in the body")
            check_smime_decrypts_to(got, message, "sam", self.tmp, gpgsm=True,
                                    ignore=(b"received",))
            check_smime_decrypts_to(got, message, "sue", self.tmp, ignore=(b"received",))
        return ("%s-smime/%s" % (self.name, name), t)

    def split_three_ways_nothing_lost(self):
        """OpenPGP, S/MIME and no key in one transaction: the MTA's client
        is told 452 4.5.3 for the other classes, sends them again, and
        each arrives in its own format."""
        gw = self.gw
        msg = (b"From: a@ext.example\r\nTo: alice@example.org\r\nSubject: canary three\r\n"
               b"Date: Mon, 23 Nov 2026 00:00:00 +0000\r\nMessage-ID: <three@ext.example>\r\n"
               b"\r\ncanary three ways\r\n")
        rcpts = ["alice@example.org", "sam@example.org", "nobody@example.org"]
        with gw.arrivals(3) as arrived:
            s = smtplib.SMTP("127.0.0.1", gw.mta.port, timeout=60)
            try:
                while rcpts:
                    try:
                        refused = s.sendmail("a@ext.example", rcpts, msg)
                    except smtplib.SMTPRecipientsRefused as e:
                        refused = e.recipients
                        check(False, "every recipient refused: %r" % refused)
                    for r, (code, text) in refused.items():
                        check(code == 452 and text.startswith(b"4.5.3"),
                              "%s: %d %r" % (r, code, text))
                    check(len(refused) == len(rcpts) - 1, "want one accepted, refused %r" % refused)
                    rcpts = list(refused)
            finally:
                s.quit()
        msgs = {env["rcpts"][0]: got for env, got in arrived}
        check(sorted(msgs) == ["<alice@example.org>", "<nobody@example.org>", "<sam@example.org>"],
              "arrived for %r" % sorted(msgs))
        check_rfc3156(msgs["<alice@example.org>"], msg, ignore=(b"received",))
        check_smime_decrypts_to(msgs["<sam@example.org>"], msg, "sam", self.tmp,
                                ignore=(b"received",))
        check(b"X-Cryptmilter: skipped no-key\r\n" in msgs["<nobody@example.org>"],
              "keyless copy not traced")

    def test_already_encrypted_untouched(self):
        ct = gpg_encrypt(b"Content-Type: text/plain\r\n\r\ncanary\r\n", "alice@example.org")
        msg = (b"From: a@ext.example\nTo: alice@example.org\nSubject: e2e\nMIME-Version: 1.0\n"
               b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";"
               b" boundary=\"xx\"\n\n--xx\nContent-Type: application/pgp-encrypted\n\n"
               b"Version: 1\n\n--xx\nContent-Type: application/octet-stream\n\n" + ct +
               b"\n--xx--\n")
        with self.gw.arrivals() as msgs:
            smtp_send(self.gw.mta.port, ["alice@example.org"], msg)
        _, got = msgs[0]
        check(split_message(got)[1] == split_message(msg)[1].replace(b"\n", b"\r\n"),
              "body changed")
        check(b"X-Cryptmilter: skipped already-encrypted\r\n" in got, "no skipped trace")

    def outbound_plain(self, port, local):
        with self.gw.arrivals() as msgs:
            r = self.swaks(port, ["someone@ext.example"], local=local, body="outbound canary text")
            check(r.returncode == 0, "swaks: %s" % final_reply(r))
        _, got = msgs[0]
        check(b"outbound canary text" in got, "outbound mail was encrypted")
        check(b"X-Cryptmilter" not in got, "outbound mail was traced")

    def test_outbound_from_internal_host(self):
        self.outbound_plain(self.gw.mta.port, "127.0.0.2")

    def test_outbound_from_submission_daemon(self):
        self.outbound_plain(self.gw.mta.subport, "127.0.0.1")

    def test_several_messages_per_connection_with_rset(self):
        with self.gw.arrivals(2) as msgs:
            s = smtplib.SMTP("127.0.0.1", self.gw.mta.port, timeout=60)
            s.ehlo("client.ext.example")
            s.sendmail("a@ext.example", ["alice@example.org"],
                       b"Subject: one\r\n\r\nfor alice\r\n")
            s.mail("a@ext.example")
            s.rcpt("nobody@example.org")
            s.rset()
            s.sendmail("a@ext.example", ["bob@example.org"], b"Subject: two\r\n\r\nfor bob\r\n")
            s.quit()
        check(len(msgs) == 2, "want 2 messages, got %d" % len(msgs))
        for env, got in msgs:
            rcpt = env["rcpts"][0].strip("<>")
            check(len(env["rcpts"]) == 1, "envelope %r" % env)
            self.only_for(got, rcpt.split("@")[0])

    def only_for(self, message, who):
        check_decrypts_only_for(message, who, self.tmp)

    def bounce_to_alice(self, canary):
        """Have the gateway bounce an outbound message of alice's (the far
        side has no "nosuchuser"); return the bounce as the sink got it."""
        gw = self.gw
        with gw.arrivals() as msgs:
            r = self.swaks(gw.mta.port, ["nosuchuser@ext.example"], frm="alice@example.org",
                           local="127.0.0.2", body=canary)
            check(r.returncode == 0, "swaks: %s" % final_reply(r))
        env, got = msgs[0]
        check(env["from"].startswith("<>") and env["rcpts"] == ["<alice@example.org>"],
              "not the bounce: %r" % env)
        return got

    def test_smtp_source_session(self):
        with self.gw.arrivals(5) as msgs:
            r = subprocess.run(["smtp-source", "-s", "1", "-m", "5", "-f", "a@ext.example",
                                "-t", "bob@example.org", "-S", "smtp-source canary",
                                "127.0.0.1:%d" % self.gw.mta.port],
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 0, "smtp-source: %s" % r.stderr)
        for env, got in msgs:
            check(b"X-Cryptmilter: encrypted pgp-mime" in got, "not encrypted")
            check(b"La de da" not in split_message(got)[1], "smtp-source's text in the body")

    def test_twenty_concurrent_sessions(self):
        who = ["alice" if i % 2 == 0 else "bob" for i in range(20)]
        results = [None] * 20

        def send(i):
            results[i] = self.swaks(self.gw.mta.port, ["%s@example.org" % who[i]],
                                    body="concurrent canary %d" % i)
        with self.gw.arrivals(20, timeout=60) as msgs:
            threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for i, r in enumerate(results):
                check(r.returncode == 0, "session %d: %s" % (i, final_reply(r)))
        check(len(msgs) == 20, "want 20 messages, got %d" % len(msgs))
        for env, got in msgs:
            check(b"concurrent canary" not in got, "plaintext arrived")
            self.only_for(got, env["rcpts"][0].strip("<>").split("@")[0])

    def test_control_without_milter_canary_arrives(self):
        # Without cryptmilter in the path the canary reaches the sink in
        # plaintext: the checks here would notice the milter being taken out.
        gw = Gateway(self, "bypass", milter=False)
        try:
            with gw.arrivals() as msgs:
                r = self.swaks(gw.mta.port, ["alice@example.org"], body="bypass canary")
                check(r.returncode == 0, "swaks: %s" % final_reply(r))
            _, got = msgs[0]
            check(b"bypass canary" in got and b"multipart/encrypted" not in got,
                  "the control message was not plaintext")
        finally:
            gw.stop()

    # --------------------------------------------------------- fail closed

    def refused_then_serving(self, gw, canary, want_prefix="4"):
        """Send a canary; it must be refused with 4xx and never reach the
        sink in plaintext, and nothing may stay in the MTA's queue."""
        r = self.swaks(gw.mta.port, ["alice@example.org"], body=canary)
        reply = final_reply(r)
        check(r.returncode != 0, "message with %s was accepted: %s" % (canary, reply))
        check(reply.startswith(want_prefix), "reply %r is not %sxx" % (reply, want_prefix))
        self.nothing_delivered(gw, canary.encode())
        return reply

    def nothing_delivered(self, gw, canary):
        time.sleep(1)
        gw.mta.flush()
        time.sleep(1)
        check(not gw.sink.contains(canary), "%r reached the sink in plaintext" % canary)
        check(gw.mta.queue_ids() == [], "message left in the gateway queue")

    def serves_again(self, gw):
        if gw.milter.p.poll() is not None:
            gw.start_milter()
        with gw.arrivals() as msgs:
            r = self.swaks(gw.mta.port, ["alice@example.org"], body="after recovery")
            check(r.returncode == 0, "not serving again: %s" % final_reply(r))
        env, got = msgs[0]
        check(b"X-Cryptmilter: encrypted pgp-mime" in got and b"after recovery" not in got,
              "recovered gateway did not encrypt; envelope %r, header %r; maillog:\n%s"
              % (env, got[:1500], gw.mta.log()[-3000:]))

    def test_failclosed_milter_not_running(self):
        gw = Gateway(self, "down")
        try:
            gw.milter.stop()
            self.refused_then_serving(gw, "canary-down-1")
            self.serves_again(gw)
        finally:
            gw.stop()

    def killed_at(self, stage, trigger, body=None):
        def t():
            gw = Gateway(self, "kill-" + stage, proxy=(trigger, "kill"))
            try:
                r = self.swaks(gw.mta.port, ["alice@example.org"], data=body,
                               body=None if body else "canary-" + stage)
                reply = final_reply(r)
                check(gw.proxy.fired.is_set(), "the kill trigger never fired")
                check(r.returncode != 0 and reply.startswith("4"), "reply %r" % reply)
                self.nothing_delivered(gw, b"canary-" + stage.encode())
                gw.proxy.fired.clear()
                gw.proxy.trigger = (None, None)
                self.serves_again(gw)
            finally:
                gw.stop()
        return ("failclosed/killed-at-" + stage, t)

    @contextlib.contextmanager
    def gpg_wrapped(self, mode):
        """The shared gateway with its milter restarted on the faults.py gpg
        wrapper for mode (no MTA of its own to start), and back after."""
        gw = self.gw
        os.makedirs(os.path.join(self.tmp, mode), exist_ok=True)
        normal = gw.conf
        gw.milter.stop()
        gw.conf = dict(normal, GpgProgram=faults.wrapper(os.path.join(self.tmp, mode), mode))
        gw.start_milter()
        try:
            yield gw
        finally:
            gw.milter.stop()
            gw.conf = normal
            gw.start_milter()

    def refused_after_body_replacement(self):
        # gpg's output ends short after 200000 bytes: by then the milter has
        # streamed pieces of ciphertext to the MTA as body replacement, and
        # only at the end does it find the output incomplete and answer
        # 451 4.7.5. The MTA must drop the message with all it was given.
        with self.gpg_wrapped("cut") as gw:
            before = len(gw.sink.messages())
            r = self.swaks(gw.mta.port, ["alice@example.org"], data=big_canary_message(512 * 1024))
            reply = final_reply(r)
            check(r.returncode != 0 and reply.startswith("451"), "reply %r" % reply)
            check("4.7.5" in reply, "reply %r lacks 4.7.5" % reply)
            self.nothing_delivered(gw, b"canary-replbody")
            check(len(gw.sink.messages()) == before, "something reached the sink")

    def engine_pauses_mid_body(self):
        # gpg stops for 2.5 s after 100000 bytes: body replacement has begun
        # and the milter must say nothing else until it is done (Postfix
        # fails the session on a "progress" after body replacement).
        with self.gpg_wrapped("pause") as gw:
            with gw.arrivals() as msgs:
                r = self.swaks(gw.mta.port, ["alice@example.org"],
                               data=big_canary_message(512 * 1024))
                check(r.returncode == 0, "reply %r" % final_reply(r))
            env, got = msgs[0]
            check(b"canary-replbody" not in got and b"encrypted pgp-mime" in got,
                  "not encrypted: %r" % got[:1500])

    def test_failclosed_milter_hangs(self):
        gw = Gateway(self, "hang", proxy=(("mta", b"E"), "hang"))
        try:
            t0 = time.time()
            self.refused_then_serving(gw, "canary-hang")
            check(gw.proxy.fired.is_set(), "never hung")
            check(time.time() - t0 >= 7, "answered before the milter timeout")
            gw.proxy.fired.clear()
            gw.proxy.trigger = (None, None)
            self.serves_again(gw)
        finally:
            gw.stop()

    def test_failclosed_keyring_unreadable(self):
        keyring = os.path.join(self.tmp, "keyring-locked")
        mta.private_keyring(GNUPGHOME, keyring, "cryptmilter")
        gw = Gateway(self, "locked", conf={"KeyringDir": keyring})
        try:
            os.chmod(os.path.join(keyring, "pubring.kbx"), 0)
            reply = self.refused_then_serving(gw, "canary-locked")
            check("4.3.0" in reply, "reply %r lacks 4.3.0" % reply)
            os.chmod(os.path.join(keyring, "pubring.kbx"), 0o600)
            self.serves_again(gw)
        finally:
            gw.stop()

    def test_failclosed_gpg_agent_killed(self):
        env = dict(os.environ, GNUPGHOME=self.keyring)
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env)
        with self.gw.arrivals() as msgs:
            r = self.swaks(self.gw.mta.port, ["alice@example.org"], body="canary-agent")
            check(r.returncode == 0, "swaks: %s" % final_reply(r))
        _, got = msgs[0]
        check(b"canary-agent" not in got and b"encrypted pgp-mime" in got, "not encrypted")

    def log_lines_carry_queue_id(self):
        with open(self.gw.milter.log.name, "rb") as f:
            log = f.read()
        ids = [l.split(b": ")[2] for l in log.splitlines() if b": inbound (" in l]
        check(ids and all(len(i) >= 8 and i != b"-" for i in ids),
              "queue IDs missing: %r" % ids[:3])
        check(b"canary" not in log, "message content in the log")

    # ---------------------------------------------------------------- run

    def run(self):
        self.gw = Gateway(self, "gw")
        shapes = [m for m in corpus() if m[0] not in ("no-final-newline", "mixed-eol", "binary-nul")]
        tests = [self.encrypts(n, m) for n, m in shapes]
        if BACKEND == "gpgme":
            # S/MIME does not change with the OpenPGP backend: once.
            tests += [self.smime_encrypts(n, m) for n, m in shapes]
            tests.append(("%s-split-three-ways" % self.name, self.split_three_ways_nothing_lost))
            tests += self.smime_tests()
            # The engine's output ending short needs gpg's (GpgProgram).
            tests.append(("%s-refused-after-body-replacement" % self.name,
                          self.refused_after_body_replacement))
            tests.append(("%s-engine-pauses-mid-body" % self.name, self.engine_pauses_mid_body))
        tests += self.outbound_tests()
        tests += [(n, getattr(self, n)) for n in sorted(dir(self)) if n.startswith("test_")]
        tests += [self.killed_at("connect", ("mta", b"C")),
                  self.killed_at("rcpt", ("mta", b"R")),
                  self.killed_at("header", ("mta", b"L")),
                  self.killed_at("body", ("mta", b"B")),
                  self.killed_at("eom", ("mta", b"E")),
                  self.killed_at("replbody", ("milter", b"b"), body=big_canary_message())]
        try:
            run_tests(tests, always=[("log_lines_carry_%s_queue_id" % self.name,
                                      self.log_lines_carry_queue_id)])
        finally:
            self.gw.stop()
