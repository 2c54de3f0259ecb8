"""Shared helpers for cryptmilter's integration tests.

Everything here checks cryptmilter's output independently of its own code:
Python's email package and a separate header splitter parse the output, and
gpg, Sequoia (sq) and RNP (rnp) decrypt it.
"""
import argparse
import atexit
import email
import email.policy
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

KEYRING = os.environ.get("CM_TEST_KEYRING", "")
GNUPGHOME = os.path.join(KEYRING, "gnupg")
EXPORT = os.path.join(KEYRING, "export")


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", required=True)
    return p.parse_args()


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run_tests(tests):
    """Run (name, fn) pairs; print one line each and the closing tally."""
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
            print("ok     %s" % name, flush=True)
            passed += 1
        except Exception as e:  # report and go on with the next test
            failed += 1
            print("FAIL   %s: %s" % (name, e), flush=True)
            if not isinstance(e, Failure):
                traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def workdir():
    base = os.environ.get("CM_TEST_TMP", tempfile.gettempdir())
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix="it-", dir=base)


def write_config(path, **keys):
    conf = {"KeyringDir": GNUPGHOME, "SpoolDir": os.path.dirname(path),
            "MemoryBufferSize": "64K", "Syslog": "no", "LogLevel": "info"}
    conf.update(keys)
    with open(path, "w") as f:
        for k, v in conf.items():
            f.write("%s %s\n" % (k, v))
    return path


# ---------------------------------------------------------------- corpus

def _rand(n, seed):
    r = random.Random(seed)
    return bytes(r.getrandbits(8) for _ in range(n))


def _b64_lines(data):
    import base64
    s = base64.b64encode(data)
    return b"\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + b"\n"


