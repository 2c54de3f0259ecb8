#!/usr/bin/env python3
"""cryptmilter-keys import --gateway of the gateway's S/MIME certificate and
key (issue 27): written 0600 into the GatewayCertificates file
docs/keys.md says (the one holding that key, else the first not there
yet), given to UserID; a renewal replaces the same file; a key that is not
the certificate's, a PKCS#12 file with a password, a certificate alone,
no free file and no GatewayCertificates are refused with nothing written;
`cryptmilter -n` accepts what was written; and the running daemon,
reloaded, decrypts an outbound message enveloped to the imported
certificate that it passed untouched before."""
import os
import pwd
import signal
import stat
import subprocess

from harness import sender as S
from harness import smime_sender as M
from harness.cmtest import Milter, args, check, run_tests, workdir, write_config
from harness.smime_oracles import CA, CERTS

BIN = None
TMP = None
GW = None           # the directory of the GatewayCertificates files
NEW = {}            # certificates and keys made by the test


def keys(conf, *a, stdin=None):
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", conf] + list(a),
                       input=stdin, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def conf(name, *files, **kw):
    base = {"KeyringDir": "none", "CertificateDir": CERTS, "TrustAnchors": CA,
            "ReplayCache": os.path.join(TMP, "replay")}
    if files:
        base["GatewayCertificates"] = " ".join(os.path.join(GW, f) for f in files)
    base.update(kw)
    return write_config(os.path.join(TMP, name + ".conf"), **base)


def openssl(*a, stdin=None):
    return subprocess.run(["openssl"] + list(a), input=stdin, check=True,
                          capture_output=True).stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def make(name, key=None, serial="1"):
    """A self-signed gateway@example.org certificate that can be encrypted
    to (EC, keyAgreement): a new key, or key's (a renewal)."""
    k = key or os.path.join(TMP, name + ".key")
    c = os.path.join(TMP, name + ".crt")
    new = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", k]
    openssl("req", "-x509", *(["-key", k] if key else new), "-days", "30", "-subj", "/CN=" + name,
            "-set_serial", serial, "-out", c, "-addext", "subjectAltName=email:gateway@example.org",
            "-addext", "keyUsage=keyAgreement", "-addext", "extendedKeyUsage=emailProtection")
    NEW[name] = (c, k)
    return read(c), read(k)


def holds(path, cert, key):
    """path holds cert (the same DER) and a private key of cert's public key."""
    der = openssl("x509", "-outform", "DER", stdin=read(path))
    check(der == openssl("x509", "-outform", "DER", stdin=cert), "%s: another certificate" % path)
    pub = openssl("pkey", "-pubout", stdin=read(path))
    check(pub == openssl("pkey", "-pubout", stdin=key), "%s: another key" % path)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_1_import_writes_0600_first_free_file():
    """Key before certificate: the first listed file not there yet (a.pem
    is another identity, b.pem is free), 0600, the line names it; -n
    accepts the two files."""
    open(os.path.join(GW, "a.pem"), "wb").write(read(M.GATEWAY_FILES[0]))
    os.chmod(os.path.join(GW, "a.pem"), 0o600)
    cert, key = make("one")
    c = conf("two", "a.pem", "b.pem", "c.pem")
    rc, out, err = keys(c, "import", "--gateway", "-", stdin=key + cert)
    b = os.path.join(GW, "b.pem")
    f = out.split()
    check(rc == 0 and len(f) == 5 and f[0] == "smime-gateway" and f[1].startswith("CN=one/")
          and f[2:] == ["gateway@example.org", "written", b], "%d %r %s" % (rc, out, err))
    check("reload" in err, "no word of the reload: %r" % err)
    check(mode_of(b) == 0o600, "mode %o" % mode_of(b))
    holds(b, cert, key)
    check(read(os.path.join(GW, "a.pem")) == read(M.GATEWAY_FILES[0]), "a.pem changed")
    check(not os.path.exists(os.path.join(GW, "c.pem")), "c.pem written")
    check(sorted(os.listdir(GW)) == ["a.pem", "b.pem"], "left behind: %r" % os.listdir(GW))
    r = subprocess.run([os.path.join(BIN, "cryptmilter"), "-n", "-c", conf("n", "a.pem", "b.pem")],
                       capture_output=True)
    check(r.returncode == 0 and b"GatewayCertificates: 2 certificates with their keys" in r.stdout,
          "-n: %d %r %r" % (r.returncode, r.stdout[-300:], r.stderr[-300:]))


def test_2_renewal_replaces_the_same_file():
    """A new certificate for b.pem's key, listed after a free file: b.pem is
    replaced (not the free one), still 0600."""
    cert, key = make("one-renewed", key=NEW["one"][1], serial="2")
    c = conf("renew", "a.pem", "free.pem", "b.pem")
    rc, out, err = keys(c, "import", "--gateway", "-", stdin=cert + key)
    b = os.path.join(GW, "b.pem")
    check(rc == 0 and out.split()[1].startswith("CN=one-renewed/") and out.split()[-1] == b,
          "%d %r %s" % (rc, out, err))
    holds(b, cert, key)
    check(mode_of(b) == 0o600, "mode %o" % mode_of(b))
    check(not os.path.exists(os.path.join(GW, "free.pem")), "written to the free file")


def unchanged(before):
    check({f: read(os.path.join(GW, f)) for f in os.listdir(GW)} == before, "files changed")


