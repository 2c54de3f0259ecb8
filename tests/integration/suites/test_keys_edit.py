#!/usr/bin/env python3
"""cryptmilter-keys import / remove / disable / enable (issue 27), with the
OpenPGPBackend of CM_TEST_BACKEND: keys imported armored, binary and from
stdin, a certificate, secret keys refused (accepted with --gateway), removal
by address and fingerprint, a GatewayKeys key kept; a disabled key is no
recipient for the filter; the running daemon encrypts to a key imported
while it runs, and stops when it is disabled."""
import os
import subprocess

from harness.cmtest import Milter, args, check, run_tests, workdir, write_config
from harness.filtcheck import run_filter

BIN = None
TMP = None
KR = None           # the daemon's KeyringDir, filled only by cryptmilter-keys
CERTS = None
SRC = None          # where the test's keys are made
FPR = {}
MSG = b"From: a@ext.example\nTo: x\nSubject: keys edit\n\ncanary keys-edit\n"


def gpg(*a, home=None, **kw):
    return subprocess.run(["gpg", "--homedir", home or SRC, "--batch", "--quiet", "--passphrase", "",
                           "--pinentry-mode", "loopback"] + list(a), check=True,
                          capture_output=True, **kw).stdout


def make_keys():
    for local in ("ann", "bea", "cid", "gw"):
        gpg("--quick-gen-key", "%s <%s@example.org>" % (local, local), "ed25519", "default", "never")
        gpg("--quick-add-key", fpr_of(local), "cv25519", "encr", "never")
        FPR[local] = fpr_of(local)


def fpr_of(local):
    out = gpg("--with-colons", "--list-keys", "<%s@example.org>" % local).decode()
    return [x.split(":")[9] for x in out.splitlines() if x.startswith("fpr:")][0]


def keys(*a, conf=None, stdin=None):
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", conf or CONF] + list(a),
                       input=stdin, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def state(addr):
    rc, out, err = keys("list", addr)
    check(rc == 0, "list: %d %s" % (rc, err))
    return [x.split()[4] for x in out.splitlines()]


def encrypts(to, conf=None):
    r = run_filter(os.path.join(BIN, "cryptmilter-filter"), conf or CONF, MSG, "a@ext.example",
                   [to], "inbound")
    check(r.returncode == 0, "filter exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"canary" not in r.stdout or b"skipped no-key" in r.stdout, "plaintext and no trace")
    return b"multipart/encrypted" in r.stdout


def test_1_import_armored_binary_stdin():
    path = os.path.join(TMP, "ann.asc")
    with open(path, "wb") as f:
        f.write(gpg("--armor", "--export", FPR["ann"]))
    rc, out, err = keys("import", path)
    check(rc == 0 and out == "pgp %s ann@example.org added\n" % FPR["ann"], "%d %r %s" % (rc, out, err))
    rc, out, err = keys("import", path)
    check(rc == 0 and out.split()[-1] == "unchanged", "again: %d %r" % (rc, out))
    path = os.path.join(TMP, "bea.gpg")
    with open(path, "wb") as f:
        f.write(gpg("--export", FPR["bea"]))
    rc, out, err = keys("import", path)
    check(rc == 0 and out.split()[1:] == [FPR["bea"], "bea@example.org", "added"], "%r %s" % (out, err))
    rc, out, err = keys("import", "-", stdin=gpg("--armor", "--export", FPR["cid"]))
    check(rc == 0 and out.split()[1:] == [FPR["cid"], "cid@example.org", "added"], "%r %s" % (out, err))
    check(state("ann@example.org") == ["usable"], "ann not usable")
    check(encrypts("ann@example.org"), "not encrypted to an imported key")


def test_2_secret_refused_then_gateway():
    sec = gpg("--armor", "--export-secret-keys", FPR["gw"])
    rc, out, err = keys("import", "-", stdin=sec)
    check(rc == 65 and out == "" and "secret" in err, "secret: %d %r %s" % (rc, out, err))
    check(state("gw@example.org") == [], "a refused secret key is in the keyring")
    rc, out, err = keys("import", "--gateway", "-", stdin=sec)
    check(rc == 0 and "pgp-secret %s gw@example.org added" % FPR["gw"] in out, "%d %r %s" % (rc, out, err))
    rc, out, err = keys("remove", "gw@example.org")
    check(rc == 65 and "GatewayKeys" in err and out == "", "gateway key removed: %d %r" % (rc, err))
    check(state("gw@example.org") == ["usable"], "gateway key gone")


def test_3_garbage_and_usage():
    rc, out, err = keys("import", "-", stdin=b"hello\n")
    check(rc == 65 and out == "", "garbage: %d %r" % (rc, err))
    rc, out, err = keys("remove")
    check(rc == 64, "remove without argument: %d" % rc)
    rc, out, err = keys("remove", "nobody@example.org")
    check(rc == 65 and "no key" in err, "nothing to remove: %d %s" % (rc, err))


def test_4_certificate():
    d = os.path.join(TMP, "mk")
    os.makedirs(d)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-keyout", d + "/k.pem", "-out", d + "/c.pem", "-subj", "/CN=dee",
                    "-addext", "subjectAltName=email:dee@example.org",
                    "-addext", "keyUsage=keyEncipherment",
                    "-addext", "extendedKeyUsage=emailProtection"], check=True, capture_output=True)
    with open(d + "/c.pem", "rb") as f, open(d + "/k.pem", "rb") as k:
        cert, key = f.read(), k.read()
    rc, out, err = keys("import", "-", stdin=cert + key)
    check(rc == 65 and "private key" in err and os.listdir(CERTS) == [], "key: %d %s" % (rc, err))
    rc, out, err = keys("import", d + "/c.pem")
    f = out.split()
    check(rc == 0 and f[0] == "smime" and f[2:] == ["dee@example.org", "added"], "%d %r %s" % (rc, out, err))
    files = os.listdir(CERTS)
    check(len(files) == 1 and files[0].endswith(".pem") and len(files[0]) == 68, "files %r" % files)
    check(state("dee@example.org") == ["usable"], "certificate not listed")
    rc, out, err = keys("remove", "dee@example.org")
    check(rc == 0 and out.split()[-1] == "removed" and os.listdir(CERTS) == [], "%d %r" % (rc, out))


