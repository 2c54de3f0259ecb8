"""S/MIME oracles: the output's framing is checked with Python's email
package and a separate header splitter, and it is decrypted by OpenSSL
(`openssl cms`) and GnuPG (`gpgsm`), not by cryptmilter's code."""
import email
import email.policy
import os
import re
import subprocess
import threading

from .cmrun import KEYRING, check
from . import hp_oracle
from .oracles import check_outer, expected_entity, field_name, split_message

SMIME = os.path.join(KEYRING, "smime")
CERTS = os.path.join(SMIME, "certs")
KEYS = os.path.join(SMIME, "keys")
GPGSM_HOME = os.path.join(SMIME, "gpgsm")
CA = os.path.join(SMIME, "ca.pem")


def check_smime(out, original, auth=False, ignore=(), hp=True):
    """The output is an RFC 8551 application/pkcs7-mime message that keeps
    the other fields in order; returns the DER."""
    check(b"\n" not in out.replace(b"\r\n", b""), "bare LF in output")
    check(all(b < 128 for b in out), "output is not 7-bit")
    fields, body = split_message(out)
    names = [field_name(f) for f in fields]
    for n in (b"content-type", b"content-transfer-encoding", b"content-disposition",
              b"mime-version", b"x-cryptmilter"):
        check(names.count(n) == 1, "want one %s, got %d" % (n.decode(), names.count(n)))
    check(sorted(n for n in names if n.startswith(b"content-"))
          == [b"content-disposition", b"content-transfer-encoding", b"content-type"],
          "other Content-* fields in the outer header")
    ofields, _ = split_message(original)
    check_outer(fields, ofields, ignore, hp)
    msg = email.message_from_bytes(out, policy=email.policy.compat32)
    check(msg["X-Cryptmilter"].strip() == "encrypted smime", "trace: %r" % msg["X-Cryptmilter"])
    check(msg.get_content_type() == "application/pkcs7-mime", "type %s" % msg.get_content_type())
    want = "authEnveloped-data" if auth else "enveloped-data"
    check(msg.get_param("smime-type") == want, "smime-type %r" % msg.get_param("smime-type"))
    check(msg.get_param("name") == "smime.p7m", "name parameter")
    check(msg["Content-Transfer-Encoding"].strip().lower() == "base64", "CTE")
    disp = re.sub(r"\s+", " ", msg["Content-Disposition"].strip())
    check(disp == 'attachment; filename="smime.p7m"', "disposition %r" % disp)
    lines = body.split(b"\r\n")
    check(lines[-1] == b"", "body does not end in CRLF")
    for line in lines[:-2]:
        check(len(line) == 76, "base64 line of %d characters, not 76" % len(line))
    check(0 < len(lines[-2]) <= 76, "last base64 line")
    check(re.fullmatch(rb"[A-Za-z0-9+/=\r\n]*", body) is not None, "not base64")
    return msg.get_payload(decode=True)


def _der_file(der, tmp):
    path = os.path.join(tmp, "ct-%d.der" % threading.get_ident())
    with open(path, "wb") as f:
        f.write(der)
    return path


def openssl_decrypt(der, who, tmp):
    """Decrypt with `openssl cms` and who's key (keys/<who>.key)."""
    path = _der_file(der, tmp)
    r = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", path,
                        "-inkey", os.path.join(KEYS, who + ".key"),
                        "-recip", os.path.join(CERTS, who + ".pem")], capture_output=True)
    check(r.returncode == 0, "openssl cms (%s) failed: %s"
          % (who, r.stderr.decode(errors="replace")[-300:]))
    return r.stdout


def gpgsm_decrypt(der, tmp):
    """Decrypt with gpgsm (the GnuPG home holds sam's and sue's keys)."""
    path = _der_file(der, tmp)
    env = dict(os.environ, GNUPGHOME=GPGSM_HOME)
    r = subprocess.run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--disable-crl-checks", "--decrypt", path], env=env, capture_output=True)
    check(r.returncode == 0, "gpgsm failed: %s" % r.stderr.decode(errors="replace")[-300:])
    return r.stdout


def key_transport(der, tmp):
    """The recipients' key encryption algorithms, as `openssl cms -print`
    names them."""
    path = _der_file(der, tmp)
    r = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", path],
                       capture_output=True)
    check(r.returncode == 0, "openssl cms -print failed")
    text = r.stdout.decode(errors="replace")
    return re.findall(r"keyEncryptionAlgorithm:\s*\n\s*algorithm: (\S+)", text)


def check_smime_decrypts_to(out, original, who, tmp, gpgsm=False, auth=False, ignore=(), hp=True):
    """The message is S/MIME, and openssl (and gpgsm if asked) decrypt it
    with who's key to the original entity (with header protection unless
    hp is false)."""
    der = check_smime(out, original, auth=auth, ignore=ignore, hp=hp)
    want = expected_entity(original)
    got = openssl_decrypt(der, who, tmp)
    hp = hp and hp_oracle.applies(original)
    if hp:
        got = hp_oracle.unprotect(got, original)
    check(got == want, "openssl (%s): decrypted entity differs (%d bytes, want %d)"
          % (who, len(got), len(want)))
    if gpgsm:
        got = gpgsm_decrypt(der, tmp)
        if hp:
            got = hp_oracle.unprotect(got, original)
        check(got == want, "gpgsm: decrypted entity differs (%d bytes, want %d)"
              % (len(got), len(want)))
    return der
