#!/usr/bin/env python3
"""Outbound S/MIME through cryptmilter-filter (SPEC §4): messages a user's
client signs (detached or opaque) and encrypts to the gateway's
certificate, made by `openssl cms` and `gpgsm`, decrypt to the exact
signed entity after the signature gate, and the kept signature still
verifies with `openssl cms -verify`. Every refusal of the OpenPGP gate has
its S/MIME twin here, with a canary that must not leave; mail enveloped
to others passes untouched."""
import base64
import os
import shutil
import subprocess

from harness import sender as S
from harness import smime_sender as M
from harness.daemon import Milter
from harness.filtcheck import passes, refused, run_filter
from harness.cmtest import args, check, run_tests, workdir, write_config
from harness.smime_oracles import CA, CERTS, SMIME

BIN = None
TMP = None
CONF = None


def conf(**keys):
    base = {"GatewayCertificates": " ".join(M.GATEWAY_FILES), "TrustAnchors": CA,
            "ReplayCache": os.path.join(TMP, "replay"), "KeyringDir": "none",
            "CertificateDir": CERTS}
    base.update(keys)
    path = os.path.join(TMP, "c-%d.conf" % len(os.listdir(TMP)))
    return write_config(path, **base)


def filt(message, sender="alice@example.org", to=("x@ext.example",), config=None,
         direction="outbound"):
    return run_filter(BIN, config or CONF, message, sender, to, direction)


def decrypted(out, entity, mark):
    check(S.field_values(out, "X-Cryptmilter") == [b"decrypted smime"], "trace %r"
          % S.field_values(out, "X-Cryptmilter"))
    got = S.entity_of(out)
    check(got == entity, "decrypted entity differs:\n%r\nwant\n%r" % (got[:400], entity[:400]))
    check(mark.encode() in M.verify(got), "the kept signature does not verify in openssl")


# ------------------------------------------------------------ decryption

def shape_case(shape, opaque, cert, cipher):
    def t():
        mark = S.canary()
        signed = M.sign(S.ENTITIES[shape](mark), opaque=opaque)
        out = passes(filt(M.message(M.encrypt(signed, cert, cipher))), shape)
        decrypted(out, signed, mark)
    kind = "opaque" if opaque else "detached"
    return ("decrypt/openssl/%s/%s/%s%s" % (shape, kind, os.path.basename(cert)[8:-4], cipher), t)


def test_protected_headers_of_the_sender_pass():
    """Protected headers inside the signed part naming the sender: they
    stay inside the kept signed entity, and the message goes out."""
    mark = S.canary()
    signed = M.sign(S.entity_protected(mark, "Real subject"))
    out = passes(filt(M.message(M.encrypt(signed), subject="...")), "protected")
    decrypted(out, signed, mark)
    check(S.field_values(out, "Subject") == [b"Real subject"],
          "outer Subject %r" % S.field_values(out, "Subject"))


def test_protected_headers_in_opaque_signed_data():
    """RFC 9788 protected fields inside opaque signed data inside the
    enveloped data (openssl cms -sign -nodetach, then -encrypt): the real
    Subject goes out, the signed data stays intact and verifies."""
    mark = S.canary()
    signed = M.sign(S.entity_hp(mark, "Opaque subject " + mark[-6:]), opaque=True)
    out = passes(filt(M.message(M.encrypt(signed), subject="[...]")), "opaque-hp")
    decrypted(out, signed, mark)
    check(S.field_values(out, "Subject") == [b"Opaque subject " + mark[-6:].encode()],
          "outer Subject %r" % S.field_values(out, "Subject"))


def test_gpgsm_signs_and_encrypts():
    """gpgsm's own opaque signature and encryption (sam, RSA, AES-CBC)."""
    mark = S.canary()
    signed, enveloped = M.gpgsm_sign_encrypt(S.entity_text(mark), who="sam")
    out = passes(filt(M.message(enveloped, sender="sam@example.org"), sender="sam@example.org"),
                 "gpgsm")
    decrypted(out, signed, mark)