def test_3_refusals_write_nothing():
    before = {f: read(os.path.join(GW, f)) for f in os.listdir(GW)}
    c = conf("refuse", "a.pem", "b.pem", "new.pem")
    alice = read(os.path.join(CERTS, "alice.pem"))
    cert, key = make("two")
    old = os.path.join(TMP, "old.crt")
    subprocess.run(["faketime", "-f", "-60d", "openssl", "req", "-x509", "-key", NEW["two"][1],
                    "-days", "1", "-subj", "/CN=old", "-out", old, "-addext",
                    "subjectAltName=email:gateway@example.org", "-addext",
                    "keyUsage=keyAgreement"], check=True, capture_output=True)
    cases = [
        ("mismatch", alice + key, 65, "not the key of its certificate"),
        ("certificate alone", cert, 65, "no private key"),
        ("garbage", b"hello\n", 65, "neither PEM nor PKCS#12"),
        ("expired", read(old) + key, 65, "expired"),
    ]
    p12 = os.path.join(TMP, "pw.p12")
    openssl("pkcs12", "-export", "-in", NEW["two"][0], "-inkey", NEW["two"][1], "-passout",
            "pass:secret", "-out", p12)
    cases.append(("pkcs12 with a password", read(p12), 65, "openssl pkcs12 -in FILE -nodes"))
    for name, data, want, text in cases:
        rc, out, err = keys(c, "import", "--gateway", "-", stdin=data)
        check(rc == want and out == "" and text in err, "%s: %d %r %s" % (name, rc, out, err))
    unchanged(before)
    # Every listed file another identity's: 73, naming the key to extend.
    rc, out, err = keys(conf("full", "a.pem", "b.pem"), "import", "--gateway", "-", stdin=cert + key)
    check(rc == 73 and out == "" and "GatewayCertificates" in err, "full: %d %s" % (rc, err))
    rc, out, err = keys(conf("unset"), "import", "--gateway", "-", stdin=cert + key)
    check(rc == 78 and "GatewayCertificates is not set" in err, "unset: %d %s" % (rc, err))
    # Without --gateway a private key is refused, and never lands in
    # CertificateDir.
    certs = sorted(os.listdir(CERTS))
    rc, out, err = keys(c, "import", "-", stdin=cert + key)
    check(rc == 65 and "private key" in err and sorted(os.listdir(CERTS)) == certs,
          "no --gateway: %d %s" % (rc, err))
    unchanged(before)


def test_4_pkcs12_without_password_owned_by_userid():
    """PKCS#12 without a password; with UserID, run as root, the file is
    given to that user (the tool writes it as root: /etc/cryptmilter is
    root's)."""
    p12 = os.path.join(TMP, "nopw.p12")
    openssl("pkcs12", "-export", "-in", NEW["two"][0], "-inkey", NEW["two"][1], "-passout",
            "pass:", "-out", p12)
    user = {}
    if os.geteuid() == 0:
        user = {"UserID": "nobody"}
    c = conf("p12", "a.pem", "b.pem", "p12.pem", **user)
    rc, out, err = keys(c, "import", "--gateway", p12)
    path = os.path.join(GW, "p12.pem")
    check(rc == 0 and out.split()[-1] == path, "%d %r %s" % (rc, out, err))
    holds(path, read(NEW["two"][0]), read(NEW["two"][1]))
    st = os.stat(path)
    check(stat.S_IMODE(st.st_mode) == 0o600, "mode %o" % stat.S_IMODE(st.st_mode))
    want = pwd.getpwnam("nobody").pw_uid if user else os.geteuid()
    check(st.st_uid == want, "owner %d, want %d" % (st.st_uid, want))
    os.unlink(path)


def test_5_daemon_decrypts_after_import_and_reload():
    """The daemon passes a message enveloped to a certificate it has no key
    for; the administrator lists a new file, imports the certificate and
    key into it, reloads: the same kind of message is decrypted."""
    cert, key = make("three")
    base = dict(TrustAnchors=CA, InternalHosts="127.0.0.1/32", KeyringDir="none",
                CertificateDir=CERTS, ReplayCache=os.path.join(TMP, "replay"))
    m = Milter(BIN, TMP, "gw", GatewayCertificates=os.path.join(GW, "a.pem"), **base)
    try:
        def send(qid):
            mark = S.canary()
            msg = M.message(M.encrypt(M.sign(S.entity_text(mark)), NEW["three"][0],
                                      "-aes-256-gcm"))
            return mark, m.send("alice@example.org", ["x@ext.example"], msg, qid=qid,
                                client_addr="127.0.0.1")
        mark, res = send("GW1")
        check(res["reply"][0] in (b"c", b"a") and mark.encode() not in res["body"],
              "before the import: %r" % (res["reply"],))
        files = " ".join(os.path.join(GW, f) for f in ("a.pem", "d.pem"))
        write_config(m.conf, Socket="local:" + m.sock, GatewayCertificates=files, **base)
        rc, out, err = keys(m.conf, "import", "--gateway", "-", stdin=cert + key)
        check(rc == 0 and out.split()[-1] == os.path.join(GW, "d.pem"), "%d %r %s" % (rc, out, err))
        m.p.send_signal(signal.SIGHUP)
        m.wait_log(b"reload: configuration 2 ")
        mark, res = send("GW2")
        check(res["reply"][0] in (b"c", b"a") and mark.encode() in res["body"],
              "not decrypted after the reload: %r" % (res["reply"],))
        header = b"\n".join(b"\n".join(f) for f in res["fields"])
        check(b"X-Cryptmilter: decrypted smime" in header, "no trace: %r" % header[-300:])
    finally:
        m.stop()


def main():
    global BIN, TMP, GW
    BIN = args().bindir
    TMP = workdir()
    GW = os.path.join(TMP, "gw")
    os.makedirs(GW, mode=0o755)
    run_tests([(n[5:], f) for n, f in sorted(globals().items()) if n.startswith("test_")])


if __name__ == "__main__":
    main()
