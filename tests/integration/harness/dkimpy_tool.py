"""dkimpy, the independent DKIM implementation, run by Debian's python3
(python3-dkim is installed for it, not for the interpreter that runs the
suites): `sign KEYFILE DOMAIN SELECTOR` signs the message on stdin and
writes it signed; `verify NAME=RECORD...` verifies the first
DKIM-Signature of the message on stdin, looking keys up in the records
given only, and exits 0 if it verifies, 1 if not.

No DNS: dkimpy's resolver module is replaced before dkimpy loads it, by one
that refuses every lookup (loading the real one, dnspython and httpx, also
took 2.5 s a run)."""
import logging
import sys
import types


def _no_dns(name, timeout=5):
    raise RuntimeError("no DNS in the tests (asked for %r)" % name)


sys.modules["dkim.dnsplug"] = types.ModuleType("dkim.dnsplug")
sys.modules["dkim.dnsplug"].get_txt = _no_dns
import dkim  # noqa: E402 (after the resolver is replaced)

HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]


def main(argv):
    message = sys.stdin.buffer.read()
    if argv[0] == "sign":
        with open(argv[1], "rb") as f:
            pem = f.read()
        sig = dkim.sign(message, argv[3].encode(), argv[2].encode(), pem,
                        canonicalize=(b"relaxed", b"simple"), include_headers=HEADERS)
        sys.stdout.buffer.write(sig.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + message)
        return 0
    records = dict(a.split("=", 1) for a in argv[1:])

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return records.get(name.lower().rstrip("."), "").encode() or None
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="dkimpy: %(message)s")
    try:
        ok = dkim.DKIM(message, logger=logging.getLogger("dkimpy")).verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        print("dkimpy: %s" % e, file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