def test_enveloped_to_others_passes():
    """Enveloped to sam only: not the gateway's, never decrypted."""
    mark = S.canary()
    msg = M.message(M.encrypt(M.sign(S.entity_text(mark)), os.path.join(CERTS, "sam.pem")))
    out = passes(filt(msg), "e2e")
    check(out == msg, "a message for sam was changed")


def test_inbound_never_decrypted():
    mark = S.canary()
    msg = M.message(M.encrypt(M.sign(S.entity_text(mark))))
    out = passes(filt(msg, to=("sam@example.org",), direction="inbound"), "inbound")
    check(mark.encode() not in out, "inbound mail decrypted")
    check(S.field_values(out, "X-Cryptmilter") == [b"skipped already-encrypted"], "trace")


def test_replay_refused():
    mark = S.canary()
    msg = M.message(M.encrypt(M.sign(S.entity_text(mark))))
    passes(filt(msg), "first")
    refused(filt(msg), mark, "550", "5.7.1", 69, "already sent once")


def test_rewrapped_replay_refused():
    """The same signature enveloped afresh (another cipher, another
    certificate): still a replay."""
    mark = S.canary()
    signed = M.sign(S.entity_text(mark), opaque=True)
    passes(filt(M.message(M.encrypt(signed))), "first")
    refused(filt(M.message(M.encrypt(signed, M.GATEWAY_EC, "-aes-256-gcm"))), mark, "550",
            "5.7.1", 69, "already sent once")


def _corrupt(enc, back):
    """enc with one byte of its DER flipped, back bytes from the end (in the
    encrypted content, before the trailing fields)."""
    head, body = enc.split(b"\r\n\r\n", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-back] ^= 0x55
    return head + b"\r\n\r\n" + base64.encodebytes(bytes(raw)).replace(b"\n", b"\r\n")


def test_corrupted_ciphertext_gcm():
    """AuthEnvelopedData whose ciphertext was changed: the tag fails, 5.7.5."""
    mark = S.canary()
    enc = M.encrypt(M.sign(S.entity_text(mark)), M.GATEWAY_EC, "-aes-256-gcm")
    refused(filt(M.message(_corrupt(enc, 60))), mark, "554", "5.7.5", 69, "cannot decrypt")


def test_corrupted_ciphertext_cbc():
    """EnvelopedData (CBC) changed: no integrity of its own, so it may
    decrypt to garbage; the signature gate refuses it (5.7.x, no canary)."""
    mark = S.canary()
    enc = M.encrypt(M.sign(S.entity_text(mark)))
    for back in (40, 400, 1200):
        r = filt(M.message(_corrupt(enc, back)))
        check(r.returncode == 69 and r.stdout == b"", "back %d: exit %d" % (back, r.returncode))
        check(b" 5.7." in r.stderr and mark.encode() not in r.stderr, "reply %r" % r.stderr)


def test_no_integrity_without_gate():
    """RequireSignature no: EnvelopedData (CBC) has no integrity of its own
    and is refused; AuthEnvelopedData (GCM) is decrypted."""
    c = conf(RequireSignature="no")
    mark = S.canary()
    refused(filt(M.message(M.encrypt(S.entity_text(mark))), config=c), mark, "554", "5.7.5",
            69, "integrity")
    ent = S.entity_text(mark)
    out = passes(filt(M.message(M.encrypt(ent, M.GATEWAY_EC, "-aes-256-gcm")), config=c), "gcm")
    check(S.entity_of(out) == ent, "GCM entity differs")


def test_gateway_file_readable_by_others_fails_closed():
    """A key file others may read: -n refuses it (the daemon does not
    start), and a message gets 4xx, never a pass or a decryption."""
    bad = os.path.join(TMP, "open.pem")
    shutil.copy(M.GATEWAY_FILES[0], bad)
    os.chmod(bad, 0o644)
    c = conf(GatewayCertificates=bad)
    r = subprocess.run([os.path.join(os.path.dirname(BIN), "cryptmilter"), "-n", "-c", c],
                       capture_output=True)
    check(r.returncode == 78, "-n exit %d" % r.returncode)
    check(b"others may access it" in r.stdout + r.stderr, "reason: %r" % (r.stdout + r.stderr))
    mark = S.canary()
    refused(filt(M.message(M.encrypt(M.sign(S.entity_text(mark)))), config=c), mark, "451",
            "4.3.0", 75, "Gateway decryption key unavailable")


