#!/usr/bin/env python3
"""Debian's OpenDKIM around cryptmilter in a private Postfix (docs/mailstack.md).

The master.cf split: port 25's smtpd runs a verifying opendkim, then
cryptmilter; the submission smtpd runs cryptmilter, then a signing
opendkim. Inbound, the DKIM result is recorded before encryption; outbound,
mail the gateway decrypts leaves with a signature that dkimpy, an
independent implementation, verifies at the sink. And the failure the split
avoids: one sign-and-verify opendkim before cryptmilter on submission signs
the ciphertext, and the signature fails at the sink. No DNS: opendkim reads
public keys from a TestPublicKeys file, dkimpy from the test's records."""
import os
import smtplib
import uuid

from harness import mta
from harness import opendkim as D
from harness import sender as S
from harness.cmtest import args, check, check_rfc3156, decrypt_all, run_tests
from .mta_suite import MtaSuite


MASTER_DKIM = os.path.join(mta.PACKAGING, "postfix-master-dkim.cf")


def documented_milters():
    """{listener: [smtpd_milters entries]} as packaging/postfix-master-dkim.cf
    orders them for the smtp (port 25) and submission listeners."""
    out, service = {}, None
    with open(MASTER_DKIM) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            if not line[0].isspace():
                service = line.split()[0]
            elif line.split()[:1] == ["-o"] and line.split()[1].startswith("smtpd_milters="):
                out[service] = line.split()[1].split("=", 1)[1].split(",")
    return out


def milters(entries, sockets):
    """An "-o smtpd_milters=" option: entries with the documented opendkim
    sockets replaced by the test's (sockets maps one to the other)."""
    return "-o smtpd_milters=" + ",".join(sockets.get(e, e) for e in entries)


def one_field(msg, name):
    values = S.field_values(msg, name)
    check(len(values) == 1, "want one %s, got %r" % (name, values))
    return b" ".join(values[0].split())


