#!/usr/bin/env python3
"""cryptmilter-keys list / expiring / check (issue 27): a keyring made here
with one key of each state is listed as the configured OpenPGPBackend
(CM_TEST_BACKEND) reads it; --json parses; expiring exits 1 when it lists
something, 0 when not."""
import datetime
import json
import os
import subprocess

from harness.cmtest import args, check, run_tests, workdir, write_config

BIN = None
TMP = None
KR = None
CONF = None
FPR = {}            # local part -> fingerprint


def make_keyring():
    home = os.path.join(TMP, "gnupg")
    os.makedirs(home, mode=0o700)

    def g(*a, pre=(), **kw):
        return subprocess.run(list(pre) + ["gpg", "--homedir", home, "--batch", "--quiet", "--passphrase", "",
                               "--pinentry-mode", "loopback"] + list(a), check=True,
                              capture_output=True, **kw)

    def gen(local, algo="future-default", usage="default", expire="never", pre=()):
        g("--quick-gen-key", "%s <%s@example.net>" % (local, local), algo, usage, expire, pre=pre)
        if pre:     # no agent left running in the faked time
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
        out = g("--with-colons", "--list-keys", "<%s@example.net>" % local).stdout.decode()
        FPR[local] = [x.split(":")[9] for x in out.splitlines() if x.startswith("fpr:")][0]

    gen("usable")
    gen("soon", "future-default", "default", "10d")
    gen("old", "future-default", "default", "1y", pre=("faketime", "2020-01-01 00:00:00"))
    gen("signer", "ed25519", "sign")
    gen("gone")
    gen("off")
    rev = os.path.join(home, "openpgp-revocs.d", FPR["gone"] + ".rev")
    with open(rev) as f:
        text = f.read().replace(":-----BEGIN", "-----BEGIN")
    g("--import", input=text.encode())
    g("--edit-key", FPR["off"], "disable", "quit")
    g("--check-trustdb")
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    return home


def make_certs():
    """Two S/MIME certificates: one valid a year, one that expired in 2020."""
    d = os.path.join(TMP, "certs")
    os.makedirs(d)
    for who, pre, serial in (("sam", (), "0x51"), ("ole", ("faketime", "2019-06-01 00:00:00"), "0x52")):
        subprocess.run(list(pre) + [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "200",
            "-set_serial", serial, "-keyout", os.path.join(d, who + ".key"),
            "-out", os.path.join(d, who + ".pem"), "-subj", "/CN=%s test/O=Keys Test" % who,
            "-addext", "subjectAltName=email:%s@example.org" % who,
            "-addext", "keyUsage=keyEncipherment,digitalSignature",
            "-addext", "extendedKeyUsage=emailProtection"], check=True, capture_output=True)
        os.unlink(os.path.join(d, who + ".key"))
    return d


def keys(*a):
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", CONF] + list(a),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


WANT = {"usable": "usable", "soon": "usable", "old": "expired", "signer": "no-encryption",
        "gone": "revoked", "off": "disabled"}
CERTS = {"sam@example.org": ("0x51", "usable"), "ole@example.org": ("0x52", "expired")}


def test_list_states():
    rc, out, err = keys("list")
    check(rc == 0 and err == "", "exit %d: %r" % (rc, err))
    lines = {x.split()[0]: x.split() for x in out.splitlines()}
    n = len(WANT) + len(CERTS)
    check(len(lines) == n and len(out.splitlines()) == n, "listed %r" % out)
    for addr, (serial, state) in CERTS.items():
        f = lines[addr]
        check(f[1] == "smime" and f[4] == state, "%s: %r" % (addr, f))
        check(f[2] == "O=Keys\\20Test,CN=%s\\20test/%s" % (addr[:3], serial[2:]),
              "%s: id %r" % (addr, f[2]))
    check(lines["ole@example.org"][3] == "2019-12-18", "ole: %r" % lines["ole@example.org"])
    for local, state in WANT.items():
        f = lines.get("%s@example.net" % local)
        check(f is not None, "%s not listed: %r" % (local, out))
        check(f[1:3] == ["pgp", FPR[local]], "%s: %r" % (local, f))
        check(f[4] == state, "%s: state %s, want %s" % (local, f[4], state))
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=10)).date()
    check(lines["soon@example.net"][3] in (str(soon), str(soon - datetime.timedelta(days=1))),
          "soon expires %s" % lines["soon@example.net"][3])
    check(lines["usable@example.net"][3] == "never", "usable: %r" % lines["usable@example.net"])
    check(lines["old@example.net"][3] == "2020-12-31", "old: %r" % lines["old@example.net"])


