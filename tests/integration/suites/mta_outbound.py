"""The outbound cases every MTA runs (SPEC §4): a user submits mail
encrypted to the gateway key and signed, by an internal host or on the
submission daemon; the MTA's cryptmilter decrypts it through the signature
gate before it reaches the sink that stands in for the internet. Messages
are made by gpg, sq and rnp (sender.py)."""
import os
import shutil
import smtplib
import time

from harness import forge as F
from harness import mta
from harness import sender as S
from harness import smime_sender as M
from harness.cmtest import check, check_decrypts_only_for
from harness.smime_oracles import CA


class OutboundCases:
    """Mixed into MtaSuite: needs self.gw, self.tmp, self.name, Gateway."""

    def outbound_conf(self):
        cache = os.path.join(self.tmp, "replay")
        os.makedirs(cache, exist_ok=True)
        shutil.chown(cache, "cryptmilter")
        # The gateway's S/MIME keys, as an administrator installs them:
        # owned by the milter's user, mode 0600.
        gwdir = os.path.join(self.tmp, "gateway")
        mta.private_keyring(os.path.dirname(M.GATEWAY_FILES[0]), gwdir, "cryptmilter")
        files = [os.path.join(gwdir, os.path.basename(f)) for f in M.GATEWAY_FILES]
        anchors = os.path.join(gwdir, "anchors.pem")
        shutil.copy(CA, anchors)
        shutil.chown(anchors, "cryptmilter")
        return dict(GatewayKeys=S.gateway_fpr(), ReplayCache=cache,
                    GatewayCertificates=" ".join(files), TrustAnchors=anchors,
                    MaxDecryptedSize="4M")

    def smime_outbound(self, opaque, cert, cipher, sub):
        """Signed by openssl (detached or opaque), enveloped to a gateway
        certificate: delivered as the signed entity, which still verifies."""
        def t():
            gw = self.gw
            mark = S.canary()
            # Opaque: RFC 9788 protected fields inside the signed data.
            inner = S.entity_hp(mark, "Opaque " + mark[-6:]) if opaque else S.entity_alternative(mark)
            signed = M.sign(inner, opaque=opaque)
            with gw.arrivals() as msgs:
                r = self.submit(gw, M.message(M.encrypt(signed, cert, cipher), subject="[...]"),
                                sub=sub)
                check(r is None, "refused: %r" % (r,))
            env, got = msgs[0]
            check(env["rcpts"] == ["<x@ext.example>"], "envelope %r" % env)
            check(S.field_values(got, "X-Cryptmilter") == [b"decrypted smime"], "trace")
            check(S.entity_of(got) == signed, "delivered entity differs from the signed one")
            check(mark.encode() in M.verify(S.entity_of(got)), "kept signature does not verify")
            if opaque:
                check(S.field_values(got, "Subject") == [b"Opaque " + mark[-6:].encode()],
                      "Subject not restored: %r" % S.field_values(got, "Subject"))
        kind = "opaque" if opaque else "detached"
        return ("%s-outbound-smime/%s%s" % (self.name, kind, cipher), t)

    def smime_outbound_gpgsm(self):
        gw = self.gw
        mark = S.canary()
        signed, enveloped = M.gpgsm_sign_encrypt(S.entity_text(mark), who="sam")
        with gw.arrivals() as msgs:
            r = self.submit(gw, M.message(enveloped, sender="sam@example.org"),
                            frm="sam@example.org")
            check(r is None, "refused: %r" % (r,))
        _, got = msgs[0]
        check(S.entity_of(got) == signed, "delivered entity differs from gpgsm's")

    def smime_tests(self):
        """S/MIME does not change with the OpenPGP backend: run once."""
        return [
            self.smime_outbound(False, M.GATEWAY_RSA, "-aes256", sub=False),
            self.smime_outbound(True, M.GATEWAY_EC, "-aes-256-gcm", sub=True),
            ("%s-outbound-smime/gpgsm" % self.name, self.smime_outbound_gpgsm),
            self.outbound_refused("smime-unsigned", lambda m: M.message(
                M.encrypt(S.entity_text(m))), "5.7.1"),
            self.outbound_refused("smime-wrong-signer", lambda m: M.message(
                M.encrypt(M.sign(S.entity_text(m), who="sam"))), "5.7.1"),
            self.outbound_refused("smime-stale", lambda m: M.message(
                M.encrypt(M.sign(S.entity_text(m), shift="-7300s"))), "5.7.1"),
            self.outbound_refused("smime-cbc-blocks-appended", self.smime_cbc_forgery, "5.7.5"),
        ]

    @staticmethod
    def smime_cbc_forgery(mark):
        """A signed message's AES-CBC ciphertext with blocks appended by one
        who holds it and knows its first block (SPEC §4.2)."""
        signed = M.sign(S.entity_text(mark))
        der = F.cbc_append(F.smime_der(signed), signed[:16], b"\r\nWIRE $9,999!!\x01")
        return S.outer_header() + F.smime_entity(der)

    def submit(self, gw, message, rcpts=("x@ext.example",), frm="alice@example.org", sub=False):
        """Send as a user: from the internal host 127.0.0.2 on the main
        port, or on the submission port. The refusal, if any, is returned
        as (code, text); None if accepted."""
        port = gw.mta.subport if sub else gw.mta.port
        local = "127.0.0.1" if sub else "127.0.0.2"
        s = smtplib.SMTP("127.0.0.1", port, timeout=60, source_address=(local, 0))
        try:
            refused = s.sendmail(frm, list(rcpts), S.crlf(message))
        except smtplib.SMTPDataError as e:
            return (e.smtp_code, e.smtp_error.decode(errors="replace"))
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]
            return (code, text.decode(errors="replace"))
        finally:
            try:
                s.quit()
            except smtplib.SMTPServerDisconnected:
                pass
        return refused or None

    def outbound_shape(self, tool, shape, sub):
        def t():
            gw = self.gw
            mark = S.canary()
            if shape == "nested":
                ent = S.signed_entity(tool, S.entity_alternative(mark), self.tmp)
                armor = S.sign_encrypt(tool, ent, self.tmp, signer=None)
            elif shape == "layered":    # Thunderbird: protected fields on the signed part
                ent = S.signed_entity(tool, S.entity_protected(mark, "Protected " + mark[-6:]),
                                      self.tmp)
                armor = S.sign_encrypt(tool, ent, self.tmp, signer=None)
            elif shape in ("protected", "hp-cipher"):
                make = S.entity_protected if shape == "protected" else S.entity_hp
                ent = make(mark, "Protected " + mark[-6:])
                armor = S.sign_encrypt(tool, ent, self.tmp)
            elif shape == "inline":
                ent = S.crlf(("Grüße %s\nline two\n" % mark).encode())
                armor = S.sign_encrypt(tool, ent, self.tmp)
            else:
                ent = S.ENTITIES[shape](mark)
                armor = S.sign_encrypt(tool, ent, self.tmp)
            msg = S.inline(armor) if shape == "inline" else S.pgp_mime(armor, subject="[...]")
            with gw.arrivals() as msgs:
                r = self.submit(gw, msg, sub=sub)
                check(r is None, "refused: %r" % (r,))
            env, got = msgs[0]
            check(env["rcpts"] == ["<x@ext.example>"], "envelope %r" % env)
            if shape == "inline":
                check(S.split(got)[1] == ent, "inline text differs")
                check(S.field_values(got, "X-Cryptmilter") == [b"decrypted pgp-inline"], "trace")
                return
            check(S.field_values(got, "X-Cryptmilter") == [b"decrypted pgp-mime"], "trace")
            if shape in ("protected", "hp-cipher", "layered"):
                check(S.field_values(got, "Subject") == [b"Protected " + mark[-6:].encode()],
                      "Subject not restored: %r" % S.field_values(got, "Subject"))
            if shape in ("protected", "hp-cipher"):
                ent = S.entity_without(ent, ["Subject", "From", "To", "HP-Outer"])
            check(S.entity_of(got) == ent, "delivered entity differs from the signed one")
            if shape in ("nested", "layered"):
                S.verify_signed(got, self.tmp, self.keyring_home())
        return ("%s-outbound/%s/%s/%s" % (self.name, tool, shape, "submission" if sub else "internal"), t)

    def keyring_home(self):
        return os.path.join(os.environ["CM_TEST_KEYRING"], "gnupg")

    def outbound_refused(self, name, make, xcode, frm="alice@example.org"):
        def t():
            gw = self.gw
            mark = S.canary()
            before = len(gw.sink.messages())
            r = self.submit(gw, make(mark), frm=frm)
            check(r is not None and str(r[0]).startswith(xcode[0]) and xcode in r[1],
                  "reply %r, want %s" % (r, xcode))
            check(mark not in r[1], "plaintext in the reply")
            time.sleep(1)
            gw.mta.flush()
            time.sleep(0.5)
            check(len(gw.sink.messages()) == before, "something was delivered")
            check(not gw.sink.contains(mark.encode()), "plaintext reached the sink")
        return ("%s-outbound-refused/%s" % (self.name, name), t)

    def outbound_tests(self):
        tests, i = [], 0
        for tool in S.TOOLS:
            for shape in ("alternative", "utf8", "nested", "inline", "protected", "hp-cipher",
                          "layered"):
                tests.append(self.outbound_shape(tool, shape, sub=i % 2 == 1))
                i += 1
        tmp = self.tmp
        tests += [
            self.outbound_refused("unsigned", lambda m: S.pgp_mime(
                S.sign_encrypt("gpg", S.entity_text(m), tmp, signer=None)), "5.7.1"),
            self.outbound_refused("wrong-signer", lambda m: S.pgp_mime(
                S.sign_encrypt("sq", S.entity_text(m), tmp, signer="mallory")), "5.7.1"),
            self.outbound_refused("stale", lambda m: S.pgp_mime(S.sign_encrypt(
                "gpg", S.entity_text(m), tmp,
                faked_time=time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() - 7300)))),
                "5.7.1"),
            self.outbound_refused("unsigned-epilogue", lambda m: S.pgp_mime(S.sign_encrypt(
                "gpg", S.signed_entity("gpg", S.entity_text(m), tmp) + b"Unsigned\r\n", tmp,
                signer=None)), "5.7.5"),
            self.outbound_refused("decompression-bomb", lambda m: S.pgp_mime(F.bomb()), "5.3.4"),
            self.outbound_refused("obsolete-from", lambda m: S.pgp_mime(S.sign_encrypt(
                "gpg", S.entity_text(m), tmp)).replace(
                b"\r\nTo: ", b"\r\nFrom : Mallory <mallory@evil.example>\r\nTo: ", 1), "5.7.1"),
        ]
        return tests

    def test_outbound_replay_across_restart(self):
        gw = self.gw
        mark = S.canary()
        msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(mark), self.tmp))
        with gw.arrivals():
            check(self.submit(gw, msg) is None, "first submission refused")
        gw.milter.stop()
        gw.start_milter()
        r = self.submit(gw, msg, sub=True)
        check(r is not None and r[0] == 550 and "5.7.1" in r[1] and "already sent" in r[1],
              "replay after a restart: %r" % (r,))

    def test_outbound_gateway_mail_inbound_not_decrypted(self):
        gw = self.gw
        mark = S.canary()
        msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(mark), self.tmp))
        with gw.arrivals() as msgs:
            s = smtplib.SMTP("127.0.0.1", gw.mta.port, timeout=60)
            s.sendmail("alice@example.org", ["alice@example.org"], msg)
            s.quit()
        _, got = msgs[0]
        check(mark.encode() not in got, "inbound mail to the gateway key was decrypted")
        check(b"X-Cryptmilter: skipped already-encrypted" in got, "not skipped")

    def test_outbound_local_and_external_split(self):
        """One submission to an external and a local recipient: the local
        one is deferred at RCPT (452 4.5.3); sent again alone, it arrives
        encrypted to its key; the external copy arrives decrypted."""
        gw = self.Gateway(self, "split-local", conf=dict(LocalDomains="example.org"))
        try:
            mark = S.canary()
            ent = S.entity_text(mark)
            msg = S.pgp_mime(S.sign_encrypt("gpg", ent, self.tmp))
            with gw.arrivals() as msgs:
                r = self.submit(gw, msg, rcpts=("x@ext.example", "bob@example.org"))
                check(r is not None and "bob@example.org" in r and r["bob@example.org"][0] == 452
                      and b"4.5.3" in r["bob@example.org"][1], "bob not deferred: %r" % (r,))
            env, got = msgs[0]
            check(env["rcpts"] == ["<x@ext.example>"], "envelope %r" % env)
            check(S.entity_of(got) == ent, "external copy not decrypted")
            # The client sends the same message again for bob: it is no
            # replay, as bob's copy is encrypted to his key, never let out.
            with gw.arrivals() as msgs:
                r = self.submit(gw, msg, rcpts=("bob@example.org",))
                check(r is None, "local recipient refused: %r" % (r,))
            env, got = msgs[0]
            check(env["rcpts"] == ["<bob@example.org>"], "envelope %r" % env)
            check(b"X-Cryptmilter: encrypted pgp-mime" in got, "local copy not encrypted")
            check_decrypts_only_for(got, "bob", self.tmp)
        finally:
            gw.stop()
