"""The message corpus: every shape of message the tests send."""
import random

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
