"""What a user's S/MIME client sends to the gateway (SPEC §4), made by
OpenSSL (`openssl cms -sign`, then `-encrypt`) and GnuPG (`gpgsm`), never
by cryptmilter's code: entities signed detached (multipart/signed) or
opaque (signed-data), then enveloped to a gateway certificate."""
import base64
import os
import subprocess

from . import sender as S
from .smime_oracles import CA, CERTS, GPGSM_HOME, KEYS, SMIME

GATEWAY_RSA = os.path.join(SMIME, "gateway-rsa.crt")
GATEWAY_EC = os.path.join(SMIME, "gateway-ec.crt")
GATEWAY_FILES = [os.path.join(SMIME, "gateway", "rsa.pem"), os.path.join(SMIME, "gateway", "ec.pem")]
OUTSIDER = os.path.join(SMIME, "outsider.pem")


def _run(cmd, data, env=None):
    r = subprocess.run(cmd, input=data, capture_output=True, env=env)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd[:3]), r.stderr.decode(errors="replace")))
    return r.stdout


def _cert_key(who):
    if who == "outsider":
        return OUTSIDER, os.path.join(KEYS, "outsider.key")
    if who in ("revoked", "subsigner"):     # out of CertificateDir (make-certs.sh)
        return os.path.join(SMIME, "signers", who + ".pem"), os.path.join(KEYS, who + ".key")
    return os.path.join(CERTS, who + ".pem"), os.path.join(KEYS, who + ".key")


def sign(entity, who="alice", opaque=False, noattr=False, shift=None):
    """entity (CRLF) signed by who's certificate: a multipart/signed entity,
    or with opaque an application/pkcs7-mime signed-data one. shift runs
    openssl under faketime (e.g. "-2h") to date the signingTime."""
    cert, key = _cert_key(who)
    cmd = ["openssl", "cms", "-sign", "-binary", "-crlfeol", "-signer", cert, "-inkey", key]
    if who == "subsigner":      # his chain: the sub-CA's certificate goes along
        cmd += ["-certfile", os.path.join(SMIME, "subca.pem")]
    if opaque:
        cmd.append("-nodetach")
    if noattr:
        cmd.append("-noattr")
    if shift:
        cmd = ["faketime", "-f", shift] + cmd
    return _no_mime_version(S.crlf(_run(cmd, entity)))


def _no_mime_version(entity):
    """openssl's output without its MIME-Version line: an entity, not a message."""
    return b"".join(l for l in entity.splitlines(True) if not l.lower().startswith(b"mime-version:"))


def encrypt(entity, cert=GATEWAY_RSA, cipher="-aes256"):
    """entity enveloped to cert: the Content-* fields and body of an
    application/pkcs7-mime message (openssl's MIME-Version dropped)."""
    return _no_mime_version(S.crlf(_run(["openssl", "cms", "-encrypt", "-binary", "-crlfeol",
                                         cipher, cert], entity)))


def message(enveloped, **hdr):
    """A whole message around an enveloped entity (outer_header's fields)."""
    return S.outer_header(**hdr) + enveloped


def _gpgsm(args, data, secret=False):
    """gpgsm over data; secret: it uses a private key (whose empty
    passphrase goes over loopback)."""
    env = dict(os.environ, GNUPGHOME=GPGSM_HOME)
    pw = ["--pinentry-mode", "loopback", "--passphrase", ""] if secret else []
    return _run(["gpgsm", "--batch", "--quiet"] + pw + args, data, env)


def _b64_entity(ctype, der):
    body = base64.encodebytes(der).replace(b"\n", b"\r\n")
    return (b"Content-Type: " + ctype + b"\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" + body)


def gpgsm_sign_encrypt(entity, who="sam"):
    """gpgsm's opaque signature by who, then its encryption to the gateway's
    RSA certificate."""
    signed = _b64_entity(b"application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"",
                         _gpgsm(["--sign", "--local-user", "%s@example.org" % who], entity, secret=True))
    der = _gpgsm(["--encrypt", "--recipient", "gateway@example.org"], signed)
    return signed, _b64_entity(
        b"application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", der)


def verify(out_entity):
    """openssl's verdict on the signature the output kept: the signed
    content, or an exception."""
    return _run(["openssl", "cms", "-verify", "-CAfile", CA, "-purpose", "smimesign"],
                out_entity)