def test_check_counts_gateway_certificates():
    r = subprocess.run([os.path.join(os.path.dirname(BIN), "cryptmilter"), "-n", "-c", CONF],
                       capture_output=True)
    check(r.returncode == 0, "-n exit %d: %r" % (r.returncode, r.stderr))
    check(b"# GatewayCertificates: 2 certificates with their keys; TrustAnchors: 1 certificates"
          in r.stdout, "report: %r" % r.stdout)


# ------------------------------------------------------------ the gate

def gate(name, make, code, xcode, text, sender="alice@example.org"):
    def t():
        mark = S.canary()
        refused(filt(make(mark), sender=sender), mark, code, xcode, 69, text)
    return ("refuse/" + name, t)


def _signed(m, **kw):
    return M.message(M.encrypt(M.sign(S.entity_text(m), **kw)))


def _tampered(m):
    signed = M.sign(S.entity_text(m))
    return M.message(M.encrypt(signed.replace(m.encode(), m.upper().encode(), 1)))


GATE = [
    gate("unsigned", lambda m: M.message(M.encrypt(S.entity_text(m))), "550", "5.7.1",
         "must be signed"),
    gate("wrong-signer", lambda m: _signed(m, who="sam"), "550", "5.7.1", "not yours"),
    gate("opaque-by-other", lambda m: _signed(m, who="sam", opaque=True), "550", "5.7.1",
         "is not for <alice@example.org>"),
    gate("unknown-signer", lambda m: _signed(m, who="outsider"), "550", "5.7.1",
         "not issued by a CA in the gateway's TrustAnchors"),
    gate("from-mismatch", lambda m: M.message(M.encrypt(M.sign(S.entity_text(m))),
                                              frm="Boss <boss@example.org>"),
         "550", "5.7.1", "From: address"),
    gate("protected-from-mismatch", lambda m: M.message(M.encrypt(M.sign(
        S.entity_protected(m, "x", frm="Boss <boss@example.org>")))), "550", "5.7.1",
        "From: address"),
    # A NUL in a field of the signed part's header before its protected
    # From: a header that cannot be read is refused, never passed over.
    gate("protected-header-unreadable", lambda m: M.message(M.encrypt(M.sign(
        S.entity_protected(m, "x", frm="Boss <boss@example.org>").replace(
            b"From:", b"X-Pad: \x00\r\nFrom:", 1)))), "554", "5.6.0", "cannot be parsed"),
    gate("stale", lambda m: _signed(m, shift="-7300s"), "550", "5.7.1", "2h old"),
    gate("future", lambda m: _signed(m, shift="+3600s"), "550", "5.7.1", "in the future"),
    gate("no-signing-time", lambda m: _signed(m, noattr=True), "550", "5.7.7",
         "no signing time"),
    gate("expired-certificate", lambda m: _signed(m, who="old"), "550", "5.7.7",
         "certificate has expired"),
    gate("tampered", _tampered, "550", "5.7.7", "does not verify"),
]


# ------------------------------------------------------------ revocation

CRL = os.path.join(SMIME, "crl.pem")                # revokes signers/revoked.pem
CA_CRL = os.path.join(SMIME, "ca-crl.pem")          # the CA and that CRL, one bundle
CRL_EXPIRED = os.path.join(SMIME, "crl-expired.pem")
REVOKED = "revoked@example.org"


def _by(who, m, **kw):
    """m signed by who@example.org (From: and envelope sender his), for the gateway."""
    addr = "%s@example.org" % who
    return M.message(M.encrypt(M.sign(S.entity_text(m), who=who, **kw)), sender=addr)


