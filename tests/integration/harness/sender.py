"""The sending user's side of the outbound tests: messages encrypted to the
gateway key and signed by a user, made by gpg, Sequoia (sq) and RNP (rnp)
as a mail client would, from the keys the keyring fixture exported."""
import base64
import os
import subprocess
import uuid

from .cmrun import EXPORT, KEYRING, check

SENDER_HOME = os.path.join(KEYRING, "sender")
TOOLS = ("gpg", "sq", "rnp")


def gateway_fpr():
    with open(os.path.join(EXPORT, "gateway.fpr")) as f:
        return f.read().strip()


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def canary():
    """A string that must never reach a sink unless the test expects it."""
    return "CANARY-" + uuid.uuid4().hex


def _run(cmd, data, tmp, env=None, what=None):
    r = subprocess.run(cmd, input=data, capture_output=True, env=env, cwd=tmp)
    check(r.returncode == 0, "%s: %s" % (what or cmd[0], r.stderr.decode(errors="replace")[-400:]))
    return r.stdout


def _gpg(args, data, tmp, faked_time=None):
    env = dict(os.environ, GNUPGHOME=SENDER_HOME)
    cmd = ["gpg", "--batch", "--quiet", "--no-tty", "--trust-model", "always", "--armor"]
    if faked_time:
        cmd += ["--faked-system-time", faked_time, "--ignore-time-conflict"]
    return _run(cmd + args, data, tmp, env, "gpg " + " ".join(args))


def _keyfile(tmp, signer, *certs):
    """One file with the signer's secret key and the certificates (rnp)."""
    path = os.path.join(tmp, "keys-%s.asc" % signer)
    with open(path, "wb") as out:
        for name in (signer + ".sec.asc",) + certs:
            with open(os.path.join(EXPORT, name), "rb") as f:
                out.write(f.read())
    return path


def sign_encrypt(tool, data, tmp, signer="alice", to=None, faked_time=None):
    """data signed by signer and encrypted to the gateway key (or to the
    certificates named in to, e.g. ["bob"]), in one OpenPGP message."""
    if tool == "gpg":
        rcpts = []
        for t in (to or [gateway_fpr()]):
            rcpts += ["-r", t if "@" in t or len(t) == 40 else t + "@example.org"]
        args = ["--encrypt"] + rcpts
        if signer:
            uid = signer + ("@example.com" if signer == "outsider" else "@example.org")
            args = ["--sign", "-u", uid] + args
        return _gpg(args, data, tmp, faked_time)
    certs = [c + ".pub.asc" for c in (to or ["gateway"])]
    if tool == "sq":
        cmd = ["sq", "encrypt"]
        for c in certs:
            cmd += ["--recipient-cert", os.path.join(EXPORT, c)]
        if signer:
            cmd += ["--signer-key", os.path.join(EXPORT, signer + ".sec.asc")]
        return _run(cmd, data, tmp)
    if tool == "rnp":
        keys = _keyfile(tmp, signer or "alice", *certs)
        cmd = ["rnp", "--keyfile", keys, "--encrypt", "--armor", "--output", "-"]
        for c in (to or [gateway_fpr()]):
            cmd += ["-r", c if len(c) == 40 else c + "@example.org"]
        if signer:
            cmd += ["--sign", "-u", signer + "@example.org"]
        return _run(cmd, data, tmp)
    raise ValueError(tool)


def detach_sign(tool, data, tmp, signer="alice"):
    """An armored detached signature over data."""
    if tool == "gpg":
        return _gpg(["--detach-sign", "-u", signer + "@example.org"], data, tmp)
    if tool == "sq":
        return _run(["sq", "sign", "--detached", "--signer-key",
                     os.path.join(EXPORT, signer + ".sec.asc")], data, tmp)
    if tool == "rnp":
        keys = _keyfile(tmp, signer)
        return _run(["rnp", "--keyfile", keys, "--sign", "--detach", "--armor", "-u",
                     signer + "@example.org", "--output", "-"], data, tmp)
    raise ValueError(tool)


# ------------------------------------------------------------ entities

def entity_text(mark):
    return crlf(("Content-Type: text/plain; charset=us-ascii\n\n"
                 "Hello from the inside, %s.\nSecond line.\n" % mark).encode())


