#!/usr/bin/env python3
"""What leaves after decryption is exactly what a signature covers (SPEC
§4.2), through cryptmilter-filter, for OpenPGP under the backend the suite
runs with and for S/MIME:

- S/MIME AES-CBC is malleable: an attacker who holds the ciphertext (and
  knows one plaintext block, the first is "Content-Type: mu") appends blocks
  of their choice to a real `openssl cms -encrypt -aes256` message; the
  decrypted entity then carries text after the signed structure. Refused,
  554 5.7.5, nothing written; the untouched message still passes.
- Text the sender's client put beside the signed part (header fields,
  preamble, epilogue, around the signature) is refused the same way; the
  sentence mail programs write as a preamble is not sender content.
- Decryption is bounded (MaxDecryptedSize): a compression bomb to the
  gateway is stopped at the bound, 552 5.3.4, and nothing past the bound is
  ever written to the spool.
- A second or obsolete originator field (From :) is refused, 550 5.7.1.
"""
import os
import threading
import time

from harness import forge as F
from harness import pgpcraft as P
from harness import sender as S
from harness import smime_sender as M
from harness.cmrun import BACKEND
from harness.filtcheck import passes, refused, run_filter
from harness.cmtest import args, check, run_tests, workdir, write_config
from harness.smime_oracles import CA, CERTS

BIN = None
TMP = None


def conf(**keys):
    base = {"GatewayKeys": S.gateway_fpr(), "GatewayCertificates": " ".join(M.GATEWAY_FILES),
            "TrustAnchors": CA, "CertificateDir": CERTS,
            "SpoolDir": TMP}
    n = len(os.listdir(TMP))
    # A cache of its own: an attacker who drops the original sends only the
    # forgery, and no case here is about replays.
    base["ReplayCache"] = os.path.join(TMP, "replay-%d" % n)
    base.update(keys)
    path = os.path.join(TMP, "c-%d.conf" % n)
    return write_config(path, **base)


def filt(message, config=None, sender="alice@example.org"):
    return run_filter(BIN, config or conf(), message, sender, ("x@ext.example",))


def _plain(mark):
    return S.entity_text(mark)


def _ago(seconds):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() - seconds))


def decrypted(out, entity):
    check(S.field_values(out, "X-Cryptmilter") == [b"decrypted pgp-mime"], "trace")
    check(S.entity_of(out) == entity, "decrypted entity differs")


def uncovered(r, mark, text):
    refused(r, mark, "554", "5.7.5", 69, text)


# ------------------------------------------------------------ S/MIME

def test_smime_cbc_blocks_appended_by_an_attacker():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark))
    check(signed.startswith(b"Content-Type: mu"), "first block %r" % signed[:16])
    der = F.smime_der(signed)
    chosen = b"\r\nWIRE $9,999!!\x01"
    forged = F.cbc_append(der, signed[:16], chosen)
    # The forgery decrypts (with the gateway's key) to the signed entity and
    # the attacker's text: proof that the test appends what it says.
    plain = M._run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-recip",
                    M.GATEWAY_FILES[0]], forged)
    check(plain.startswith(signed) and plain.endswith(chosen[:-1]), "forgery does not decrypt "
          "to the entity and the chosen block: %r" % plain[-40:])
    uncovered(filt(S.outer_header() + F.smime_entity(forged)), mark, "epilogue")
    # The untouched message passes, and is the signed entity.
    out = passes(filt(S.outer_header() + F.smime_entity(der)), "untouched")
    check(S.entity_of(out) == signed, "untouched message not decrypted to its entity")


def test_smime_epilogue_written_by_the_sender():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark)) + b"Unsigned words after the signed part\r\n"
    uncovered(filt(M.message(M.encrypt(signed))), mark, "epilogue")


def test_smime_preamble_text():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark))
    head, _, body = signed.partition(b"\r\n\r\n")
    check(body.startswith(b"This is an S/MIME signed message"), "openssl's preamble %r" % body[:40])
    forged = head + b"\r\n\r\nPay the invoice below.\r\n" + body
    uncovered(filt(M.message(M.encrypt(forged))), mark, "preamble")


def test_smime_header_field_outside_the_signed_part():
    mark = S.canary()
    signed = b"Subject: not signed\r\n" + M.sign(S.entity_text(mark))
    uncovered(filt(M.message(M.encrypt(signed))), mark, "Subject")