def _bad_signature_crl():
    """crl.pem with one byte of its signature flipped."""
    der = subprocess.run(["openssl", "crl", "-in", CRL, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    bad = bytearray(der)
    bad[-10] ^= 0x55
    path = os.path.join(TMP, "crl-badsig.pem")
    with open(path, "wb") as f:
        f.write(b"-----BEGIN X509 CRL-----\n" + base64.encodebytes(bytes(bad))
                + b"-----END X509 CRL-----\n")
    return path


def test_revoked_signer_refused_trustcrls():
    """TrustCRLs holds the CA's CRL revoking the signer: 550 5.7.7, saying
    what was revoked and why."""
    mark = S.canary()
    r = filt(_by("revoked", mark), sender=REVOKED, config=conf(TrustCRLs=CRL))
    refused(r, mark, "550", "5.7.7", 69, "your certificate is revoked since ")
    check(b"(key compromise)" in r.stderr, "reason not named: %r" % r.stderr)


def test_revoked_signer_refused_crl_in_anchors():
    """TrustCRLs not set: the CRL in the TrustAnchors bundle is used."""
    mark = S.canary()
    refused(filt(_by("revoked", mark, opaque=True), sender=REVOKED, config=conf(TrustAnchors=CA_CRL)),
            mark, "550", "5.7.7", 69, "your certificate is revoked")


def test_revoked_sub_ca_refused():
    """The signer's certificate is good, the sub-CA that issued it is
    revoked by the root's CRL (CRL_CHECK_ALL): 550 5.7.7, and it says so.
    The sub-CA has no CRL of its own: the signer is not checked further."""
    mark = S.canary()
    r = filt(_by("subsigner", mark), sender="subsigner@example.org", config=conf(TrustCRLs=CRL))
    refused(r, mark, "550", "5.7.7", 69, "the CA certificate that issued yours is revoked since ")
    check(b"(CA compromise)" in r.stderr, "reason not named: %r" % r.stderr)
    passes(filt(_by("subsigner", mark), sender="subsigner@example.org"), "no CRL: chain good")


def test_revoked_signer_without_crl_passes():
    """No CRL configured: revocation is not checked (as documented), the
    revoked signer's message goes out."""
    mark = S.canary()
    passes(filt(_by("revoked", mark), sender=REVOKED), "no CRL")


def test_crl_of_another_ca_only():
    """A CRL only for another CA: the signers' CA has none, so they are not
    checked (passes), rather than every signer failing for want of one."""
    other = os.path.join(SMIME, "other-ca.pem")
    bundle = os.path.join(TMP, "two-cas.pem")
    with open(bundle, "wb") as f:
        f.write(open(CA, "rb").read() + open(other, "rb").read())
    c = conf(TrustAnchors=bundle, TrustCRLs=os.path.join(SMIME, "other-ca-crl.pem"))
    passes(filt(_by("revoked", S.canary()), sender=REVOKED, config=c), "other CA's CRL")


def test_good_signer_with_current_crl_passes():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark))
    out = passes(filt(M.message(M.encrypt(signed)), config=conf(TrustCRLs=CRL)), "current CRL")
    decrypted(out, signed, mark)


def test_expired_crl_is_4xx():
    """A CRL past its nextUpdate: the gateway cannot tell, 451 4.3.0 (the
    MTA keeps the message until the CRL is replaced), never a pass."""
    mark = S.canary()
    c = conf(TrustCRLs=CRL_EXPIRED)
    refused(filt(_signed(mark), config=c), mark, "451", "4.3.0", 75, "revocation list")
    refused(filt(_by("revoked", mark), sender=REVOKED, config=c), mark, "451", "4.3.0", 75)


def test_crl_with_bad_signature_is_4xx():
    mark = S.canary()
    refused(filt(_signed(mark), config=conf(TrustCRLs=_bad_signature_crl())), mark, "451",
            "4.3.0", 75, "revocation list")