def entity_utf8(mark):
    return crlf(("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                 "Grüße, Ζεύς, 日本語 %s\n" % mark).encode())


def entity_alternative(mark):
    blob = bytes(range(256)) * 40 + mark.encode()
    b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n")
    return crlf(("Content-Type: multipart/mixed; boundary=\"outer-1\"\n\n"
                 "--outer-1\nContent-Type: multipart/alternative; boundary=\"alt-2\"\n\n"
                 "--alt-2\nContent-Type: text/plain; charset=utf-8\n"
                 "Content-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 %s\n"
                 "--alt-2\nContent-Type: text/html; charset=utf-8\n\n<p>%s</p>\n--alt-2--\n"
                 "--outer-1\nContent-Type: application/octet-stream; name=\"blob.bin\"\n"
                 "Content-Disposition: attachment; filename=\"blob.bin\"\n"
                 "Content-Transfer-Encoding: base64\n\n" % (mark, mark)).encode()) \
        + b64.encode() + b"\r\n--outer-1--\r\n"


def entity_protected(mark, subject, frm="Alice <alice@example.org>"):
    return crlf(("Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\n"
                 "Subject: %s\nFrom: %s\nTo: <x@ext.example>\n\n"
                 "Body with protected headers %s\n" % (subject, frm, mark)).encode())


def entity_hp(mark, subject, frm="Alice <alice@example.org>"):
    """An RFC 9788 payload as a client writes it: hp="cipher", the real
    fields, and HP-Outer records of the outside."""
    return crlf(("Content-Type: text/plain; charset=utf-8; hp=\"cipher\"\n"
                 "Subject: %s\nFrom: %s\nTo: <x@ext.example>\n"
                 "HP-Outer: Subject: [...]\nHP-Outer: From: %s\nHP-Outer: To: <x@ext.example>\n\n"
                 "Body with RFC 9788 header protection %s\n" % (subject, frm, frm, mark)).encode())


ENTITIES = {"text": entity_text, "utf8": entity_utf8, "alternative": entity_alternative}


def signed_entity(tool, inner, tmp, signer="alice"):
    """RFC 3156 multipart/signed around inner (signed as it is, CRLF)."""
    sig = detach_sign(tool, inner, tmp, signer)
    return (b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
            b" protocol=\"application/pgp-signature\"; boundary=\"sig-b\"\r\n\r\n"
            b"This is an OpenPGP/MIME signed message\r\n--sig-b\r\n" + inner
            + b"\r\n--sig-b\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
            + crlf(sig) + b"\r\n--sig-b--\r\n")


# ------------------------------------------------------------ messages

def outer_header(sender="alice@example.org", subject="...", to="x@ext.example",
                 frm=None):
    return crlf(("From: %s\nTo: <%s>\nSubject: %s\nDate: Tue, 01 Dec 2026 10:00:00 +0000\n"
                 "Message-ID: <%s@example.org>\nMIME-Version: 1.0\n"
                 % (frm or "Alice <%s>" % sender, to, subject, uuid.uuid4().hex)).encode())


def pgp_mime(armor, **hdr):
    return (outer_header(**hdr)
            + b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
            b" boundary=\"enc-b\"\r\n\r\nThis is an OpenPGP/MIME encrypted message\r\n"
            b"--enc-b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n"
            b"--enc-b\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n"
            + crlf(armor) + b"\r\n--enc-b--\r\n")


def inline(armor, charset="utf-8", **hdr):
    return (outer_header(**hdr) + ("Content-Type: text/plain; charset=%s\r\n\r\n" % charset).encode()
            + crlf(armor))


# ------------------------------------------------------------ reading results

def split(msg):
    """(header fields as lists of lines, body) of a CRLF or LF message."""
    data = crlf(msg)
    head, _, body = data.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return fields, body


def field_values(msg, name):
    return [b"\r\n".join(f).split(b":", 1)[1].strip() for f in split(msg)[0]
            if f[0].split(b":", 1)[0].strip().lower() == name.lower().encode()]


def entity_of(msg):
    """The message's MIME entity: its Content-* fields, an empty line, the body."""
    fields, body = split(msg)
    content = [b"\r\n".join(f) for f in fields if f[0].lower().startswith(b"content-")]
    return b"\r\n".join(content) + b"\r\n\r\n" + body


def entity_without(entity, names):
    """entity with the named header fields removed (protected headers)."""
    fields, body = split(entity)
    keep = [b"\r\n".join(f) for f in fields
            if f[0].split(b":", 1)[0].strip().lower() not in [n.lower().encode() for n in names]]
    return b"\r\n".join(keep) + b"\r\n\r\n" + body


def verify_signed(msg, tmp, gnupghome):
    """The delivered message is a multipart/signed that gpg verifies."""
    _, body = split(msg)
    parts = body.split(b"\r\n--sig-b")
    check(len(parts) >= 3, "no multipart/signed in the output")
    signed = parts[1][len(b"\r\n"):]
    sig = parts[2].split(b"\r\n\r\n", 1)[1]
    sp, gp = os.path.join(tmp, "signed.bin"), os.path.join(tmp, "sig.asc")
    with open(sp, "wb") as f:
        f.write(signed)
    with open(gp, "wb") as f:
        f.write(sig)
    r = subprocess.run(["gpg", "--batch", "--status-fd", "1", "--verify", gp, sp],
                       capture_output=True, env=dict(os.environ, GNUPGHOME=gnupghome))
    check(r.returncode == 0 and b"GOODSIG" in r.stdout,
          "inner signature does not verify: %s" % r.stderr.decode(errors="replace")[-300:])
