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
import base64
import os
import subprocess
import threading
import time

import sender as S
import smime_sender as M
from cmrun import BACKEND, KEYRING
from filtcheck import passes, refused, run_filter
from cmtest import args, check, run_tests, workdir, write_config
from smime_oracles import CA, CERTS

BIN = None
TMP = None


def conf(**keys):
    base = {"GatewayKeys": S.gateway_fpr(), "GatewayCertificates": " ".join(M.GATEWAY_FILES),
            "TrustAnchors": CA, "CertificateDir": CERTS,
            "ReplayCache": os.path.join(TMP, "replay"), "SpoolDir": TMP}
    base.update(keys)
    path = os.path.join(TMP, "c-%d.conf" % len(os.listdir(TMP)))
    return write_config(path, **base)


def filt(message, config=None, sender="alice@example.org"):
    return run_filter(BIN, config or conf(), message, sender, ("x@ext.example",))


def uncovered(r, mark, text):
    refused(r, mark, "554", "5.7.5", 69, text)


# ------------------------------------------------------------ DER, by hand

def _tlv(data, pos):
    """(tag, header length, content length) of the DER element at pos."""
    tag, n = data[pos], data[pos + 1]
    if n < 0x80:
        return tag, 2, n
    k = n & 0x7f
    check(k > 0, "indefinite length in openssl's DER output")
    return tag, 2 + k, int.from_bytes(data[pos + 2:pos + 2 + k], "big")


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _parse(data, pos=0, end=None):
    """A DER tree: [tag, children] for constructed elements, [tag, bytes]."""
    end = len(data) if end is None else end
    out = []
    while pos < end:
        tag, hl, cl = _tlv(data, pos)
        body = data[pos + hl:pos + hl + cl]
        out.append([tag, _parse(body) if tag & 0x20 else body])
        pos += hl + cl
    return out


def _encode(tree):
    out = b""
    for tag, v in tree:
        body = _encode(v) if isinstance(v, list) else v
        out += bytes([tag]) + _der_len(len(body)) + body
    return out


def _find(tree, pred):
    for node in tree:
        if pred(node):
            return node
        if isinstance(node[1], list):
            hit = _find(node[1], pred)
            if hit is not None:
                return hit
    return None


def cbc_append(der, known_first_block, chosen):
    """EnvelopedData with AES-CBC content: append the blocks that make the
    plaintext end in chosen (16 bytes, its own PKCS#7 padding last), as an
    attacker would: D(C1) = P1 ^ IV is known, so X = P1 ^ IV ^ chosen
    followed by C1 decrypts, after one garbage block, to chosen."""
    tree = _parse(der)
    eci = _find(tree, lambda n: n[0] == 0x30 and isinstance(n[1], list) and len(n[1]) == 3
                and n[1][0][0] == 0x06 and n[1][2][0] == 0x80)
    check(eci is not None, "no EncryptedContentInfo with primitive content in openssl's output")
    iv = eci[1][1][1][1][1]
    ct = eci[1][2][1]
    check(len(iv) == 16 and len(ct) % 16 == 0, "not AES-CBC")
    x = bytes(a ^ b ^ c for a, b, c in zip(known_first_block, iv, chosen))
    eci[1][2][1] = ct + x + ct[:16]
    return _encode(tree)


def smime_entity(der):
    b64 = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return (b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" + b64)


def smime_der(entity, cipher="-aes256"):
    return M._run(["openssl", "cms", "-encrypt", "-binary", "-outform", "DER", cipher,
                   M.GATEWAY_RSA], entity)


# ------------------------------------------------------------ S/MIME

def test_smime_cbc_blocks_appended_by_an_attacker():
    mark = S.canary()
    signed = M.sign(S.entity_text(mark))
    check(signed.startswith(b"Content-Type: mu"), "first block %r" % signed[:16])
    der = smime_der(signed)
    # The untouched message passes, and is the signed entity.
    out = passes(filt(S.outer_header() + smime_entity(der)), "untouched")
    check(S.entity_of(out) == signed, "untouched message not decrypted to its entity")
    chosen = b"\r\nWIRE $9,999!!\x01"
    forged = cbc_append(der, signed[:16], chosen)
    # The forgery decrypts (with the gateway's key) to the signed entity and
    # the attacker's text: proof that the test appends what it says.
    plain = M._run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-recip",
                    M.GATEWAY_FILES[0]], forged)
    check(plain.startswith(signed) and plain.endswith(chosen[:-1]), "forgery does not decrypt "
          "to the entity and the chosen block: %r" % plain[-40:])
    uncovered(filt(S.outer_header() + smime_entity(forged)), mark, "epilogue")


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


def test_pgp_epilogue():
    mark = S.canary()
    uncovered(filt(_enc(_pgp_signed(mark) + b"Unsigned epilogue\r\n")), mark, "epilogue")


def test_pgp_preamble():
    mark = S.canary()
    ent = _pgp_signed(mark).replace(b"This is an OpenPGP/MIME signed message",
                                    b"Unsigned words, shown by old readers")
    uncovered(filt(_enc(ent)), mark, "preamble")


def test_pgp_header_field_outside_the_signed_part():
    mark = S.canary()
    uncovered(filt(_enc(b"Content-Description: unsigned\r\n" + _pgp_signed(mark))), mark,
              "Content-Description")


def test_pgp_text_beside_the_signature():
    mark = S.canary()
    ent = _pgp_signed(mark).replace(b"-----END PGP SIGNATURE-----",
                                    b"-----END PGP SIGNATURE-----\r\nUnsigned postscript")
    uncovered(filt(_enc(ent)), mark, "beside the signature")


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

def _bomb():
    """1 GiB of zeros, compressed and encrypted to the gateway key (about
    1 MiB), made once per keyring and shared by the suites' runs."""
    path = os.path.join(KEYRING, "bomb-%s.asc" % S.gateway_fpr())
    if not os.path.exists(path):
        tmp = "%s.%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            gpg = subprocess.Popen(["gpg", "--homedir", os.path.join(KEYRING, "gnupg"), "--batch",
                                    "--trust-model", "always", "--compress-algo", "zlib", "-z",
                                    "9", "-a", "-r", S.gateway_fpr(), "--encrypt"],
                                   stdin=subprocess.PIPE, stdout=f)
            zeros = b"\0" * (1 << 20)
            for _ in range(1024):
                gpg.stdin.write(zeros)
            gpg.stdin.close()
            check(gpg.wait() == 0, "gpg could not make the bomb")
        os.rename(tmp, path)
    with open(path, "rb") as f:
        return f.read()


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
    armor = _bomb()
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
    armor = _bomb()
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


def main():
    global BIN, TMP
    BIN = os.path.join(args().bindir, "cryptmilter-filter")
    TMP = workdir()
    tests = [(n[len("test_"):], f) for n, f in sorted(globals().items())
             if n.startswith("test_") and callable(f)]
    print("backend %s" % BACKEND)
    run_tests(tests)


if __name__ == "__main__":
    main()