def test_trustcrls_unreadable():
    """TrustCRLs that cannot be read: -n says so and exits 78; a message
    gets 451 4.3.0, never a pass."""
    c = conf(TrustCRLs=os.path.join(TMP, "no-such-crl.pem"))
    r = subprocess.run([os.path.join(os.path.dirname(BIN), "cryptmilter"), "-n", "-c", c],
                       capture_output=True)
    check(r.returncode == 78, "-n exit %d" % r.returncode)
    check(b"TrustCRLs" in r.stdout + r.stderr and b"No such file" in r.stdout + r.stderr,
          "reason: %r" % (r.stdout + r.stderr))
    mark = S.canary()
    refused(filt(_signed(mark), config=c), mark, "451", "4.3.0", 75, "revocation list")


def _put(src, dst):
    """src's bytes at dst, through a new file renamed over it (as a CRL
    fetcher run by cron would)."""
    tmp = dst + ".new"
    shutil.copy(src, tmp)
    os.replace(tmp, dst)


def test_daemon_reads_a_new_crl_without_sighup():
    """Through the milter protocol: the daemon reads TrustCRLs again when
    the file changes. A CRL for another CA only: the revoked signer passes;
    the CRL revoking him renamed over it: 550 5.7.7; an out-of-date one:
    451 4.3.0; no SIGHUP in between."""
    watched = os.path.join(TMP, "watched-crl.pem")
    _put(os.path.join(SMIME, "other-ca-crl.pem"), watched)
    m = Milter(os.path.dirname(BIN), TMP, "crl", GatewayCertificates=" ".join(M.GATEWAY_FILES),
               TrustAnchors=CA, TrustCRLs=watched, InternalHosts="127.0.0.1/32",
               ReplayCache=os.path.join(TMP, "replay-crl"), KeyringDir="none",
               CertificateDir=CERTS)
    try:
        def send(msg, sender):
            return m.send(sender, ["x@ext.example"], msg, client_addr="127.0.0.1")["reply"]
        mark = S.canary()
        reply = send(_by("revoked", mark), REVOKED)
        check(reply[0] in (b"c", b"a"), "other CA's CRL: %r" % (reply,))
        _put(CRL, watched)
        mark = S.canary()
        reply = send(_by("revoked", mark), REVOKED)
        check(reply[0] == b"y" and reply[1].startswith("550 5.7.7 ")
              and "your certificate is revoked" in reply[1] and mark not in reply[1],
              "new CRL not read: %r" % (reply,))
        _put(CRL_EXPIRED, watched)
        reply = send(_signed(S.canary()), "alice@example.org")
        check(reply[0] == b"y" and reply[1].startswith("451 4.3.0 "), "expired: %r" % (reply,))
        m.wait_log(b"TrustAnchors or TrustCRLs changed")
    finally:
        m.stop()


def test_check_warns_cbc_refused_without_signature():
    """-n with GatewayCertificates and RequireSignature no warns that CBC
    (EnvelopedData) will be refused; with RequireSignature yes it does not."""
    cm = os.path.join(os.path.dirname(BIN), "cryptmilter")
    r = subprocess.run([cm, "-n", "-c", conf(RequireSignature="no")], capture_output=True)
    check(r.returncode == 0, "-n exit %d: %r" % (r.returncode, r.stderr))
    check(b"enveloped-data (AES-CBC" in r.stderr and b"refused 554 5.7.5" in r.stderr,
          "no CBC warning: %r" % r.stderr)
    r = subprocess.run([cm, "-n", "-c", CONF], capture_output=True)
    check(r.returncode == 0 and b"AES-CBC" not in r.stderr, "warning with RequireSignature yes")


def main():
    global BIN, TMP, CONF
    BIN = os.path.join(args().bindir, "cryptmilter-filter")
    TMP = workdir()
    CONF = conf()
    tests = [shape_case(s, False, M.GATEWAY_RSA, "-aes256") for s in S.ENTITIES]
    tests += [shape_case(s, True, M.GATEWAY_EC, "-aes-256-gcm") for s in S.ENTITIES]
    tests += [shape_case("text", True, M.GATEWAY_RSA, "-aes-256-gcm"),
              shape_case("alternative", False, M.GATEWAY_EC, "-aes256")]
    tests += GATE
    tests += [(n[len("test_"):], f) for n, f in sorted(globals().items())
              if n.startswith("test_") and callable(f)]
    run_tests(tests)


if __name__ == "__main__":
    main()