def test_list_json():
    rc, out, err = keys("list", "--json")
    check(rc == 0, "exit %d: %s" % (rc, err))
    v = json.loads(out)
    check(isinstance(v, list) and len(v) == len(WANT) + len(CERTS), "json %r" % out)
    got = {x["address"]: x for x in v}
    for addr, (serial, state) in CERTS.items():
        check(got[addr]["class"] == "smime" and got[addr]["state"] == state
              and got[addr]["id"].endswith("/" + serial[2:]), "%s: %r" % (addr, got[addr]))
    for local, state in WANT.items():
        x = got["%s@example.net" % local]
        check(x["state"] == state and x["id"] == FPR[local] and x["class"] == "pgp",
              "%s: %r" % (local, x))
    rc, out, err = keys("list", "--json", "nobody@example.net")
    check(rc == 0 and json.loads(out) == [], "empty json: %d %r" % (rc, out))


def test_list_addresses():
    rc, out, err = keys("list", "SOON@example.net", "off@example.net")
    check(rc == 0, "exit %d: %s" % (rc, err))
    check(sorted(x.split()[0] for x in out.splitlines())
          == ["off@example.net", "soon@example.net"], "listed %r" % out)
    rc, out, err = keys("list", "nobody@example.net")
    check(rc == 0 and out == "", "unknown address: %d %r %r" % (rc, out, err))


def test_expiring():
    rc, out, err = keys("expiring", "--days", "30")
    check(rc == 1, "exit %d, want 1: %s" % (rc, err))
    check(sorted(x.split()[0] for x in out.splitlines())
          == ["old@example.net", "ole@example.org", "soon@example.net"], "listed %r" % out)
    rc, out, err = keys("expiring")
    check(rc == 1 and len(out.splitlines()) == 3, "default 30 days: %d %r" % (rc, out))
    rc, out, err = keys("expiring", "--days", "5", "soon@example.net", "usable@example.net",
                        "sam@example.org")
    check(rc == 0 and out == "", "--days 5: %d %r" % (rc, out))
    rc, out, err = keys("expiring", "--days", "12", "soon@example.net")
    check(rc == 1 and out.split()[0] == "soon@example.net", "--days 12: %d %r" % (rc, out))
    rc, out, err = keys("expiring", "--days", "250", "sam@example.org")
    check(rc == 1 and out.split()[:2] == ["sam@example.org", "smime"], "--days 250: %r" % out)
    rc, out, err = keys("expiring", "--days", "x")
    check(rc == 64, "--days x: exit %d" % rc)


def test_check():
    rc, out, err = keys("check")
    check(rc == 0, "exit %d: %s %s" % (rc, out, err))
    check("# KeyringDir: 6 keys, 2 addresses, 1 expiring within 30 days\n" in out, "%r" % out)


def test_unreadable_keyring_fails():
    bad = os.path.join(TMP, "bad")
    os.makedirs(bad, mode=0o700)
    with open(os.path.join(bad, "pubring.kbx"), "wb") as f:
        f.write(b"\x00garbage" * 64)
    c = write_config(os.path.join(TMP, "bad.conf"), KeyringDir=bad)
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", c, "list"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 75 and r.stdout == "", "damaged: %d %r %r" % (r.returncode, r.stdout,
                                                                         r.stderr))


def main():
    global BIN, TMP, KR, CONF
    BIN = args().bindir
    TMP = workdir()
    KR = make_keyring()
    CONF = write_config(os.path.join(TMP, "keys.conf"), KeyringDir=KR,
                        CertificateDir=make_certs())
    tests = [(n[5:], f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    run_tests(tests)


if __name__ == "__main__":
    main()
