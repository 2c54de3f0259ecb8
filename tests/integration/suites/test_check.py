#!/usr/bin/env python3
"""cryptmilter -n catches what administrators get wrong (issue 25): each
mistake exits 78 (EX_CONFIG) with a line that names the file and line of
the key, the path, the cause and the fix; the keyring is summarised by the
engine of the configured OpenPGPBackend (both are run here); -V."""
import os
import re
import shutil
import subprocess
import tempfile
import time

from harness import sender as S
from harness.mta import free_port
from harness.cmtest import GNUPGHOME, args, check, run_tests, workdir, write_config

BIN = None          # the build's milter/ directory
TMP = None
KR = None           # a keyring whose keys are known (make_keyring)
ROOT = os.geteuid() == 0
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def conf(name, **keys):
    return write_config(os.path.join(TMP, name + ".conf"), **keys)


def line_of(path, key):
    """The line number of key in the configuration file path."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.split(" ", 1)[0] == key:
                return n
    raise AssertionError("%s not in %s" % (key, path))


def run_n(path):
    r = subprocess.run([os.path.join(BIN, "cryptmilter"), "-n", "-c", path],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def refused(path, key, *texts):
    """-n on path exits 78 with one error line naming path:line of key and
    every text of texts."""
    rc, out, err = run_n(path)
    check(rc == 78, "exit %d, want 78: %s" % (rc, err[-600:]))
    where = "%s:%d: %s " % (path, line_of(path, key), key)
    lines = [x for x in err.splitlines() if where in x]
    check(len(lines) == 1, "no line with %r in %r" % (where, err[-800:]))
    for t in texts:
        check(t in lines[0], "%r not in %r" % (t, lines[0]))
    return lines[0]


def other_user():
    """Keys that make -n check as a user without root's powers (as root: the
    daemon's drop to UserID; else the user running the test), and the mode a
    directory of ours gives that user no access with."""
    return ({"UserID": "nobody"}, 0o700) if ROOT else ({}, 0o000)


def open_dir(name):
    """A directory every user may reach (the suite's scratch directory is
    root's alone): for the checks run as another user."""
    d = tempfile.mkdtemp(prefix="cm-check-%s-" % name)
    os.chmod(d, 0o755)
    return d


# ------------------------------------------------------------ the mistakes

def test_keyring_dir_missing():
    c = conf("kr-missing", KeyringDir=os.path.join(TMP, "gnupg"))
    refused(c, "KeyringDir", "No such file or directory",
            "install -d -o ", "-m 0700 " + os.path.join(TMP, "gnupg"))


def test_keyring_dir_unreadable():
    keys, mode = other_user()
    base = open_dir("kr")
    try:
        home = os.path.join(base, "gnupg")
        shutil.copytree(KR, home, ignore=shutil.ignore_patterns("S.*", "*.lock"))
        os.chmod(home, mode)
        c = conf("kr-unreadable", KeyringDir=home, SpoolDir=base, **keys)
        refused(c, "KeyringDir", "Permission denied", "chown -R ")
    finally:
        os.chmod(os.path.join(base, "gnupg"), 0o700)
        shutil.rmtree(base)


def test_keyring_damaged():
    home = os.path.join(TMP, "damaged")
    os.makedirs(home, mode=0o700)
    key = subprocess.run(["gpg", "--homedir", KR, "--batch", "--export"], capture_output=True,
                         check=True).stdout
    with open(os.path.join(home, "pubring.gpg"), "wb") as f:
        f.write(key[:len(key) // 2])
    for backend in ("rnp", "gpgme"):
        c = conf("damaged-" + backend, KeyringDir=home, OpenPGPBackend=backend)
        refused(c, "KeyringDir", "damaged", "restore the keyring from a backup")


def test_spool_dir_not_writable():
    keys, _ = other_user()
    spool = open_dir("spool")
    try:
        if not ROOT:
            os.chmod(spool, 0o555)
        c = conf("spool", KeyringDir="none", SpoolDir=spool, **keys)
        refused(c, "SpoolDir", "Permission denied", "chown ")
    finally:
        os.chmod(spool, 0o755)
        shutil.rmtree(spool)


def test_replay_cache_not_creatable():
    cache = os.path.join(TMP, "no-such-dir", "replay")
    c = conf("replay", GatewayKeys=S.gateway_fpr(), ReplayCache=cache)
    refused(c, "ReplayCache", "No such file or directory", "cannot be created",
            "install -d -o ", "-m 0700 " + cache)
    # Its parent there: the daemon makes it on first use.
    c = conf("replay-ok", GatewayKeys=S.gateway_fpr(), ReplayCache=os.path.join(TMP, "replay"))
    rc, _, err = run_n(c)
    check(rc == 0, "parent there: exit %d: %s" % (rc, err[-400:]))


def test_replay_cache_host_name_needs_hostaddr():
    """A PostgreSQL host given by name: libpq's lookup has no time limit, so
    the configuration is refused at load (-n, start, reload) with the fix."""
    uri = "postgresql://cm@db.example.org:%d/cm" % free_port()   # nobody listens
    c = conf("replay-pg-name", GatewayKeys=S.gateway_fpr(), ReplayCache=uri)
    rc, _, err = run_n(c)
    want = "%s:%d: ReplayCache: host db.example.org is a name" % (c, line_of(c, "ReplayCache"))
    check(rc == 78 and want in err and "hostaddr=" in err, "%d %r" % (rc, err[-400:]))
    # The same name with its address: no longer a mistake (the server is
    # down: a warning, the daemon starts and defers outbound).
    c = conf("replay-pg-addr", GatewayKeys=S.gateway_fpr(),
             ReplayCache=uri + "?hostaddr=127.0.0.1&connect_timeout=2")
    rc, _, err = run_n(c)
    check(rc == 0 and "is a name" not in err, "hostaddr given: exit %d: %s" % (rc, err[-400:]))


def test_pid_file_dir_not_writable():
    c = conf("pid-missing", PidFile=os.path.join(TMP, "run", "cryptmilter.pid"))
    refused(c, "PidFile", "No such file or directory",
            "install -d -o ", os.path.join(TMP, "run"))
    keys, _ = other_user()
    run = open_dir("run")
    try:
        if not ROOT:
            os.chmod(run, 0o555)
        c = conf("pid-unwritable", KeyringDir="none", SpoolDir="/tmp",
                 PidFile=os.path.join(run, "cryptmilter.pid"), **keys)
        refused(c, "PidFile", "Permission denied")
    finally:
        os.chmod(run, 0o755)
        shutil.rmtree(run)


def test_stats_file_dir_not_writable():
    keys, mode = other_user()
    base = open_dir("stats")
    try:
        os.chmod(base, mode if ROOT else 0o555)
        c = conf("stats", StatsFile=os.path.join(base, "cm.prom"), **keys)
        refused(c, "StatsFile", "Permission denied", "setfacl -m u:", "ReadWritePaths=" + base)
    finally:
        os.chmod(base, 0o755)
        shutil.rmtree(base)


def test_socket_dir_missing():
    sock = os.path.join(TMP, "no-run", "cryptmilter.sock")
    c = conf("socket", Socket="local:" + sock)
    refused(c, "Socket", "No such file or directory", "install -d -o ",
            os.path.join(TMP, "no-run"))
    # The daemon itself says why it cannot open it.
    r = subprocess.run([os.path.join(BIN, "cryptmilter"), "-f", "-c", c],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0, "the daemon started")
    check(re.search(re.escape("%s:%d: " % (c, line_of(c, "Socket")))
                    + r"cannot open milter socket local:\S+: \S+/no-run: No such file or directory",
                    r.stderr), "no reason: %r" % r.stderr[-400:])


def test_socket_group_as_the_user():
    """Started as UserID's user (systemd's User=), the daemon cannot chown
    the socket (the unit's filter kills a chown): -n as that user refuses a
    socket directory that would give the socket another group than
    UserID's, and passes it once the directory is setgid to that group; the
    daemon, started so, exits 78 saying so instead of calling chown."""
    if not ROOT:
        print("       (not root: no other user to run as)", flush=True)
        return
    base = open_dir("sockgrp")
    try:
        for d in ("run", "gnupg", "spool"):
            os.mkdir(os.path.join(base, d), 0o750)
            shutil.chown(os.path.join(base, d), "nobody", "daemon")
        run = os.path.join(base, "run")
        c = os.path.join(base, "sockgrp.conf")
        write_config(c, UserID="nobody:daemon", Socket="local:" + os.path.join(run, "m.sock"),
                     KeyringDir=os.path.join(base, "gnupg"), SpoolDir=os.path.join(base, "spool"))
        os.chmod(c, 0o644)

        def as_nobody(*argv):
            return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                   os.path.join(BIN, "cryptmilter")] + list(argv) + ["-c", c],
                                  capture_output=True, text=True, timeout=60)
        where = "%s:%d: Socket " % (c, line_of(c, "Socket"))
        r = as_nobody("-n")
        lines = [x for x in r.stderr.splitlines() if where in x]
        check(r.returncode == 78 and len(lines) == 1 and "chmod g+s " + run in lines[0],
              "-n as the user: exit %d, %r" % (r.returncode, r.stderr[-600:]))
        r = as_nobody("-f")
        check(r.returncode == 78 and "does not chown it" in r.stderr,
              "the daemon as the user: exit %d, %r" % (r.returncode, r.stderr[-600:]))
        os.chmod(run, 0o2750)
        r = as_nobody("-n")
        check(r.returncode == 0 and where not in r.stderr,
              "setgid directory: exit %d, %r" % (r.returncode, r.stderr[-600:]))
    finally:
        shutil.rmtree(base)


def test_reload_and_check_agree():
    """What a SIGHUP refuses (here a missing CertificateDir), -n refuses."""
    c = conf("certdir", CertificateDir=os.path.join(TMP, "no-certs"))
    rc, _, err = run_n(c)
    check(rc == 78 and "a reload would refuse this file too" in err, "%d %r" % (rc, err[-400:]))


def test_gateway_keys_error_names_the_line():
    c = conf("gwkeys", GatewayKeys="0123ABCD")
    rc, _, err = run_n(c)
    want = "%s:%d: GatewayKeys: \"0123ABCD\" is not a fingerprint" % (c, line_of(c, "GatewayKeys"))
    check(rc == 78 and want in err, "%d %r" % (rc, err[-400:]))


def test_user_id_error_names_the_line():
    c = conf("userid", UserID="no-such-user-cm")
    rc, _, err = run_n(c)
    want = "%s:%d: UserID no-such-user-cm: " % (c, line_of(c, "UserID"))
    check(rc == 78 and want in err and "adduser --system" in err, "%d %r" % (rc, err[-400:]))


# ------------------------------------------------------------ the keyring

def make_keyring():
    """Four keys, five user IDs, four distinct addresses; one key stops
    encrypting in 20 days (within 30), one in 40 (not)."""
    home = os.path.join(TMP, "known")
    os.makedirs(home, mode=0o700)

    def g(*a):
        subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--passphrase", "",
                        "--pinentry-mode", "loopback"] + list(a), check=True, capture_output=True)
    g("--quick-gen-key", "Ann <ann@example.net>", "future-default", "default", "never")
    g("--quick-add-uid", "ann@example.net", "Ann <ann@other.example>")
    g("--quick-gen-key", "Ann too <ANN@example.net>", "future-default", "default", "never")
    g("--quick-gen-key", "Ben <ben@example.net>", "future-default", "default", "20d")
    g("--quick-gen-key", "Dee <dee@example.net>", "future-default", "default", "40d")
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
    return home