def corpus():
    """(name, message bytes): every shape of message we can think of."""
    hdr = (b"Received: from mx.ext.example (mx.ext.example [203.0.113.9])\n"
           b"\tby gw.example.org; Mon, 23 Nov 2026 00:00:00 +0000\n"
           b"From: Sender <sender@ext.example>\n"
           b"To: Alice <alice@example.org>, bob@example.org\n"
           b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= canary-%d\n"
           b"Date: Mon, 23 Nov 2026 00:00:00 +0000\n"
           b"Message-ID: <%d@ext.example>\n")
    att = _rand(50000, 1)
    msgs = []

    def add(name, h, body):
        i = len(msgs)
        msgs.append((name, (hdr % (i, i)) + h + b"\n" + body))

    add("plain-ascii", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n",
        b"Hello Alice,\n\nthis is the secret plan.\n")
    add("utf8-8bit", b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n", "Grüße, Ünïcödé ✓\n".encode())
    add("alternative", b"MIME-Version: 1.0\nContent-Type: multipart/alternative;\n"
        b" boundary=\"alt-1\"\n",
        b"--alt-1\nContent-Type: text/plain\n\nplain part\n--alt-1\nContent-Type: text/html\n\n"
        b"<p>html part</p>\n--alt-1--\n")
    add("attachment", b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mix\"\n",
        b"--mix\nContent-Type: text/plain\n\nsee attachment\n--mix\n"
        b"Content-Type: application/octet-stream; name=\"data.bin\"\n"
        b"Content-Disposition: attachment; filename=\"data.bin\"\n"
        b"Content-Transfer-Encoding: base64\n\n" + _b64_lines(att) + b"--mix--\n")
    add("binary-nul", b"MIME-Version: 1.0\nContent-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: binary\n", b"bin\x00ary\x00\xff\xfe data\nmore\x00\n")
    add("crlf", b"Content-Type: text/plain\n", b"windows\r\nline\r\nendings\r\n")
    add("mixed-eol", b"Content-Type: text/plain\n", b"bare lf\ncrlf\r\nlone cr\rend\n")
    add("long-lines", b"Content-Type: text/plain\n", b"x" * 10000 + b"\n" + b"y" * 3000 + b"\n")
    add("nested-rfc822", b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n",
        b"--o\nContent-Type: text/plain\n\nforwarded:\n--o\nContent-Type: message/rfc822\n\n"
        b"From: x@y\nSubject: inner\nContent-Type: multipart/mixed; boundary=\"i\"\n\n"
        b"--i\nContent-Type: text/plain\n\ninner body\n--i--\n--o--\n")
    add("malformed-unclosed", b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"q\"\n",
        b"--q\nContent-Type: text/plain\n\nnever closed\n--q\nContent-Type: broken\n")
    add("malformed-no-boundary", b"MIME-Version: 1.0\nContent-Type: multipart/mixed\n",
        b"no boundary parameter at all\n")
    add("no-content-type", b"", b"old-style message without MIME\n")
    add("folded-ctype", b"MIME-Version: 1.0\nContent-Type: text/plain;\n\tcharset=\"iso-8859-1\";\n"
        b"\tformat=flowed\nContent-Transfer-Encoding: quoted-printable\nContent-Language: de\n",
        b"Gr=FC=DFe\n")
    add("empty-body", b"Content-Type: text/plain\n", b"")
    add("no-final-newline", b"Content-Type: text/plain\n", b"last line has no newline")
    add("large", b"MIME-Version: 1.0\nContent-Type: application/octet-stream\n"
        b"Content-Transfer-Encoding: base64\n", _b64_lines(_rand(2 * 1024 * 1024, 2)))
    return msgs


# --------------------------------------------------------- independent parse

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


def check_rfc3156(out, original, ignore=()):
    """The output is RFC 3156 exact and keeps the other fields in order
    (but for fields named in ignore, e.g. an MTA's Received).
    Returns the armored ciphertext."""
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
    check(outer_fields(fields, ignore) == outer_fields(ofields, ignore),
          "non-Content fields changed or reordered")
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


def check_decrypts_to(armor, original, tmp):
    want = expected_entity(original)
    for tool, got in decrypt_all(armor, tmp).items():
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

SMFIF_ALL = 0x1FF
SMFIP_OFFER = 0x2 | 0x100 | 0x200 | 0x100000  # NOHELO NOUNKNOWN NODATA HDR_LEADSPC
SMFIP_HDR_LEADSPC = 0x100000


class MilterReply(Exception):
    pass


class MilterClient:
    """The MTA side of the milter protocol (version 6), enough to drive
    cryptmilter as Postfix or Sendmail would and record what it asks for."""

    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.send(b"O", struct.pack("!III", 6, SMFIF_ALL, SMFIP_OFFER))
        cmd, data = self.recv()
        check(cmd == b"O", "negotiation answer %r" % cmd)
        self.version, self.actions, self.protocol = struct.unpack("!III", data[:12])
        self.leadspc = bool(self.protocol & SMFIP_HDR_LEADSPC)

    def close(self):
        try:
            self.send(b"Q", b"")
        finally:
            self.s.close()

    def send(self, cmd, data):
        self.s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            buf += chunk
        return buf

    def recv(self):
        (n,) = struct.unpack("!I", self._read(4))
        data = self._read(n)
        return data[:1], data[1:]

    def macros(self, stage, **kv):
        data = stage
        for k, v in kv.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", data)

    def step(self, cmd, data):
        """Send a command; return (reply code, reply text or None)."""
        self.send(cmd, data)
        while True:
            c, d = self.recv()
            if c == b"p":
                continue
            if c == b"y":
                return c, d.rstrip(b"\0").decode()
            return c, None

    def connect(self, client_addr="203.0.113.9", daemon="smtpd"):
        self.macros(b"C", **{"{client_addr}": client_addr, "{daemon_name}": daemon, "j": "gw"})
        return self.step(b"C", b"mx.ext.example\0" + b"4" + struct.pack("!H", 25)
                         + client_addr.encode() + b"\0")

    def transaction(self, sender, rcpts, message, qid="QID1", auth=None):
        """Run one message; returns dict(reply=..., rcpt=[...], fields, body)."""
        res = self.envelope(sender, rcpts, qid, auth)
        return res if "reply" in res else self.data(res, message)

    def envelope(self, sender, rcpts, qid="QID1", auth=None):
        """MAIL and RCPT; res gets a "reply" if the transaction ended there."""
        mac = {"i": qid}
        if auth:
            mac["{auth_authen}"] = auth
        self.macros(b"M", **mac)
        res = {"rcpt": [], "mods": []}
        c, t = self.step(b"M", b"<" + sender.encode() + b">\0")
        if c != b"c":
            res["reply"] = (c, t)
            return res
        accepted = 0
        for r in rcpts:
            c, t = self.step(b"R", b"<" + r.encode() + b">\0")
            res["rcpt"].append((c, t))
            accepted += c == b"c"
        if accepted == 0:
            self.send(b"A", b"")
            res["reply"] = (b"none", None)
        return res

    def data(self, res, message):
        """Header, body and end of message after envelope()."""
        fields, body = split_message(message)
        for f in fields:
            name, value = b"\n".join(f).split(b":", 1)
            if not self.leadspc and value[:1] == b" ":
                value = value[1:]
            c, t = self.step(b"L", name.strip() + b"\0" + value + b"\0")
            check(c == b"c", "header answered %r %r" % (c, t))
        c, t = self.step(b"N", b"")
        check(c == b"c", "eoh answered %r" % c)
        body = crlf(body)       # MTAs hand the body over with CRLF
        for i in range(0, len(body), 65535):
            c, t = self.step(b"B", body[i:i + 65535])
            check(c == b"c", "body answered %r %r" % (c, t))
        self.send(b"E", b"")
        newbody = None
        while True:
            c, d = self.recv()
            if c == b"b":
                newbody = (newbody or b"") + d
            elif c in (b"h", b"m", b"i"):
                res["mods"].append((c, d))
            elif c == b"p":
                res["progress"] = res.get("progress", 0) + 1
            else:
                res["reply"] = (c, d.rstrip(b"\0").decode() if c == b"y" else None)
                break
        res["fields"] = apply_mods(fields, res["mods"], self.leadspc)
        res["body"] = newbody if newbody is not None else body
        res["message"] = b"".join(field_bytes(f) for f in res["fields"]) + b"\r\n" + res["body"]
        return res

    def abort(self):
        self.send(b"A", b"")


def apply_mods(fields, mods, leadspc):
    """Apply header modifications as Postfix does."""
    fields = [list(f) for f in fields]
    for c, d in mods:
        if c == b"m":
            (idx,) = struct.unpack("!I", d[:4])
            name, value = d[4:].split(b"\0")[:2]
        else:
            name, value = d.split(b"\0")[:2]
        if not leadspc:
            value = b" " + value
        new = (name + b":" + value).split(b"\n")
        if c == b"h":
            fields.append(new)
        elif c == b"m":
            same = [i for i, f in enumerate(fields) if field_name(f) == name.lower()]
            if idx == 0 or idx > len(same):
                if value.strip():
                    fields.append(new)
                continue
            if value == b"" or value == b" ":
                del fields[same[idx - 1]]
            else:
                fields[same[idx - 1]] = new
    return fields


_RUNNING = []


@atexit.register
def _kill_leftovers():
    for p in _RUNNING:
        if p.poll() is None:
            p.kill()


class Milter:
    """A cryptmilter daemon in the foreground on a unix socket."""

    def __init__(self, bindir, tmp, name="m", sock=None, **conf):
        self.bindir = bindir
        self.sock = sock or os.path.join(tmp, name + ".sock")
        self.conf = write_config(os.path.join(tmp, name + ".conf"),
                                 Socket="local:" + self.sock, **conf)
        self.log = open(os.path.join(tmp, name + ".log"), "wb")
        self.vglog = None
        cmd = [os.path.join(bindir, "cryptmilter"), "-f", "-c", self.conf]
        if os.environ.get("CM_TEST_VALGRIND"):
            # The daemon itself under valgrind; stop() fails on any report.
            # Not --error-exitcode: GPGME's forked helpers would run the leak
            # check too (other threads' blocks look lost there) and exit with
            # it, and GPGME takes that for a failed spawn.
            self.vglog = os.path.join(tmp, name + ".vg.log")
            cmd = ["valgrind", "--quiet", "--leak-check=full", "--child-silent-after-fork=yes",
                   "--show-leak-kinds=definite,indirect", "--log-file=" + self.vglog] + cmd
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        _RUNNING.append(self.p)
        # Ready when it accepts a connection: a killed predecessor may have
        # left its socket file behind.
        for _ in range(400):
            if self.p.poll() is not None:
                raise Failure("cryptmilter exited with %d" % self.p.returncode)
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                s.close()
                time.sleep(0.05)
        raise Failure("cryptmilter did not open its socket")

    def client(self):
        return MilterClient(self.sock)

    def stop(self):
        """Stop it with SIGTERM; it must exit 0 with no sanitizer report."""
        self.p.terminate()
        try:
            self.p.wait(60 if self.vglog else 10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Failure("cryptmilter did not stop on SIGTERM")
        self.log.close()
        with open(self.log.name, "rb") as f:
            log = f.read()
        check(b"Sanitizer" not in log and b"runtime error" not in log,
              "sanitizer report in %s" % self.log.name)
        if self.vglog:
            with open(self.vglog, errors="replace") as f:
                vg = f.read()
            check(not vg.strip(), "valgrind: %s" % vg[-3000:])
        check(self.p.returncode == 0, "cryptmilter %s exited with %d; log ends: %s"
              % (self.conf, self.p.returncode, log[-600:].decode(errors="replace")))
