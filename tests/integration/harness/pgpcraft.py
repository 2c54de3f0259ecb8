"""OpenPGP messages to the gateway built packet by packet, as an attacker or
a broken client would: any packet stream inside one encryption (SEIPD v1
with its MDC, RFC 4880 5.13), and session key packets damaged or made up.

gpg makes the parts: the session key packets (PKESK) of a message it
encrypts to the gateway and to the outsider, whose secret key is the
attacker's own; the outsider's gpg tells the session key, as the sender of
a message knows it. The stream is encrypted with openssl (AES in plain CFB
mode with a zero IV is what SEIPD v1 is) and its MDC computed here."""
import hashlib
import os
import subprocess
import zlib

from . import sender as S
from .cmrun import KEYRING, check

OUTSIDER_HOME = os.path.join(KEYRING, "outsider")
_CFB = {7: "aes-128-cfb", 8: "aes-192-cfb", 9: "aes-256-cfb"}


def packet(tag, body):
    """A new-format packet with a fixed length."""
    n = len(body)
    if n < 192:
        head = bytes([0xC0 | tag, n])
    elif n < 8384:
        head = bytes([0xC0 | tag, 192 + ((n - 192) >> 8), (n - 192) & 0xFF])
    else:
        head = bytes([0xC0 | tag, 255]) + n.to_bytes(4, "big")
    return head + body


def packets(data):
    """[(tag, whole packet bytes, header length)] of a stream gpg wrote (no
    partial lengths; an old-format indeterminate length runs to the end)."""
    out, i = [], 0
    while i < len(data):
        c = data[i]
        if c & 0x40:
            tag, n = c & 0x3F, data[i + 1]
            if n < 192:
                hl, bl = 2, n
            elif n < 224:
                hl, bl = 3, ((n - 192) << 8) + data[i + 2] + 192
            else:
                check(n == 255, "partial length in test data")
                hl, bl = 6, int.from_bytes(data[i + 2:i + 6], "big")
        else:
            tag, lt = (c >> 2) & 0x0F, c & 3
            if lt == 3:
                hl, bl = 1, len(data) - i - 1
            else:
                hl = 1 + (1, 2, 4)[lt]
                bl = int.from_bytes(data[i + 1:i + hl], "big")
        out.append((tag, data[i:i + hl + bl], hl))
        i += hl + bl
    return out


def _gpg(home, args, data):
    r = subprocess.run(["gpg", "--batch", "--quiet", "--no-tty", "--trust-model", "always"] + args,
                       input=data, capture_output=True, env=dict(os.environ, GNUPGHOME=home))
    return r


def session():
    """(gateway PKESK, outsider PKESK, cipher algo, session key) of a
    fresh message gpg encrypts to both."""
    r = _gpg(S.SENDER_HOME, ["--encrypt", "-r", S.gateway_fpr(), "-r", "outsider@example.com"],
             b"x")
    check(r.returncode == 0, "gpg --encrypt: %r" % r.stderr[-300:])
    ct = r.stdout
    r = _gpg(OUTSIDER_HOME, ["--status-fd", "1", "--show-session-key", "--decrypt"], ct)
    keys = [x.split()[2] for x in r.stdout.decode(errors="replace").splitlines()
            if x.startswith("[GNUPG:] SESSION_KEY ")]
    check(len(keys) == 1, "no session key from the outsider's gpg: %r" % r.stderr[-300:])
    algo, key = keys[0].split(":")
    check(int(algo) in _CFB, "gpg chose cipher %s" % algo)
    pkesks = [(p[hl + 1:hl + 9], p) for t, p, hl in packets(ct) if t == 1]
    gw_ids = gateway_keyids()
    gw = [p for kid, p in pkesks if kid in gw_ids]
    other = [p for kid, p in pkesks if kid not in gw_ids]
    check(len(gw) == 1 and len(other) == 1, "session key packets: %r" % [k.hex() for k, p in pkesks])
    return gw[0], other[0], int(algo), bytes.fromhex(key)


