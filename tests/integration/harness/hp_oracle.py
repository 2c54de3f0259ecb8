"""The header protection oracle (RFC 9788, hcp_baseline): what a decrypted
entity must hold when ProtectHeaders is on, judged from the original
message alone with Python's own header decoding, not cryptmilter's code."""
import email.header
import quopri
import re

from .cmrun import check
from .oracles import field_bytes, field_name, split_message

PROTECTED = (b"subject", b"from", b"sender", b"to", b"cc", b"date", b"message-id",
             b"in-reply-to", b"references", b"reply-to", b"followup-to",
             b"mail-followup-to", b"keywords", b"comments")
HIDDEN = (b"subject", b"keywords", b"comments")


def applies(original):
    """Does the original take header protection: one parsable Content-Type
    (or none) without an hp parameter of its own?"""
    fields, _ = split_message(original)
    ctypes = [f for f in fields if field_name(f) == b"content-type"]
    if len(ctypes) > 1:
        return False
    if not ctypes:
        return True
    v = re.sub(rb"\s+", b" ", _value(ctypes[0])).strip()
    hp = re.findall(rb";\s*hp(\*?[0-9]*\*?)\s*=\s*(\"[^\"]*\"|[^;\s]*)", v, re.I)
    return (re.match(rb"[A-Za-z0-9!#$&^_.+-]+ ?/ ?[A-Za-z0-9!#$&^_.+-]+", v) is not None
            and all(star == b"" and val.strip(b'"') == b"cipher" for star, val in hp))


def _declared(ctype):
    """Does the Content-Type already say hp="cipher"?"""
    return re.search(rb';\s*hp\s*=\s*"?cipher"?\s*(;|$)', _value(ctype).strip()) is not None


def baseline_outer(fields):
    """The header fields as hcp_baseline leaves them outside: Subject
    [...], Keywords and Comments gone (the Subject's name lower-cased, as
    the comparison in same_outer takes it)."""
    out = []
    for f in fields:
        n = field_name(f)
        if n == b"subject":
            out.append([b"subject: [...]"])
        elif n not in (b"keywords", b"comments"):
            out.append(f)
    return out


def same_outer(fields):
    """fields with the Subject's name lower-cased (an MTA may respell it)."""
    return [[b"subject:" + f[0].split(b":", 1)[1]] + f[1:] if field_name(f) == b"subject" else f
            for f in fields]


def _value(f):
    return b"\r\n".join(f).split(b":", 1)[1]


def _legacy_lines(ofields, ctype, cte):
    """The legacy display element's text the original allows, or None."""
    if ctype is not None:
        t = re.sub(rb"\s+", b" ", _value(ctype)).strip().lower()
        if not re.match(rb"text/plain\s*(;|$)", t):
            return None
        cs = re.search(rb';\s*charset\s*=\s*"?([^";\s]+)', t)
        charset = cs.group(1) if cs else b"us-ascii"
        if charset not in (b"us-ascii", b"utf-8"):
            return None
    else:
        charset = b"us-ascii"
    enc = _value(cte).strip().lower() if cte is not None else b""
    if enc not in (b"", b"7bit", b"8bit", b"quoted-printable"):
        return None
    lines = []
    for f in ofields:
        if field_name(f) not in HIDDEN:
            continue
        raw = re.sub(rb"\r\n", b"", _value(f)).strip().decode("ascii", "replace")
        try:
            parts = email.header.decode_header(raw)
        except Exception:
            return None
        if any(cs not in (None, "utf-8", "us-ascii") for _, cs in parts):
            return None
        text = str(email.header.make_header(parts)).encode()
        if any(b < 32 or b == 127 for b in text):
            return None
        if any(b > 126 for b in text) and (charset != b"utf-8" or enc in (b"", b"7bit")):
            return None
        lines.append(f[0].split(b":", 1)[0] + b": " + text)
    return lines or None


def unprotect(got, original, legacy=False):
    """Check got (a decrypted entity) is original's entity with header
    protection (with legacy, LegacyDisplay yes: the legacy display element
    wherever the original allows one); return it with the protection taken
    off, which must then equal what ProtectHeaders no encrypts."""
    fields, body = split_message(got)
    ofields, obody = split_message(original)
    content = [f for f in ofields if field_name(f).startswith(b"content-")]
    prot = [f for f in ofields if field_name(f) in PROTECTED]
    octypes = [f for f in content if field_name(f) == b"content-type"]
    cte = next((f for f in content if field_name(f) == b"content-transfer-encoding"), None)
    declared = bool(octypes) and _declared(octypes[0])
    legacy = (None if declared or not legacy
              else _legacy_lines(ofields, octypes[0] if octypes else None, cte))
    suffix = b'hp="cipher"' + (b';\r\n\thp-legacy-display="1"' if legacy else b"")
    if declared:
        want_content = [field_bytes(f) for f in content]
    elif octypes:
        ct = field_bytes(octypes[0])[:-2].rstrip(b" \t\r\n")
        want_ct = ct + (b" " if ct.endswith(b";") else b"; ") + suffix + b"\r\n"
        want_content = [want_ct if f is octypes[0] else field_bytes(f) for f in content]
    else:
        want_content = [b"Content-Type: text/plain; charset=us-ascii; " + suffix + b"\r\n"]
    outer = []
    for f in prot:
        name = f[0].split(b":", 1)[0]
        if field_name(f) == b"subject":
            outer.append(b"HP-Outer: " + name + b": [...]\r\n")
        elif field_name(f) not in (b"keywords", b"comments"):
            outer.append(b"HP-Outer: " + field_bytes(f))
    want = want_content + [field_bytes(f) for f in prot] + outer
    have = [field_bytes(f) for f in fields]
    check(have == want, "protected header differs:\n%r\nwant\n%r" % (have, want))
    if legacy:
        end = body.find(b"\r\n\r\n")
        check(end >= 0, "no legacy display element")
        element, body = body[:end + 4], body[end + 4:]
        if cte is not None and _value(cte).strip().lower() == b"quoted-printable":
            element = quopri.decodestring(element)
        check(element == b"".join(l + b"\r\n" for l in legacy) + b"\r\n",
              "legacy display element %r, want %r" % (element, legacy))
    return b"".join(field_bytes(f) for f in content) + b"\r\n" + body
