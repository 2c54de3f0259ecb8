#!/usr/bin/env python3
"""cryptmilter-keys wkd (issue 27) against a Web Key Directory on loopback
(harness/https.py: a test CA, the names mapped to it by the test-only
KeyDiscoveryConnectTo): a right key is imported and listed; a key whose
user IDs all name others is refused; of a key with two user IDs only the
asked-for one is kept; a 404 exits 1; a server that never answers is given
up within KeyDiscoveryTimeout; the direct method is tried when the advanced
host refuses; off-host redirects, oversized answers and secret keys are
refused; a certificate from another CA is refused."""
import os
import subprocess
import time

from harness.cmtest import args, check, run_tests, workdir, write_config
from harness.https import WKDServer, closed_port, make_ca, wkd_path

BIN = None
TMP = None
SRV = None
KR = None           # the KeyringDir the tool imports into
CONF = None
SRC = None          # the GnuPG home the served keys are made in
FPR = {}            # name -> fingerprint
TIMEOUT = 2         # KeyDiscoveryTimeout, seconds


def gpg(home, *a, **kw):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--passphrase", "",
                           "--pinentry-mode", "loopback"] + list(a), check=True,
                          capture_output=True, **kw)


def make_key(name, *uids):
    gpg(SRC, "--quick-gen-key", uids[0], "future-default", "default", "never")
    out = gpg(SRC, "--with-colons", "--list-keys", uids[0]).stdout.decode()
    FPR[name] = [x.split(":")[9] for x in out.splitlines() if x.startswith("fpr:")][0]
    for u in uids[1:]:
        gpg(SRC, "--quick-add-uid", FPR[name], u)


def export(name, secret=False):
    return gpg(SRC, "--export-secret-keys" if secret else "--export", FPR[name]).stdout