def test_5_disable_enable():
    conf = write_config(os.path.join(TMP, "pass.conf"), KeyringDir=KR, CertificateDir=CERTS,
                        MissingKeyAction="pass", GatewayKeys=FPR["gw"])
    rc, out, err = keys("disable", FPR["bea"])
    check(rc == 0 and out.split()[-1] == "disabled", "%d %r %s" % (rc, out, err))
    check(state("bea@example.org") == ["disabled"], "not listed disabled")
    check(not encrypts("bea@example.org", conf), "encrypted to a disabled key")
    r = run_filter(os.path.join(BIN, "cryptmilter-filter"), CONF, MSG, "a@ext.example",
                   ["bea@example.org"], "inbound")
    check(r.returncode == 75 and b"451" in r.stderr, "tempfail: %d %r" % (r.returncode, r.stderr))
    rc, out, err = keys("enable", FPR["bea"])
    check(rc == 0 and out.split()[-1] == "enabled", "%d %r %s" % (rc, out, err))
    check(encrypts("bea@example.org", conf), "not encrypted after enable")
    rc, out, err = keys("disable", "bea@example.org")
    check(rc == 65, "disable by address: %d" % rc)


def test_6_remove_by_address_and_fingerprint():
    rc, out, err = keys("remove", "ANN@example.org")
    check(rc == 0 and out == "pgp %s ann@example.org removed\n" % FPR["ann"], "%d %r %s" % (rc, out, err))
    rc, out, err = keys("remove", FPR["cid"].lower())
    check(rc == 0 and out.split()[1:3] == [FPR["cid"], "cid@example.org"], "%d %r %s" % (rc, out, err))
    check(state("ann@example.org") == [] and state("cid@example.org") == [], "still listed")


def test_7_daemon_takes_an_import():
    m = Milter(BIN, TMP, KeyringDir=KR, CertificateDir=CERTS, MissingKeyAction="pass",
               GatewayKeys=FPR["gw"])
    try:
        res = m.send("a@ext.example", ["ann@example.org"], MSG)
        check("multipart/encrypted" not in str(res), "encrypted without a key")
        rc, out, err = keys("import", "-", stdin=gpg("--export", FPR["ann"]))
        check(rc == 0, "import: %d %s" % (rc, err))
        res = m.send("a@ext.example", ["ann@example.org"], MSG, qid="QID2")
        check("multipart/encrypted" in str(res), "not encrypted after the import: %r" % res)
        rc, out, err = keys("disable", FPR["ann"])
        check(rc == 0, "disable: %d %s" % (rc, err))
        res = m.send("a@ext.example", ["ann@example.org"], MSG, qid="QID3")
        check("multipart/encrypted" not in str(res), "encrypted to a key disabled while it ran")
    finally:
        m.stop()


def main():
    global BIN, TMP, KR, CERTS, SRC, CONF
    BIN = args().bindir
    TMP = workdir()
    SRC = os.path.join(TMP, "src")
    KR = os.path.join(TMP, "kr")
    CERTS = os.path.join(TMP, "certs")
    for d in (SRC, KR, CERTS):
        os.makedirs(d, mode=0o700)
    make_keys()
    CONF = write_config(os.path.join(TMP, "keys.conf"), KeyringDir=KR, CertificateDir=CERTS,
                        MissingKeyAction="tempfail", GatewayKeys=FPR["gw"])
    try:
        run_tests([(n[5:], f) for n, f in sorted(globals().items()) if n.startswith("test_")])
    finally:
        for h in (SRC, KR):
            subprocess.run(["gpgconf", "--homedir", h, "--kill", "all"], capture_output=True)


if __name__ == "__main__":
    main()
