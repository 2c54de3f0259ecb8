"""Messages an attacker (or a careless client) makes, for the outbound
signed-coverage and size cases (SPEC §4.2): blocks appended to real S/MIME
AES-CBC ciphertext without the key, and a compression bomb encrypted to the
gateway. Shared by test_coverage (the filter) and the MTA suites."""
import base64
import os
import subprocess

from . import sender as S
from . import smime_sender as M
from .cmrun import KEYRING, check


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


def cbc_first_block(der, known_first_block, chosen):
    """EnvelopedData with AES-CBC content whose first plaintext block is
    known: a new IV makes it decrypt to chosen (16 bytes), nothing else
    changed, no key needed."""
    tree = _parse(der)
    eci = _find(tree, lambda n: n[0] == 0x30 and isinstance(n[1], list) and len(n[1]) == 3
                and n[1][0][0] == 0x06 and n[1][2][0] == 0x80)
    check(eci is not None, "no EncryptedContentInfo with primitive content in openssl's output")
    iv = eci[1][1][1][1][1]
    eci[1][1][1][1][1] = bytes(a ^ b ^ c for a, b, c in zip(known_first_block, iv, chosen))
    return _encode(tree)


def smime_entity(der):
    b64 = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return (b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" + b64)


def smime_der(entity, cipher="-aes256"):
    return M._run(["openssl", "cms", "-encrypt", "-binary", "-outform", "DER", cipher,
                   M.GATEWAY_RSA], entity)


def bomb():
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
