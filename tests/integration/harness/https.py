"""A Web Key Directory on loopback for the WKD tests: a test CA and a server
certificate made with openssl at test time, Python's http.server over TLS,
answers set per path (key bytes, a status, a redirect, or "hang": the
connection is accepted and the request read, and nothing is ever sent).
Every request is counted by path, so that a test can say a lookup was (or
was not) made. The WKD hash is computed here independently of cryptmilter
(hashlib's SHA-1, z-base-32 written out below)."""
import hashlib
import http.server
import os
import socket
import ssl
import subprocess
import threading
import time

ZB32 = "ybndrfg8ejkmcpqxot1uwisza345h769"


def wkd_hash(local):
    """The draft's hashed local part: ASCII lower-cased, SHA-1, z-base-32."""
    lowered = bytes(c + 32 if 65 <= c <= 90 else c for c in local.encode())
    n = int.from_bytes(hashlib.sha1(lowered).digest(), "big")
    return "".join(ZB32[(n >> (155 - 5 * i)) & 31] for i in range(32))


def wkd_path(addr, advanced=True):
    """The path (no query) of addr's key under either method."""
    local, domain = addr.rsplit("@", 1)
    domain = domain.lower()
    if advanced:
        return "/.well-known/openpgpkey/%s/hu/%s" % (domain, wkd_hash(local))
    return "/.well-known/openpgpkey/hu/%s" % wkd_hash(local)


def make_ca(tmp, names):
    """A CA and a certificate for names (DNS SANs) signed by it: the paths
    of the CA's certificate, the server's certificate and its key."""
    d = os.path.join(tmp, "wkd-tls")
    os.makedirs(d, exist_ok=True)
    ca_key, ca, key, csr, crt = (os.path.join(d, n) for n in
                                 ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                % ",".join("DNS:" + n for n in names))

    def ossl(*a):
        subprocess.run(["openssl"] + list(a), check=True, capture_output=True)

    ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "2", "-subj", "/CN=cryptmilter WKD test CA", "-keyout", ca_key, "-out", ca)
    ossl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-subj", "/CN=" + names[0], "-keyout", key, "-out", csr)
    ossl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-days", "2", "-extfile", ext, "-out", crt)
    return ca, crt, key


class WKDServer:
    """routes: path -> bytes (200), an int (that status, empty), ("redirect",
    URL) (302 there), ("slow", SECONDS, ROUTE) (ROUTE after SECONDS) or "hang".
    Anything else is 404."""

    def __init__(self, tmp, names):
        self.ca, crt, key = make_ca(tmp, names)
        self.routes = {}
        self.requests = {}
        self.lock = threading.Lock()
        self.stop_hanging = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                with server.lock:
                    server.requests[path] = server.requests.get(path, 0) + 1
                    what = server.routes.get(path, 404)
                if what == "hang":
                    server.stop_hanging.wait(120)
                    return
                if isinstance(what, tuple) and what[0] == "slow":
                    time.sleep(what[1])
                    what = what[2]
                if isinstance(what, tuple):
                    self.send_response(302)
                    self.send_header("Location", what[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = what if isinstance(what, bytes) else b"not here\n"
                self.send_response(200 if isinstance(what, bytes) else what)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self, path):
        with self.lock:
            return self.requests.get(path, 0)

    def close(self):
        self.stop_hanging.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port():
    """A loopback port nothing listens on (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