def test_smime_opaque_trailing_data():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark), opaque=True)
    # Another base64 line after the SignedData: bytes after the element.
    uncovered(filt(M.message(M.encrypt(signed + b"QUJDREVGR0g=\r\n"))), mark, "after the signed data")
    # Text that is no base64 at all.
    uncovered(filt(M.message(M.encrypt(signed + b"\r\nUnsigned text\r\n"))), mark,
              "after the signed data")


def test_smime_opaque_wrapper_rewritten_by_an_attacker():
    """openssl's opaque wrapper begins with a fixed block, so a new IV
    rewrites it at will (no key needed): it is refused whatever it makes."""
    mark = S.canary()
    signed = M.sign(S.entity_text(mark), opaque=True)
    check(signed.startswith(b"Content-Disposit"), "first block %r" % signed[:16])
    der = F.smime_der(signed)
    passes(filt(S.outer_header() + F.smime_entity(der)), "untouched opaque")
    for chosen, word in ((b"Content-ID: PAY ", "Content-ID"),
                         (b"Content-Descript", "Content-Description")):
        forged = F.cbc_first_block(der, signed[:16], chosen)
        uncovered(filt(S.outer_header() + F.smime_entity(forged)), mark, word)


def test_smime_signature_part_words():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark))
    check(b"Content-Disposition: attachment; filename=\"smime.p7s\"" in signed, "openssl's part")
    forged = signed.replace(b"Content-Disposition: attachment; filename=\"smime.p7s\"",
                            b"Content-Disposition: attachment; filename=\"WIRE9999.exe\"")
    uncovered(filt(M.message(M.encrypt(forged))), mark, "Content-Disposition")
    forged = signed.replace(b"Content-Disposition:", b"Content-Description: WIRE 9999 EUR NOW\r\n"
                            b"Content-Disposition:")
    uncovered(filt(M.message(M.encrypt(forged))), mark, "Content-Description")


def test_smime_opaque_header_field():
    mark = S.canary()
    signed = b"Subject: not signed\r\n" + M.sign(S.entity_text(mark), opaque=True)
    uncovered(filt(M.message(M.encrypt(signed))), mark, "Subject")


# ------------------------------------------------------------ OpenPGP

def _pgp_signed(mark, **kw):
    """An inner RFC 3156 multipart/signed, encrypted without a signature of
    its own: the inner signature is all that covers it."""
    return S.signed_entity("gpg", S.entity_text(mark), TMP, **kw)


def _enc(entity):
    return S.pgp_mime(S.sign_encrypt("gpg", entity, TMP, signer=None))


def test_pgp_signed_then_encrypted_passes():
    mark = S.canary()
    ent = _pgp_signed(mark)
    out = passes(filt(_enc(ent)), "signed then encrypted")
    check(S.entity_of(out) == ent, "not decrypted to the entity")


# Unsigned text the sender's client could put beside an inner signed part:
# (case, how the signed entity is changed, the word the reason must name).
PGP_UNCOVERED = [
    ("epilogue", lambda e: e + b"Unsigned epilogue\r\n", "epilogue"),
    ("preamble", lambda e: e.replace(b"This is an OpenPGP/MIME signed message",
                                     b"Unsigned words, shown by old readers"), "preamble"),
    ("header-field", lambda e: b"Content-Description: unsigned\r\n" + e, "Content-Description"),
    ("beside-the-signature", lambda e: e.replace(
        b"-----END PGP SIGNATURE-----", b"-----END PGP SIGNATURE-----\r\nUnsigned postscript"),
     "beside the signature"),
    ("inside-the-armor", lambda e: e.replace(
        b"-----END PGP SIGNATURE-----", b"WIRE 9999 EUR NOW\r\n-----END PGP SIGNATURE-----"),
     "beside the signature"),
    ("armor-comment", lambda e: e.replace(
        b"-----BEGIN PGP SIGNATURE-----\r\n", b"-----BEGIN PGP SIGNATURE-----\r\n"
        b"Comment: WIRE 9999 EUR NOW\r\n", 1), "beside the signature"),
    ("signature-part-description", lambda e: e.replace(
        b"Content-Type: application/pgp-signature", b"Content-Description: WIRE 9999 EUR NOW\r\n"
        b"Content-Type: application/pgp-signature"), "Content-Description"),
    ("second-content-type", lambda e: e.replace(
        b"\r\n\r\n", b"\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n", 1),
     "Content-Type"),
    ("type-parameter", lambda e: e.replace(
        b"boundary=\"sig-b\"", b"boundary=\"sig-b\"; x-note=\"WIRE 9999\"", 1), "Content-Type"),
]