def test_keyring_summary_both_backends():
    for backend in ("rnp", "gpgme"):
        c = conf("summary-" + backend, KeyringDir=KR, OpenPGPBackend=backend)
        rc, out, err = run_n(c)
        check(rc == 0, "%s: exit %d: %s" % (backend, rc, err[-400:]))
        check("# KeyringDir: 4 keys, 4 addresses, 1 expiring within 30 days\n" in out,
              "%s: %r" % (backend, [x for x in out.splitlines() if "Keyring" in x]))


def test_empty_keyring_warns():
    for name, pubring in (("empty-dir", None), ("empty-pubring", b"")):
        home = os.path.join(TMP, name)
        os.makedirs(home, mode=0o700)
        if pubring is not None:
            with open(os.path.join(home, "pubring.gpg"), "wb") as f:
                f.write(pubring)
        for backend in ("rnp", "gpgme"):
            rc, out, err = run_n(conf(name + backend, KeyringDir=home, OpenPGPBackend=backend))
            check(rc == 0, "%s %s: exit %d: %s" % (name, backend, rc, err[-400:]))
            check("warning: KeyringDir %s holds no keys" % home in err, "%s: %r" % (name, err))
            check("# KeyringDir:" not in out, "%s: a summary of nothing" % name)


def test_discovery_test_keys_warn():
    # The Web Key Directory's test-only keys pass -n but are named.
    rc, out, err = run_n(conf("wkd-test-keys", KeyringDir=KR, KeyDiscoveryCAFile="/tmp/ca.pem",
                              KeyDiscoveryConnectTo="openpgpkey.example.org:443:127.0.0.1:1"))
    check(rc == 0, "exit %d: %s" % (rc, err[-400:]))
    check("KeyDiscoveryCAFile is for tests only" in err and "/tmp/ca.pem" in err, err[-600:])
    check("KeyDiscoveryConnectTo is for tests only" in err, err[-600:])
    rc, out, err = run_n(conf("wkd-no-test-keys", KeyringDir=KR))
    check(rc == 0 and "for tests only" not in err, "%d %s" % (rc, err[-400:]))


