"""A milter-protocol client that plays the MTA, and applying the
modifications it receives."""
import socket
import struct

from .cmrun import check
from .oracles import crlf, field_bytes, field_name, split_message

SMFIF_ALL = 0x1FF
SMFIP_OFFER = 0x2 | 0x100 | 0x200 | 0x100000  # NOHELO NOUNKNOWN NODATA HDR_LEADSPC
SMFIP_HDR_LEADSPC = 0x100000
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NR_CONN = 0x1000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_BODY = 0x80000
# What Postfix and Sendmail offer: every protocol-6 step option, among
# them the steps sent without waiting for a reply.
SMFIP_ALL = 0x1FFFFF


class MilterReply(Exception):
    pass


class MilterClient:
    """The MTA side of the milter protocol (version 6), enough to drive
    cryptmilter as Postfix or Sendmail would and record what it asks for."""

    def __init__(self, path, timeout=30, offer=SMFIP_OFFER):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.send(b"O", struct.pack("!III", 6, SMFIF_ALL, offer))
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

    def step(self, cmd, data, noreply=0):
        """Send a command; return (reply code, reply text or None). A step
        negotiated as noreply is answered by nobody: as the MTA does, go
        on as if the milter said continue."""
        self.send(cmd, data)
        if self.protocol & noreply:
            return b"c", None
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
                         + client_addr.encode() + b"\0", SMFIP_NR_CONN)

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
        c, t = self.step(b"M", b"<" + sender.encode() + b">\0", SMFIP_NR_MAIL)
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
            c, t = self.step(b"L", name.strip() + b"\0" + value + b"\0", SMFIP_NR_HDR)
            check(c == b"c", "header answered %r %r" % (c, t))
        if not self.protocol & SMFIP_NOEOH:
            c, t = self.step(b"N", b"")
            check(c == b"c", "eoh answered %r" % c)
        body = crlf(body)       # MTAs hand the body over with CRLF
        for i in range(0, len(body), 65535):
            c, t = self.step(b"B", body[i:i + 65535], SMFIP_NR_BODY)
            check(c == b"c", "body answered %r %r" % (c, t))
        self.send(b"E", b"")
        newbody = None
        order = []
        while True:
            c, d = self.recv()
            order.append(c)
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
        res["replaced"] = newbody or b""    # what body replacement sent, if refused too
        res["order"] = b"".join(order)      # the milter's answers to end of message
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
