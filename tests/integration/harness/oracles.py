"""Oracles that judge cryptmilter's output independently of its code:
Python's email package and a separate header splitter parse it, and gpg,
Sequoia (sq) and RNP (rnp) decrypt it."""
import email
import email.policy
import os
import re
import subprocess

from .cmrun import EXPORT, GNUPGHOME, check

def crlf(data):
    """Canonical line endings: bare LF becomes CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def split_message(data):
    """Header fields (raw, each a list of lines without EOL) and body."""
    fields, pos = [], 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl + 1
        line = data[pos:end].rstrip(b"\n").rstrip(b"\r")
        if line == b"":
            return fields, data[end:]
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        elif re.match(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:", line):
            fields.append([line])
        else:
            return fields, data[pos:]
        pos = end
    return fields, b""


def field_name(f):
    return f[0].split(b":", 1)[0].strip().lower()


def field_bytes(f):
    return b"".join(l + b"\r\n" for l in f)


def expected_entity(original):
    fields, body = split_message(original)
    content = [f for f in fields if field_name(f).startswith(b"content-")]
    return b"".join(field_bytes(f) for f in content) + b"\r\n" + crlf(body)


def outer_fields(fields, ignore=()):
    skip = (b"mime-version", b"x-cryptmilter") + tuple(ignore)
    return [field_bytes(f) for f in fields
            if not field_name(f).startswith(b"content-") and field_name(f) not in skip]


def check_outer(fields, ofields, ignore=(), hp=True):
    """The output's non-Content fields are the original's in order (with
    header protection, as hcp_baseline leaves them outside)."""
    from . import hp_oracle
    if hp and hp_oracle.applies(b"".join(field_bytes(f) for f in ofields) + b"\r\n"):
        fields, ofields = hp_oracle.same_outer(fields), hp_oracle.baseline_outer(ofields)
    check(outer_fields(fields, ignore) == outer_fields(ofields, ignore),
          "non-Content fields changed or reordered")


def check_rfc3156(out, original, ignore=(), hp=True):
    """The output is RFC 3156 exact and keeps the other fields in order
    (but for fields named in ignore, e.g. an MTA's Received; with header
    protection, as hcp_baseline leaves them). Returns the armored
    ciphertext."""
    check(b"\n" not in out.replace(b"\r\n", b""), "bare LF in output")
    check(all(b < 128 for b in out), "output is not 7-bit")
    for line in out.split(b"\r\n"):
        check(len(line) <= 998, "line over 998 octets")
    fields, body = split_message(out)
    names = [field_name(f) for f in fields]
    check(names.count(b"content-type") == 1, "want one Content-Type, got %d" % names.count(b"content-type"))
    check([n for n in names if n.startswith(b"content-")] == [b"content-type"],
          "other Content-* fields in the outer header")
    check(names.count(b"mime-version") == 1, "want one MIME-Version")
    check(names.count(b"x-cryptmilter") == 1, "want one X-Cryptmilter")
    ofields, _ = split_message(original)
    check_outer(fields, ofields, ignore, hp)
    msg = email.message_from_bytes(out, policy=email.policy.compat32)
    check(msg["X-Cryptmilter"].strip() == "encrypted pgp-mime", "trace: %r" % msg["X-Cryptmilter"])
    check(msg["MIME-Version"].strip() == "1.0", "MIME-Version")
    check(msg.get_content_type() == "multipart/encrypted", "type %s" % msg.get_content_type())
    check(msg.get_param("protocol") == "application/pgp-encrypted", "protocol parameter")
    unfolded = re.sub(r"\r?\n[ \t]", " ", msg["Content-Type"])
    check('protocol="application/pgp-encrypted"' in unfolded, "protocol parameter not quoted")
    parts = msg.get_payload()
    check(isinstance(parts, list) and len(parts) == 2, "want exactly two parts")
    check(parts[0].get_content_type() == "application/pgp-encrypted", "part 1 type")
    check(parts[0].get_payload().strip() == "Version: 1", "part 1 body %r" % parts[0].get_payload())
    check(parts[1].get_content_type() == "application/octet-stream", "part 2 type")
    armor = parts[1].get_payload()
    check(armor.lstrip().startswith("-----BEGIN PGP MESSAGE-----"), "part 2 is not armor")
    check(armor.rstrip().endswith("-----END PGP MESSAGE-----"), "armor not terminated")
    for line in armor.splitlines():
        check(len(line) <= 76, "armor line over 76 characters")
    return armor.encode()


# ---------------------------------------------------------------- decrypt

def decrypt_all(armor, tmp):
    """Decrypt with gpg, sq (alice's key) and rnp (bob's key); return the
    three plaintexts."""
    path = os.path.join(tmp, "ct.asc")
    with open(path, "wb") as f:
        f.write(armor)
    env = dict(os.environ, GNUPGHOME=GNUPGHOME)
    out = {}
    r = subprocess.run(["gpg", "--batch", "--quiet", "--decrypt", path], env=env,
                       capture_output=True)
    check(r.returncode == 0, "gpg failed: %s" % r.stderr.decode(errors="replace")[-300:])
    out["gpg"] = r.stdout
    r = subprocess.run(["sq", "decrypt", "--recipient-key", os.path.join(EXPORT, "alice.sec.asc"),
                        path], capture_output=True)
    check(r.returncode == 0, "sq failed: %s" % r.stderr.decode(errors="replace")[-300:])
    out["sq"] = r.stdout
    r = subprocess.run(["rnp", "--keyfile", os.path.join(EXPORT, "bob.sec.asc"), "--decrypt",
                        path, "--output", "-"], capture_output=True)
    check(r.returncode == 0, "rnp failed: %s" % r.stderr.decode(errors="replace")[-300:])
    out["rnp"] = r.stdout
    return out


def check_decrypts_to(armor, original, tmp, hp=True):
    """gpg, sq and rnp decrypt armor to original's entity (with header
    protection unless hp is false)."""
    from . import hp_oracle
    want = expected_entity(original)
    for tool, got in decrypt_all(armor, tmp).items():
        if hp and hp_oracle.applies(original):
            got = hp_oracle.unprotect(got, original)
        check(got == want, "%s: decrypted entity differs (%d bytes, want %d)"
              % (tool, len(got), len(want)))


def gpg_encrypt(data, recipient, armor=True, extra=()):
    env = dict(os.environ, GNUPGHOME=GNUPGHOME)
    cmd = ["gpg", "--batch", "--quiet", "--trust-model", "always"] + list(extra)
    if armor:
        cmd.append("--armor")
    if recipient:
        cmd += ["--encrypt", "--recipient", recipient]
    r = subprocess.run(cmd, input=data, env=env, capture_output=True)
    check(r.returncode == 0, "gpg encrypt: %s" % r.stderr.decode(errors="replace"))
    return r.stdout


# ------------------------------------------------------------ milter client


def check_decrypts_only_for(message, who, tmp):
    """message (RFC 3156) decrypts with who's key ("alice" or "bob") and
    with no other's; returns who's plaintext."""
    import threading
    armor = check_rfc3156(message, message)
    path = os.path.join(tmp, "only-%d.asc" % threading.get_ident())
    with open(path, "wb") as f:
        f.write(armor)
    for key in ("alice", "bob"):
        r = subprocess.run(["sq", "decrypt", "--recipient-key",
                            os.path.join(EXPORT, key + ".sec.asc"), path], capture_output=True)
        check((r.returncode == 0) == (key == who), "%s's key %s decrypt mail for %s"
              % (key, "cannot" if key == who else "can", who))
        if key == who:
            plain = r.stdout
    return plain