def test_discovery_dirs_not_creatable():
    # KeyDiscovery wkd: the discovered keyring and the cache are the
    # daemon's to write; the cache's default parent is the keyring's
    # directory, made first.
    gone = os.path.join(TMP, "no-such-dir", "discovered")
    c = conf("disc-dir", KeyringDir=KR, OpportunisticEncryption="yes", KeyDiscovery="wkd",
             KeyDiscoveryDir=gone, KeyDiscoveryCache=os.path.join(TMP, "disc-cache"))
    refused(c, "KeyDiscoveryDir", "No such file or directory", "install -d -o ")
    c = conf("disc-cache", KeyringDir=KR, OpportunisticEncryption="yes", KeyDiscovery="wkd",
             KeyDiscoveryDir=os.path.join(TMP, "disc"), KeyDiscoveryCache=gone + "/cache")
    refused(c, "KeyDiscoveryCache", "No such file or directory", "install -d -o ")
    c = conf("disc-ok", KeyringDir=KR, OpportunisticEncryption="yes", KeyDiscovery="wkd",
             KeyDiscoveryDir=os.path.join(TMP, "disc"),
             KeyDiscoveryCache=os.path.join(TMP, "disc", "cache"))
    rc, _, err = run_n(c)
    check(rc == 0, "made on first use: exit %d: %s" % (rc, err[-400:]))
    check("KeyDiscovery wkd: outbound recipients" in err, "no notice: %s" % err[-400:])
    # Without OpportunisticEncryption it does nothing: said, not refused.
    rc, _, err = run_n(conf("disc-noopp", KeyringDir=KR, KeyDiscovery="wkd", KeyDiscoveryDir=gone))
    check(rc == 0 and "KeyDiscovery wkd without OpportunisticEncryption" in err,
          "%d %s" % (rc, err[-400:]))