class DkimSuite(MtaSuite):
    name = "dkim"

    def __init__(self, bindir):
        super().__init__(bindir)
        keys = os.path.join(self.tmp, "dkim-keys")
        # The outside domain that signs inbound mail, and our own.
        self.ext_key = D.Key(os.path.join(keys, "ext"), "ext.example", "ext")
        self.own_key = D.Key(os.path.join(keys, "own"), "example.org", "gw")
        self.opendkims = []
        self.layout = None

    def opendkim(self, name, mode):
        d = D.OpenDkim(os.path.join(self.tmp, "opendkim"), name, mode,
                       key=self.own_key if "s" in mode else None, trusted=[self.ext_key])
        self.opendkims.append(d)
        return d

    def make_mta(self, base, relay_port, milter):
        order = documented_milters()
        cm = dict(mta.packaging_main_cf())["smtpd_milters"]
        check(order["smtp"] == ["unix:opendkim/verify.sock", cm]
              and order["submission"] == [cm, "unix:opendkim/sign.sock"],
              "%s: unexpected smtpd_milters %r" % (MASTER_DKIM, order))
        if self.layout == "split":
            # The documented order, the test's opendkim sockets in it.
            sockets = {"unix:opendkim/verify.sock": self.opendkim("verifier", "v").socket,
                       "unix:opendkim/sign.sock": self.opendkim("signer", "s").socket}
            smtpd = milters(order["smtp"], sockets)
            sub = milters(order["submission"], sockets)
        else:
            # Debian's default: one opendkim that signs and verifies, put
            # before cryptmilter on both listeners.
            both = self.opendkim("signer-verifier", "sv").socket
            smtpd = sub = milters([both, cm], {})
        return mta.PostfixInstance(base, relay_port, milter=milter, smtpd_args=smtpd,
                                   sub_args=sub)

    def test_docs_show_the_tested_master_cf(self):
        with open(os.path.join(mta.TOP, "docs", "mailstack.md")) as f:
            doc = f.read()
        with open(MASTER_DKIM) as f:
            lines = "".join(l for l in f if not l.startswith("#"))
        check("```\n# /etc/postfix/master.cf (packaging/postfix-master-dkim.cf)\n" + lines
              + "```\n" in doc, "docs/mailstack.md does not show %s as it is" % MASTER_DKIM)

    # ------------------------------------------------------------ inbound

    def send_inbound(self, message):
        with self.gw.arrivals() as msgs:
            s = smtplib.SMTP("127.0.0.1", self.gw.mta.port, timeout=60)
            try:
                s.sendmail("a@ext.example", ["alice@example.org", "bob@example.org"], message)
            finally:
                s.quit()
        return msgs[0][1]

    def inbound_message(self, mark):
        return S.crlf(("From: A <a@ext.example>\nTo: alice@example.org, bob@example.org\nSubject: Signed %s\n"
                       "Date: Tue, 01 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@ext.example>\n"
                       "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
                       "signed outside %s\n" % (mark[-6:], uuid.uuid4().hex, mark)).encode())

    def test_inbound_dkim_result_recorded_before_encryption(self):
        mark = S.canary()
        message = self.ext_key.sign(self.inbound_message(mark))
        ok, why = D.verify(message, self.ext_key)
        check(ok, "dkimpy does not verify the message it signed: %s" % why)
        got = self.send_inbound(message)
        check(mark.encode() not in S.split(got)[1], "plaintext arrived")
        armor = check_rfc3156(got, message, ignore=(b"received", b"authentication-results"))
        # Outside: the verifier's result, made on the plaintext, stays in
        # the header that cryptmilter keeps in place.
        ar = one_field(got, "Authentication-Results")
        check(ar.startswith(b"gw.example.org;") and b"dkim=pass" in ar
              and b"header.d=ext.example" in ar, "Authentication-Results %r" % ar)
        one_field(got, "DKIM-Signature")
        # Inside: the decrypted entity carries the author's fields (header
        # protection), not the gateway's trace fields.
        for tool, inner in decrypt_all(armor, self.tmp).items():
            fields = [f[0].split(b":", 1)[0].lower() for f in S.split(inner)[0]]
            check(b"subject" in fields and b"from" in fields,
                  "%s: no protected fields inside: %r" % (tool, fields))
            check(b"authentication-results" not in fields and b"dkim-signature" not in fields,
                  "%s: trace fields inside: %r" % (tool, fields))
            check(("signed outside %s" % mark).encode() in inner, "%s: body not inside" % tool)
        # What a DKIM check after the gateway (the cloud's) sees: the
        # outside signature over a body that is now ciphertext.
        ok, why = D.verify(got, self.ext_key)
        check(not ok and "body hash mismatch" in why, "after encryption: %r %s" % (ok, why))

    def test_inbound_broken_signature_recorded_as_fail(self):
        # The verifier really verifies: a body changed after signing fails.
        mark = S.canary()
        message = self.ext_key.sign(self.inbound_message(mark)).replace(
            b"signed outside", b"changed outside")
        got = self.send_inbound(message)
        ar = one_field(got, "Authentication-Results")
        check(b"dkim=fail" in ar, "Authentication-Results %r" % ar)
        check(b"encrypted pgp-mime" in one_field(got, "X-Cryptmilter"), "not encrypted")

    def test_inbound_forged_result_removed(self):
        # The cloud trusts the gateway's Authentication-Results: one that
        # claims the gateway's authserv-id but came with the message must
        # not reach it (opendkim removes it: RemoveARFrom's default, the
        # MTA's name, which AuthservID is).
        mark = S.canary()
        forged = (b"Authentication-Results: gw.example.org; dkim=pass header.d=ext.example\r\n"
                  + self.inbound_message(mark))
        got = self.send_inbound(forged)
        ar = one_field(got, "Authentication-Results")
        check(b"dkim=none" in ar and b"dkim=pass" not in ar, "Authentication-Results %r" % ar)

    # ----------------------------------------------------------- outbound

    def submit_encrypted(self, mark):
        """alice's message, encrypted to the gateway key with the real
        Subject protected inside, on the submission port; what arrives."""
        ent = S.entity_hp(mark, "Protected " + mark[-6:])
        msg = S.pgp_mime(S.sign_encrypt("gpg", ent, self.tmp), subject="[...]")
        with self.gw.arrivals() as msgs:
            r = self.submit(self.gw, msg, sub=True)
            check(r is None, "refused: %r" % (r,))
        got = msgs[0][1]
        check(one_field(got, "X-Cryptmilter") == b"decrypted pgp-mime", "not decrypted")
        check(mark.encode() in got, "the decrypted text is not in the message")
        check(one_field(got, "Subject") == b"Protected " + mark[-6:].encode(),
              "Subject not restored")
        sig = one_field(got, "DKIM-Signature")
        check(b"d=example.org;" in sig and b"s=gw;" in sig, "DKIM-Signature %r" % sig)
        return got

    def test_outbound_signed_after_decryption_verifies(self):
        got = self.submit_encrypted(S.canary())
        ok, why = D.verify(got, self.own_key)
        check(ok, "the gateway's signature does not verify at the sink: %s" % why)
        # dkimpy can fail: the same message with its body changed does not verify.
        ok, _ = D.verify(got.replace(b"Protected", b"Protectex"), self.own_key)
        check(not ok, "dkimpy verified a changed message")

    def test_outbound_one_opendkim_before_cryptmilter_fails(self):
        """The order matters: Debian's one sign-and-verify opendkim before
        cryptmilter on submission signs the ciphertext, which cryptmilter
        then replaces; the signature fails at the sink."""
        split, started = self.gw, len(self.opendkims)
        self.layout = "single"
        self.gw = self.Gateway(self, "single")
        try:
            got = self.submit_encrypted(S.canary())
            ok, why = D.verify(got, self.own_key)
            check(not ok, "a signature made before decryption verified")
            check("body hash mismatch" in why, "dkimpy: %s" % why)
        finally:
            self.gw.stop()
            self.gw, self.layout = split, "split"
            for d in self.opendkims[started:]:
                d.stop()

    # ---------------------------------------------------------------- run

    def run(self):
        self.layout = "split"
        self.gw = self.Gateway(self, "split")
        try:
            run_tests([(n, getattr(self, n)) for n in sorted(DkimSuite.__dict__)
                       if n.startswith("test_")])
        finally:
            self.gw.stop()
            for d in self.opendkims:
                d.stop()


if __name__ == "__main__":
    DkimSuite(args().bindir).run()