def keyring_uids(fpr):
    """The user IDs KeyringDir holds for fpr; None if the key is not there."""
    r = subprocess.run(["gpg", "--homedir", KR, "--batch", "--with-colons", "--list-keys", fpr],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return [x.split(":")[9] for x in r.stdout.splitlines() if x.startswith("uid:")]


def keys(*a, conf=None):
    t = time.monotonic()
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", conf or CONF] + list(a),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t


def test_right_key_imported():
    rc, out, err, _ = keys("wkd", "Ann@Example.ORG")
    check(rc == 0, "exit %d: %s" % (rc, err))
    check(out == "Ann@Example.ORG %s added\n" % FPR["ann"], "printed %r" % out)
    check(keyring_uids(FPR["ann"]) == ["Ann <ann@example.org>"], "uids %r" % keyring_uids(FPR["ann"]))
    check(SRV.count(wkd_path("ann@example.org")) == 1, "requests %r" % SRV.requests)
    # Either OpenPGPBackend of the daemon reads what gpg wrote.
    for backend in ("gpgme", "rnp"):
        conf = write_config(os.path.join(TMP, backend + ".conf"), KeyringDir=KR,
                            OpenPGPBackend=backend)
        rc, out, err, _ = keys("list", "ann@example.org", conf=conf)
        check(rc == 0 and out.split()[:3] == ["ann@example.org", "pgp", FPR["ann"]]
              and out.split()[4] == "usable", "list (%s): %d %r %r" % (backend, rc, out, err))
    # Again: nothing new.
    rc, out, err, _ = keys("wkd", "ann@example.org")
    check(rc == 0 and out == "ann@example.org %s unchanged\n" % FPR["ann"], "again: %r" % out)


def test_other_address_refused():
    rc, out, err, _ = keys("wkd", "victim@example.org")
    check(rc == 1, "exit %d: %r %r" % (rc, out, err))
    check(out == "" and "refused" in err, "out %r err %r" % (out, err))
    check(keyring_uids(FPR["mallory"]) is None, "mallory's key is in the keyring")


def test_only_matching_uid_kept():
    rc, out, err, _ = keys("wkd", "bob@example.org")
    check(rc == 0 and out == "bob@example.org %s added\n" % FPR["bob"], "%d %r %r" % (rc, out, err))
    check(keyring_uids(FPR["bob"]) == ["Bob <bob@example.org>"], "uids %r" % keyring_uids(FPR["bob"]))


def test_not_found():
    rc, out, err, _ = keys("wkd", "nobody@example.org")
    check(rc == 1 and out == "" and "not found (404)" in err, "%d %r %r" % (rc, out, err))
    check(SRV.count(wkd_path("nobody@example.org")) == 1, "requests %r" % SRV.requests)
    # One found, one not: 1, and the found one imported.
    rc, out, err, _ = keys("wkd", "nobody@example.org", "dan@example.org")
    check(rc == 1 and out == "dan@example.org %s added\n" % FPR["dan"], "%d %r %r" % (rc, out, err))


def test_hanging_server_times_out():
    rc, out, err, took = keys("wkd", "hang@example.org")
    check(rc == 75 and "timed out" in err, "exit %d: %r" % (rc, err))
    check(TIMEOUT - 0.5 <= took <= TIMEOUT + 2, "took %.1f s with KeyDiscoveryTimeout %ds" % (took, TIMEOUT))


def test_direct_method_when_advanced_refused():
    rc, out, err, _ = keys("wkd", "carol@direct.test")
    check(rc == 0 and out == "carol@direct.test %s added\n" % FPR["carol"], "%d %r %r" % (rc, out, err))
    check(SRV.count(wkd_path("carol@direct.test", advanced=False)) == 1, "requests %r" % SRV.requests)


def test_no_direct_after_advanced_404():
    # The advanced host answers: its 404 is the answer, the direct method
    # (which would serve a key) is not asked.
    rc, out, err, _ = keys("wkd", "erin@example.org")
    check(rc == 1 and out == "", "%d %r %r" % (rc, out, err))
    check(SRV.count(wkd_path("erin@example.org", advanced=False)) == 0, "direct asked")


def test_refused_answers():
    for addr, what in (("away@example.org", "redirected off the host"),
                       ("big@example.org", "more than 262144 bytes"),
                       ("sec@example.org", "secret key")):
        rc, out, err, _ = keys("wkd", addr)
        check(rc in (1, 75) and out == "" and what in err, "%s: %d %r" % (addr, rc, err))
    check(keyring_uids(FPR["sec"]) is None, "the secret key's public part is in the keyring")
    r = subprocess.run(["gpg", "--homedir", KR, "--batch", "--with-colons", "--list-secret-keys"],
                       capture_output=True, text=True)
    check("sec:" not in r.stdout, "a secret key in KeyringDir: %r" % r.stdout)


def test_same_host_redirect_followed():
    rc, out, err, _ = keys("wkd", "moved@example.org")
    check(rc == 0 and out == "moved@example.org %s added\n" % FPR["moved"], "%d %r %r" % (rc, out, err))


def test_other_ca_refused():
    other_ca = make_ca(os.path.join(TMP, "other"), ["unrelated.test"])[0]
    conf = write_config(os.path.join(TMP, "other.conf"), KeyringDir=KR, KeyDiscoveryCAFile=other_ca,
                        KeyDiscoveryTimeout="%ds" % TIMEOUT, KeyDiscoveryConnectTo=CONNECT)
    rc, out, err, _ = keys("wkd", "ann@example.org", conf=conf)
    check(rc == 75 and out == "", "%d %r %r" % (rc, out, err))


def test_usage():
    rc, out, err, _ = keys("wkd")
    check(rc == 64, "no address: exit %d" % rc)


CONNECT = None


def main():
    global BIN, TMP, SRV, KR, CONF, SRC, CONNECT
    BIN = args().bindir
    TMP = workdir()
    SRC = os.path.join(TMP, "src")
    KR = os.path.join(TMP, "keyring")
    os.makedirs(SRC, mode=0o700)
    os.makedirs(KR, mode=0o700)
    make_key("ann", "Ann <ann@example.org>")
    make_key("mallory", "Mallory <mallory@evil.test>", "Mallory <victim@example.net>")
    make_key("bob", "Bob <bob@example.org>", "Bob <bob@other.test>")
    make_key("dan", "Dan <dan@example.org>")
    make_key("carol", "Carol <carol@direct.test>")
    make_key("erin", "Erin <erin@example.org>")
    make_key("sec", "Sec <sec@example.org>")
    make_key("moved", "Moved <moved@example.org>")
    SRV = WKDServer(TMP, ["openpgpkey.example.org", "direct.test"])
    SRV.routes = {
        wkd_path("ann@example.org"): export("ann"),
        wkd_path("victim@example.org"): export("mallory"),
        wkd_path("bob@example.org"): export("bob"),
        wkd_path("dan@example.org"): export("dan"),
        wkd_path("hang@example.org"): "hang",
        wkd_path("carol@direct.test", advanced=False): export("carol"),
        wkd_path("erin@example.org", advanced=False): export("erin"),
        wkd_path("away@example.org"): ("redirect", "https://elsewhere.test/key"),
        wkd_path("big@example.org"): export("ann") * (300 * 1024 // len(export("ann")) + 1),
        wkd_path("sec@example.org"): export("sec", secret=True),
        wkd_path("moved@example.org"): ("redirect", "https://openpgpkey.example.org/moved"),
        "/moved": export("moved"),
    }
    CONNECT = ", ".join(["openpgpkey.example.org:443:127.0.0.1:%d" % SRV.port,
                         "direct.test:443:127.0.0.1:%d" % SRV.port,
                         "openpgpkey.direct.test:443:127.0.0.1:%d" % closed_port(),
                         "elsewhere.test:443:127.0.0.1:%d" % SRV.port])
    CONF = write_config(os.path.join(TMP, "wkd.conf"), KeyringDir=KR, KeyDiscoveryCAFile=SRV.ca,
                        KeyDiscoveryTimeout="%ds" % TIMEOUT, KeyDiscoveryConnectTo=CONNECT)
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    try:
        run_tests(tests)
    finally:
        SRV.close()
        for h in (SRC, KR):
            subprocess.run(["gpgconf", "--homedir", h, "--kill", "all"], capture_output=True)


if __name__ == "__main__":
    main()