def test_keyring_max_age_warns_without_a_fresh_stamp():
    home = os.path.join(TMP, "stamped")
    os.makedirs(home, mode=0o700)
    open(os.path.join(home, "pubring.gpg"), "wb").close()
    stamp = os.path.join(home, "keysync.stamp")
    for when, want in ((None, "keysync.stamp is missing"), (time.time() - 600, "synchronised"),
                       (time.time(), None)):
        if when is not None:
            with open(stamp, "w") as f:
                f.write("%d\n" % when)
            os.utime(stamp, (when, when))
        rc, out, err = run_n(conf("stamped", KeyringDir=home, KeyringMaxAge="60s"))
        check(rc == 0, "exit %d: %s" % (rc, err[-400:]))
        if want:
            check("warning: KeyringMaxAge 60s: " in err and want in err, "%s: %r" % (want, err))
        else:
            check("KeyringMaxAge" not in err, "a fresh stamp warned: %r" % err)
    # KeyringDir none: nothing to measure, and the setting is said to do nothing.
    certs = os.path.join(TMP, "stamped-certs")
    os.makedirs(certs, mode=0o700)
    rc, out, err = run_n(conf("stamped-none", KeyringDir="none", CertificateDir=certs,
                              KeyringMaxAge="60s"))
    check(rc == 0 and "KeyringMaxAge has no effect with KeyringDir none" in err,
          "exit %d: %r" % (rc, err[-400:]))


def test_a_good_configuration_passes():
    rc, out, err = run_n(conf("good", KeyringDir=GNUPGHOME))
    check(rc == 0, "exit %d: %s" % (rc, err[-400:]))
    check(re.search(r"^# KeyringDir: \d+ keys, \d+ addresses, \d+ expiring within 30 days$",
                    out, re.M), "no summary: %r" % out[-400:])
    check("error" not in err, "error lines: %r" % err)


# ------------------------------------------------------------ EncryptToSelf

def key_fpr(home, addr):
    r = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--list-keys", "<%s>" % addr],
                       capture_output=True, text=True, check=True)
    return [x.split(":")[9] for x in r.stdout.splitlines() if x.startswith("fpr:")][0]