def pgp_uncovered_case(name, change, word):
    def t():
        mark = S.canary()
        ent = _pgp_signed(mark)
        forged = change(ent)
        check(forged != ent, "the case changes nothing")
        uncovered(filt(_enc(forged)), mark, word)
    return ("pgp_uncovered/" + name, t)


def test_pgp_protected_fields_on_both_pass_and_differing_refused():
    mark = S.canary()
    inner = S.entity_protected(mark, "Quarterly figures")
    sig = S.signed_entity("gpg", inner, TMP)
    same = b"Subject: Quarterly figures\r\n" + sig
    passes(filt(_enc(same)), "protected Subject equal to the signed part's")
    other = b"Subject: Send the money\r\n" + sig
    uncovered(filt(_enc(other)), mark, "Subject")


def test_pgp_sign_and_encrypt_covers_everything():
    """One signature made with the encryption covers the whole plaintext:
    an epilogue the sender wrote is theirs, signed."""
    mark = S.canary()
    ent = _pgp_signed(mark) + b"Signed epilogue\r\n"
    out = passes(filt(S.pgp_mime(S.sign_encrypt("gpg", ent, TMP))), "sign+encrypt")
    check(S.entity_of(out) == ent, "not decrypted to the entity")


# ------------------------------------------------------------ bounds

def _spool_peak(spool, stop, peak):
    while not stop.is_set():
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                for fd in os.listdir("/proc/%s/fd" % pid):
                    try:
                        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
                        if t.startswith(spool):
                            total = max(total, os.stat("/proc/%s/fd/%s" % (pid, fd)).st_size)
                    except OSError:
                        pass
            except OSError:
                pass
        peak[0] = max(peak[0], total)
        time.sleep(0.01)


def test_decompression_bomb_stopped_at_the_bound():
    armor = F.bomb()
    spool = os.path.join(TMP, "spool-bomb")
    os.mkdir(spool)
    limit = 4 << 20
    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=_spool_peak, args=(spool, stop, peak))
    watcher.start()
    try:
        t0 = time.monotonic()
        r = filt(S.pgp_mime(armor), conf(SpoolDir=spool, MaxDecryptedSize="4M",
                                         MemoryBufferSize="64K"))
        took = time.monotonic() - t0
    finally:
        stop.set()
        watcher.join()
    refused(r, "\0\0\0\0", "552", "5.3.4", 69, "larger than the gateway accepts")
    check(peak[0] <= limit, "the spool held %d bytes, over MaxDecryptedSize" % peak[0])
    print("    bomb: refused in %.2f s, spool peak %d bytes" % (took, peak[0]))


def test_default_bound_is_max_message_size():
    armor = F.bomb()
    r = filt(S.pgp_mime(armor), conf(MaxMessageSize="8M"))
    refused(r, "\0\0\0\0", "552", "5.3.4", 69)


def test_smime_plaintext_bound():
    mark = S.canary()
    big = S.crlf(("Content-Type: text/plain\n\n%s\n" % mark).encode() + b"x" * (300 << 10))
    r = filt(M.message(M.encrypt(M.sign(big))), conf(MaxDecryptedSize="256K"))
    refused(r, mark, "552", "5.3.4", 69)


# ------------------------------------------------------------ originators

def test_second_or_obsolete_originator_refused():
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(mark), TMP))
    for name, field in [("obsolete From", b"From : Mallory <mallory@evil.example>"),
                        ("obsolete from, tab", b"from\t: mallory@evil.example"),
                        ("obsolete Sender", b"Sender : mallory@evil.example"),
                        ("obsolete Reply-To", b"Reply-To  : mallory@evil.example"),
                        ("two Reply-To", b"Reply-To: a@example.org\r\nReply-To: b@evil.example")]:
        forged = msg.replace(b"\r\nTo: ", b"\r\n" + field + b"\r\nTo: ", 1)
        check(forged != msg, name)
        try:
            refused(filt(forged), mark, "550", "5.7.1", 69, "From, Sender or Reply-To")
        except Exception as e:
            raise type(e)("%s: %s" % (name, e))
    passes(filt(msg.replace(b"\r\nTo: ", b"\r\nReply-To: alice@example.org\r\nTo: ", 1)),
           "one Reply-To")


# ------------------------------------------------------------ what gpg says (issue 22)
# Messages built packet by packet (pgpcraft): inside the encryption to the
# gateway there must be one signed message, optionally compressed; anything
# else is 554 5.7.5, as is a gateway session key packet that does not
# decrypt; only the gateway's own key failing is 4xx.