def gateway_keyids():
    """The gateway key's encryption subkey IDs (8 bytes each)."""
    r = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys", S.gateway_fpr()],
                       capture_output=True, text=True,
                       env=dict(os.environ, GNUPGHOME=S.SENDER_HOME))
    return [bytes.fromhex(x.split(":")[4]) for x in r.stdout.splitlines()
            if x.startswith("sub:") and "e" in x.split(":")[11]]


def seipd(algo, key, stream):
    """A SEIPD v1 packet holding stream, with its MDC."""
    prefix = os.urandom(16)
    plain = prefix + prefix[-2:] + stream + b"\xd3\x14"
    plain += hashlib.sha1(plain).digest()
    r = subprocess.run(["openssl", "enc", "-e", "-" + _CFB[algo], "-K", key.hex(),
                        "-iv", "00" * 16, "-nosalt", "-nopad"], input=plain, capture_output=True)
    check(r.returncode == 0 and len(r.stdout) == len(plain), "openssl enc: %r" % r.stderr)
    return packet(18, b"\x01" + r.stdout)


def message(stream, to_outsider=False):
    """stream encrypted to the gateway (and to the outsider)."""
    gw, other, algo, key = session()
    return gw + (other if to_outsider else b"") + seipd(algo, key, stream)


def literal(data):
    return packet(11, b"b\x00" + b"\x00\x00\x00\x00" + data)


def compressed(stream):
    """A compressed data packet (ZIP, RFC 1951) holding stream."""
    z = zlib.compressobj(wbits=-15)
    return packet(8, b"\x01" + z.compress(stream) + z.flush())


def signed(data, signer="alice", extra=()):
    """A one-pass signed message (OPS, literal, signature) by gpg, not
    compressed."""
    r = _gpg(S.SENDER_HOME, ["--sign", "-z0", "-u", signer + "@example.org"] + list(extra), data)
    check(r.returncode == 0, "gpg --sign: %r" % r.stderr[-300:])
    return r.stdout


def dearmor(text):
    """The binary message inside an ASCII armor."""
    import base64
    lines = text.decode().strip().splitlines()
    body = [line for line in lines[lines.index("") + 1:-1] if not line.startswith("=")]
    return base64.b64decode("".join(body))


def armor(data):
    """ASCII armor (RFC 4880 6.2) of a binary message."""
    import base64
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    crc &= 0xFFFFFF
    b64 = base64.b64encode(data).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN PGP MESSAGE-----\n\n" + "\n".join(lines) + "\n="
            + base64.b64encode(crc.to_bytes(3, "big")).decode()
            + "\n-----END PGP MESSAGE-----\n").encode()


def pgp_mime(stream):
    """A PGP/MIME message holding stream encrypted to the gateway."""
    return S.pgp_mime(armor(message(stream)))


def damage_gateway_pkesk(data):
    """data (a binary message) with a byte of its gateway session key
    packet's wrapped key changed."""
    out, ids = bytearray(), gateway_keyids()
    for tag, p, hl in packets(data):
        if tag == 1 and p[hl + 1:hl + 9] in ids:
            p = p[:-5] + bytes([p[-5] ^ 0x55]) + p[-4:]
        out += p
    check(out != data, "no gateway session key packet")
    return bytes(out)


def junk_gateway_pkesk(tail, stream):
    """stream encrypted to the outsider, with a session key packet for the
    gateway's key ID (ECDH, then tail) in front."""
    gw, other, algo, key = session()
    junk = packet(1, b"\x03" + gateway_keyids()[0] + b"\x12" + tail)
    return junk + other + seipd(algo, key, stream)


def _nested(ent):
    return message(signed(ent))


def _other():
    return S.entity_text(S.canary())


# Packet streams that are not one signed message (optionally compressed),
# from the MIME entity to sign.
STREAMS = {
    "signed-then-literal": lambda e: signed(e) + literal(b"appended\r\n"),
    "signed-then-signed": lambda e: signed(e) + signed(_other()),
    "signed-then-encrypted": lambda e: signed(e) + message(signed(_other())),
    "message-in-message": _nested,
    "message-in-compressed-message": lambda e: compressed(_nested(e)),
    "nothing": lambda e: b"",
}