def test_archive_keys_listed_both_backends():
    """Each archive key on a line with the date it stops encrypting; one
    that stops within 30 days warns (every encryption waits on it)."""
    ann, ben = key_fpr(KR, "ann@other.example"), key_fpr(KR, "ben@example.net")
    for backend in ("rnp", "gpgme"):
        c = conf("archive-" + backend, KeyringDir=KR, OpenPGPBackend=backend,
                 EncryptToSelf="%s %s" % (ann, ben.lower()))
        rc, out, err = run_n(c)
        check(rc == 0, "%s: exit %d: %s" % (backend, rc, err[-400:]))
        check("# EncryptToSelf: %s usable until never\n" % ann in out, "%s: %r" % (backend, out))
        check(re.search(r"^# EncryptToSelf: %s usable until \d{4}-\d\d-\d\d$" % ben.lower(), out,
                        re.M), "%s: ben: %r" % (backend, out[-600:]))
        check("warning: EncryptToSelf: %s expires within 30 days" % ben.lower() in err,
              "%s: no warning: %r" % (backend, err[-400:]))


def test_archive_key_unusable():
    """Not in KeyringDir, expired, revoked, sign-only: refused, for both backends."""
    missing = "0123456789ABCDEF0123456789ABCDEF01234567"
    for backend in ("rnp", "gpgme"):
        for fpr, cause, fix in ((missing, "not in KeyringDir", "--import ARCHIVE-KEY.asc"),
                                (key_fpr(GNUPGHOME, "dave@example.org"), "expired", "extend"),
                                (key_fpr(GNUPGHOME, "eve@example.org"), "revoked", "extend"),
                                (key_fpr(GNUPGHOME, "carol@example.org"), "cannot encrypt",
                                 "extend")):
            c = conf("archive-bad-" + backend, OpenPGPBackend=backend, EncryptToSelf=fpr)
            refused(c, "EncryptToSelf", fpr, cause, fix)


def test_archive_certificate_unreadable():
    certs = os.path.join(os.path.dirname(GNUPGHOME), "smime", "certs")
    gone = os.path.join(TMP, "archive-gone.pem")
    c = conf("archive-cert", CertificateDir=certs, EncryptToSelf="%s %s" % (
        key_fpr(GNUPGHOME, "alice@example.org"), gone))
    refused(c, "EncryptToSelf", gone, "No such file or directory", "PEM")
    c = conf("archive-cert-expired", CertificateDir=certs, EncryptToSelf="%s %s" % (
        key_fpr(GNUPGHOME, "alice@example.org"), os.path.join(certs, "old.pem")))
    refused(c, "EncryptToSelf", "old.pem: expired", "replace the certificate")


def test_archive_rules_at_load():
    """One archive key per class in use; none that the gateway decrypts
    with; fingerprints or absolute paths. A reload refuses them too."""
    alice = key_fpr(GNUPGHOME, "alice@example.org")
    gw = S.gateway_fpr()
    certs = os.path.join(os.path.dirname(GNUPGHOME), "smime", "certs")
    pem = os.path.join(certs, "sue.pem")
    for name, keys, text in (
            ("no-smime", {"CertificateDir": certs, "EncryptToSelf": alice},
             "no S/MIME archive certificate, but CertificateDir is set"),
            ("no-pgp", {"CertificateDir": certs, "EncryptToSelf": pem},
             "no OpenPGP archive key, but KeyringDir is set"),
            ("gateway", {"GatewayKeys": gw, "EncryptToSelf": gw}, "is also in GatewayKeys"),
            ("keyid", {"EncryptToSelf": alice[-16:]}, "is neither a fingerprint")):
        c = conf("archive-rule-" + name, **keys)
        rc, _, err = run_n(c)
        want = "%s:%d: EncryptToSelf: " % (c, line_of(c, "EncryptToSelf"))
        check(rc == 78 and want in err and text in err and "fix:" in err,
              "%s: %d %r" % (name, rc, err[-400:]))
    rc, _, err = run_n(conf("archive-pgp-only", KeyringDir=GNUPGHOME, EncryptToSelf=alice))
    check(rc == 0, "OpenPGP only, no CertificateDir: %d %r" % (rc, err[-400:]))


# ------------------------------------------------------------ -V

def test_version():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        version = re.search(r"project\(cryptmilter VERSION (\S+)", f.read()).group(1)
    for prog in ("cryptmilter", "cryptmilter-filter"):
        r = subprocess.run([os.path.join(BIN, prog), "-V"], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout == "%s %s\n" % (prog, version),
              "%s -V: %d %r" % (prog, r.returncode, r.stdout))
        h = subprocess.run([os.path.join(BIN, prog), "-h"], capture_output=True, text=True)
        check(re.search(r"^\s+(\S+ )?-V\b", h.stdout, re.M), "%s -h lacks -V: %r" % (prog, h.stdout))


def main():
    global BIN, TMP, KR
    BIN = args().bindir
    TMP = workdir()
    KR = make_keyring()
    tests = [(n[5:], f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    run_tests(tests)


if __name__ == "__main__":
    main()