def test_crafted_signed_message_passes():
    """The control: what the cases below break passes when it is whole."""
    for wrap in (lambda x: x, P.compressed):
        ent = _plain(S.canary())
        decrypted(passes(filt(P.pgp_mime(wrap(P.signed(ent)))), "crafted signed"), ent)


def test_damaged_gateway_pkesk_beside_another_recipient():
    """gpg says NO_SECKEY for the outsider's packet, which it never tried:
    no reason to blame the gateway's key."""
    mark = S.canary()
    data = P.dearmor(S.sign_encrypt("gpg", _plain(mark), TMP,
                                   to=[S.gateway_fpr(), "outsider@example.com"]))
    r = filt(S.pgp_mime(P.armor(P.damage_gateway_pkesk(data))))
    refused(r, mark, "554", "5.7.5", 69, "cannot decrypt")


def test_junk_gateway_pkesk_beside_another_recipient():
    """Anyone can put one in front of a message for someone else: junk, or
    cut short (gpg cannot even read it: NODATA)."""
    for junk in (b"\x01\x07\x40" + os.urandom(32) + b"\x30" + os.urandom(48), b"\x00\x08\x40"):
        mark = S.canary()
        r = filt(S.pgp_mime(P.armor(P.junk_gateway_pkesk(junk, P.signed(_plain(mark))))))
        refused(r, mark, "554", "5.7.5", 69, "cannot decrypt")


def test_expired_signature_is_a_signature_verdict():
    """gpg (--batch) stops at the expired signature, before the MDC; the
    data it covers is whole, and the answer is the signature's."""
    mark = S.canary()
    ent = _plain(mark)
    armor = S._gpg(["--sign", "-u", "alice@example.org", "--default-sig-expire", "seconds=60",
                    "--encrypt", "-r", S.gateway_fpr()], ent, TMP, faked_time=_ago(600))
    refused(filt(S.pgp_mime(armor)), mark, "550", "5.7.7", 69, "the signature has expired")
    out = passes(filt(S.pgp_mime(armor), config=conf(RequireSignature="no")), "no gate")
    decrypted(out, ent)


def _stream_refused(make):
    def t():
        mark = S.canary()
        refused(filt(P.pgp_mime(make(_plain(mark)))), mark, "554", "5.7.5", 69, "cannot decrypt")
    return t


for _n, _f in P.STREAMS.items():
    globals()["test_stream_" + _n.replace("-", "_")] = _stream_refused(_f)


def test_crafted_unsigned_literal_is_unsigned():
    """Plain literal data, no signature: unsigned, as a client that does
    not sign makes it (the inner multipart/signed shape is nested_case)."""
    mark = S.canary()
    refused(filt(P.pgp_mime(P.literal(_plain(mark)))), mark, "550", "5.7.1", 69, "must be signed")


def test_backends_agree_on_odd_packet_streams():
    """Issue 22, item 4: inside one encryption to the gateway, packets after
    a complete signed message, a message nested in the message, and a
    one-pass signature without its signature got different answers from
    the two backends. Decryption is gpg-agent's under both: one answer."""
    mark = S.canary()
    signed = P.signed(_plain(mark))
    check(P.packets(signed)[-1][0] == 2, "gpg's signed message does not end with its signature")
    shapes = {
        "packets after the signed message": signed + P.literal(("more " + mark).encode()),
        "nested message": P.message(signed),
        "one-pass signature without its signature": signed[:len(signed) - len(P.packets(signed)[-1][1])],
    }
    for i, (name, packets) in enumerate(shapes.items()):
        msg = P.pgp_mime(packets)
        got = []
        for backend in ("gpgme", "rnp"):       # a replay cache each: the same message twice
            r = filt(msg, config=conf(OpenPGPBackend=backend,
                                      ReplayCache=os.path.join(TMP, "replay-odd-%d-%s" % (i, backend))))
            err = r.stderr.decode()
            reply = [w for w in err.split() if len(w) == 5 and w[1] == "." and w[3] == "."]
            got.append((r.returncode, reply[:1], r.stdout))
        check(got[0] == got[1], "%s: gpgme %r, rnp %r" % (name, got[0][:2], got[1][:2]))
        check(got[0][0] != 0, "%s: passed" % name)


def main():
    global BIN, TMP
    BIN = os.path.join(args().bindir, "cryptmilter-filter")
    TMP = workdir()
    tests = [pgp_uncovered_case(*c) for c in PGP_UNCOVERED]
    tests += [(n[len("test_"):], f) for n, f in sorted(globals().items())
              if n.startswith("test_") and callable(f)]
    print("backend %s" % BACKEND)
    run_tests(tests)


if __name__ == "__main__":
    main()
