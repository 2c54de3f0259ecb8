#!/usr/bin/env python3
"""Keys for many gateways (issue 26, test 6): slapd on loopback with
GnuPG's LDAP schema holds the recipients' OpenPGP keys; two gateways, each
with its own KeyringDir, are kept in step by cryptmilter-keysync, run here
at KeySyncInterval as the timer would. A key added in the directory is used
by both within KeySyncInterval + 5 s; a revoked or removed one disappears;
the gateway's own key survives every sync; with slapd stopped and the
stamp older than KeyringMaxAge, recipients get 451 at RCPT, never
plaintext."""
import os
import re
import shutil
import subprocess
import time

from harness.mta import free_port
from harness import sender as S
from harness.cmtest import EXPORT, GNUPGHOME, KEYRING, Milter, args, check, run_tests, workdir, write_config

BINDIR = None
TMP = None
SUFFIX = "dc=example,dc=org"
ROOT = "cn=admin," + SUFFIX
KEYSPACE = "ou=GnuPG Keys," + SUFFIX
INTERVAL = 2            # KeySyncInterval of the test, seconds
MAX_AGE = 8             # KeyringMaxAge of the test, seconds; each case syncs
                        # before it sends, so none relies on a stamp older
                        # than the sends of one wait_until round
ST = {}                 # what the cases share: slapd, gateways, keys
SIZELIMIT = 5           # slapd's size limit for the two users below
PAGED = "cn=paged," + SUFFIX    # limited, but paging may go past the limit
CAPPED = "cn=capped," + SUFFIX  # limited, paged results too (size.prtotal)

# A minimal GnuPG key-server schema (doc/ldap/gnupg-ldap-schema.ldif, the
# attributes dirmngr and keysync use), in slapd.conf syntax.
SCHEMA = """
attributetype ( 1.3.6.1.4.1.3401.8.2.8 NAME 'pgpBaseKeySpaceDN'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.9 NAME 'pgpSoftware'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.10 NAME 'pgpVersion'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.11 NAME 'pgpKey'
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.12 NAME 'pgpCertID' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.13 NAME 'pgpDisabled' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.3401.8.2.16 NAME 'pgpUserID' EQUALITY caseIgnoreMatch
    SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.3401.8.2.19 NAME 'pgpRevoked' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.3401.8.2.23 NAME 'pgpServerInfo' SUP top STRUCTURAL
    MUST ( cn $ pgpBaseKeySpaceDN ) MAY ( pgpSoftware $ pgpVersion ) )
objectclass ( 1.3.6.1.4.1.3401.8.2.24 NAME 'pgpKeyInfo' SUP top STRUCTURAL
    MUST ( pgpCertID $ pgpKey ) MAY ( pgpDisabled $ pgpUserID $ pgpRevoked ) )
"""

INIT = """dn: %(s)s
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: cn=PGPServerInfo,%(s)s
objectClass: pgpServerInfo
cn: PGPServerInfo
pgpBaseKeySpaceDN: %(k)s
pgpSoftware: GnuPG
pgpVersion: 2 cnfpr

dn: %(k)s
objectClass: organizationalUnit
ou: GnuPG Keys
""" % {"s": SUFFIX, "k": KEYSPACE}



def slapd_start():
    d = ST["ldap"]
    ST["slapd"] = subprocess.Popen(["slapd", "-f", d + "/slapd.conf", "-h", ST["uri"] + "/",
                                    "-d", "0"], stdout=subprocess.DEVNULL,
                                   stderr=open(d + "/slapd.log", "ab"))
    for _ in range(100):
        if subprocess.run(["ldapsearch", "-x", "-H", ST["uri"], "-b", SUFFIX, "-s", "base"],
                          capture_output=True).returncode == 0:
            return
        check(ST["slapd"].poll() is None, "slapd exited; see %s/slapd.log" % d)
        time.sleep(0.1)
    check(False, "slapd did not answer")


def slapd_stop():
    ST["slapd"].terminate()
    ST["slapd"].wait(10)


def ldap(tool, ldif):
    r = subprocess.run([tool, "-x", "-H", ST["uri"], "-D", ROOT, "-w", "s3cret"],
                       input=ldif.encode(), capture_output=True)
    check(r.returncode == 0, "%s: %s" % (tool, r.stderr.decode()[-300:]))


def setup_slapd():
    d = ST["ldap"] = os.path.join(TMP, "ldap")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/db")
    with open(d + "/gnupg.schema", "w") as f:
        f.write(SCHEMA)
    ST["pwfile"] = d + "/bind.pw"
    with open(ST["pwfile"], "w") as f:
        f.write("s3cret\n")
    os.chmod(ST["pwfile"], 0o600)
    with open(d + "/slapd.conf", "w") as f:
        f.write("include /etc/ldap/schema/core.schema\n"
                "include /etc/ldap/schema/cosine.schema\n"
                "include /etc/ldap/schema/inetorgperson.schema\n"
                "include %s/gnupg.schema\n"
                "pidfile %s/slapd.pid\n"
                "modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                "database mdb\nmaxsize 10485760\nsuffix \"%s\"\nrootdn \"%s\"\nrootpw s3cret\n"
                "directory %s/db\n"
                "limits dn.exact=\"%s\" size.soft=%d size.hard=%d size.prtotal=unlimited\n"
                "limits dn.exact=\"%s\" size.soft=%d size.hard=%d\n"
                % (d, d, SUFFIX, ROOT, d, PAGED, SIZELIMIT, SIZELIMIT, CAPPED, SIZELIMIT,
                   SIZELIMIT))
    r = subprocess.run(["slapadd", "-f", d + "/slapd.conf"], input=INIT.encode(),
                       capture_output=True)
    check(r.returncode == 0, "slapadd: %s" % r.stderr.decode()[-500:])
    ST["uri"] = "ldap://127.0.0.1:%d" % free_port()
    slapd_start()


def gpg(home, *a, data=None):
    r = subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode",
                        "loopback", "--passphrase", ""] + list(a), input=data, capture_output=True)
    check(r.returncode == 0, "gpg %s: %s" % (" ".join(a), r.stderr.decode()[-300:]))
    return r.stdout


def new_user(name):
    """A directory user's key pair in a home of its own; its fingerprint."""
    home = os.path.join(TMP, "users", name)
    os.makedirs(home, mode=0o700)
    addr = "%s@example.org" % name
    gpg(home, "--quick-gen-key", addr, "future-default", "default", "never")
    fpr = re.search(rb"^fpr:+([0-9A-F]+):", gpg(home, "--with-colons", "--list-keys", addr),
                    re.M).group(1).decode()
    ST.setdefault("users", {})[name] = (home, addr, fpr)
    return home, addr, fpr


def publish(name, modify=False):
    """The user's public key (armored) as a pgpKeyInfo entry."""
    home, addr, fpr = ST["users"][name]
    armor = gpg(home, "--armor", "--export", fpr).decode()
    dn = "pgpCertID=%s,%s" % (fpr[-16:], KEYSPACE)
    key = "pgpKey:: " + __import__("base64").b64encode(armor.encode()).decode()
    if modify:
        ldap("ldapmodify", "dn: %s\nchangetype: modify\nreplace: pgpKey\n%s\n" % (dn, key))
    else:
        ldap("ldapadd", "dn: %s\nobjectClass: pgpKeyInfo\npgpCertID: %s\npgpUserID: <%s>\n%s\n"
             % (dn, fpr[-16:], addr, key))


def gateway_home(name):
    """A KeyringDir of its own. a: the fixture's keyring (pubring.kbx: the
    gateway's key pair, the test users' keys) without gpg-agent's sockets;
    b: as the Debian package makes it, an empty pubring.gpg, into which the
    gateway's public key is imported, and the fixture's secret keys."""
    home = os.path.join(TMP, "gw-" + name)
    shutil.rmtree(home, ignore_errors=True)
    if name == "a":
        shutil.copytree(GNUPGHOME, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
        return home
    os.makedirs(home, mode=0o700)
    shutil.copytree(os.path.join(GNUPGHOME, "private-keys-v1.d"),
                    os.path.join(home, "private-keys-v1.d"))
    open(os.path.join(home, "pubring.gpg"), "wb").close()
    gpg(home, "--import", os.path.join(EXPORT, "gateway.pub.asc"))
    return home


def keysync(name):
    conf = ST["conf"][name]
    return subprocess.run([os.path.join(BINDIR, "cryptmilter-keysync"), "-c", conf],
                          capture_output=True, timeout=60)


def sync_all():
    for name in ("a", "b"):
        r = keysync(name)
        check(r.returncode == 0, "keysync %s exited %d: %s" % (name, r.returncode,
                                                             r.stderr.decode()[-500:]))


def listed(home, fpr):
    r = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", fpr],
                       capture_output=True)
    return r.returncode == 0


def encrypted_to(m, addr, home):
    """Send to addr through m: True if the message came out encrypted and
    addr's own key (in home) decrypts the canary; False if it came out as
    it went in. Anything else fails."""
    mark = S.canary()
    msg = ("From: s@ext.example\r\nTo: %s\r\nSubject: k\r\n\r\n%s\r\n" % (addr, mark)).encode()
    res = m.send("s@ext.example", [addr], msg)
    check(res["rcpt"][0][0] == b"c", "RCPT answered %r" % (res["rcpt"][0],))
    check(res["reply"][0] in (b"a", b"c"), "end of message answered %r" % (res["reply"],))
    arm = re.search(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", res["message"],
                    re.S)
    if arm is None:
        check(mark.encode() in res["message"], "neither encrypted nor passed as sent")
        return False
    check(mark.encode() not in res["message"], "canary in clear beside the ciphertext")
    out = gpg(home, "--decrypt", data=arm.group(0).replace(b"\r\n", b"\n"))
    check(mark.encode() in out, "decrypts, but not to the message")
    return True


def wait_until(what, fn):
    """Run keysync on both gateways every INTERVAL s until fn() holds; it
    must within INTERVAL + 5 s of the directory change."""
    t0 = time.monotonic()
    while True:
        sync_all()
        if fn():
            return time.monotonic() - t0
        check(time.monotonic() - t0 < INTERVAL + 5, "%s not seen within %d s" % (what, INTERVAL + 5))
        time.sleep(INTERVAL)


SMIME = os.path.join(KEYRING, "smime")


def smime_to(m, addr, name):
    """Send to addr through m: True if it came out S/MIME-encrypted and
    name's key decrypts the canary, False if it passed as sent."""
    mark = S.canary()
    msg = ("From: s@ext.example\r\nTo: %s\r\nSubject: c\r\n\r\n%s\r\n" % (addr, mark)).encode()
    res = m.send("s@ext.example", [addr], msg)
    check(res["rcpt"][0][0] == b"c", "RCPT answered %r" % (res["rcpt"][0],))
    out = res["message"]
    if b"application/pkcs7-mime" not in out:
        check(mark.encode() in out, "neither encrypted nor passed as sent")
        return False
    check(mark.encode() not in out, "canary in clear beside the ciphertext")
    r = subprocess.run(["openssl", "cms", "-decrypt", "-inkey",
                        os.path.join(SMIME, "keys", name + ".key"), "-recip",
                        os.path.join(SMIME, "certs", name + ".pem")],
                       input=out.replace(b"\r\n", b"\n"), capture_output=True)
    check(r.returncode == 0 and mark.encode() in r.stdout,
          "openssl cms does not decrypt it to the message: %s" % r.stderr.decode()[-300:])
    return True


# ------------------------------------------------------------ the cases

def test_1_key_added_reaches_both_gateways():
    setup_slapd()
    new_user("carol")
    new_user("dave")
    ST["conf"], ST["milter"], ST["home"], bases = {}, {}, {}, {}
    for name in ("a", "b"):
        home = ST["home"][name] = gateway_home(name)
        base = bases[name] = {"KeyringDir": home, "GatewayKeys": S.gateway_fpr(), "MissingKeyAction": "pass",
                "OutboundDaemons": "submission", "OpenPGPBackend": "gpgme",
                "ReplayCache": os.path.join(TMP, name + "-replay"),
                "KeySyncURI": ST["uri"], "KeySyncBase": SUFFIX, "KeySyncBindDN": ROOT,
                "KeySyncPasswordFile": ST["pwfile"], "KeySyncInterval": "%ds" % INTERVAL,
                "KeyringMaxAge": "%ds" % MAX_AGE,
                "CertificateDir": os.path.join(TMP, "gw-%s-certs" % name)}
        os.makedirs(base["CertificateDir"])
        ST["conf"][name] = write_config(os.path.join(TMP, "keysync-%s.conf" % name), **base)
    ST["base"] = bases
    sync_all()      # the directory has no key yet: the keyrings hold the gateway's alone
    for name in ("a", "b"):
        ST["milter"][name] = Milter(BINDIR, TMP, "ks-" + name, **bases[name])
        check(listed(ST["home"][name], S.gateway_fpr()), "gateway key lost on %s" % name)
        check(not encrypted_to(ST["milter"][name], "carol@example.org",
                               ST["users"]["carol"][0]), "carol encrypted before she had a key")
    publish("carol")
    publish("dave")
    took = wait_until("carol's new key on both gateways",
                      lambda: all(encrypted_to(ST["milter"][n], "carol@example.org",
                                               ST["users"]["carol"][0]) for n in ("a", "b")))
    print("       carol's key used by both gateways %.1f s after it was added" % took)


def test_2_revoked_and_removed_keys_disappear():
    home, addr, fpr = ST["users"]["carol"]
    rev = open(os.path.join(home, "openpgp-revocs.d", fpr + ".rev")).read().replace(":-----", "-----")
    gpg(home, "--import", data=rev.encode())
    publish("carol", modify=True)
    dave = ST["users"]["dave"]
    check(all(listed(ST["home"][n], dave[2]) for n in ("a", "b")), "dave's key was not synced")
    ldap("ldapdelete", "pgpCertID=%s,%s\n" % (dave[2][-16:], KEYSPACE))
    wait_until("carol's revocation and dave's removal",
               lambda: not any(listed(ST["home"][n], f) for n in ("a", "b")
                               for f in (fpr, dave[2])))
    sync_all()      # fresh stamps: four sends may outlast KeyringMaxAge under ASan
    for n in ("a", "b"):
        check(not encrypted_to(ST["milter"][n], addr, home), "revoked key still used on " + n)
        check(not encrypted_to(ST["milter"][n], dave[1], dave[0]), "removed key still used on " + n)


def test_3_gateway_key_survives():
    for n in ("a", "b"):
        h = ST["home"][n]
        check(listed(h, S.gateway_fpr()), "the gateway's public key is gone on " + n)
        r = subprocess.run(["gpg", "--homedir", h, "--batch", "--list-secret-keys",
                            S.gateway_fpr()], capture_output=True)
        check(r.returncode == 0, "the gateway's secret key is gone on " + n)
        check(not [f for f in os.listdir(h) if f.startswith(".keysync.") and f != ".keysync.lock"],
              "a staging directory was left in " + h)
    # The package's keyring is pubring.gpg: it stays one (no keybox beside it).
    b = os.listdir(ST["home"]["b"])
    check("pubring.gpg" in b and "pubring.kbx" not in b, "gw-b holds %s" % sorted(b))


def test_3b_certificate_added_and_removed():
    sync_all()      # the cases before may have let the stamp pass KeyringMaxAge
    der = subprocess.run(["openssl", "x509", "-outform", "DER", "-in",
                          os.path.join(SMIME, "certs", "pat.pem")],
                         capture_output=True, check=True).stdout
    dn = "uid=pat," + SUFFIX
    check(not any(smime_to(ST["milter"][n], "pat@example.org", "pat") for n in ("a", "b")),
          "pat encrypted before the directory had her certificate")
    ldap("ldapadd", "dn: %s\nobjectClass: inetOrgPerson\nuid: pat\ncn: Pat\nsn: Pat\n"
         "mail: pat@example.org\nuserCertificate;binary:: %s\n"
         % (dn, __import__("base64").b64encode(der).decode()))
    wait_until("pat's certificate on both gateways",
               lambda: all(smime_to(ST["milter"][n], "pat@example.org", "pat") for n in ("a", "b")))
    ldap("ldapdelete", dn + "\n")
    wait_until("pat's certificate gone",
               lambda: not any(smime_to(ST["milter"][n], "pat@example.org", "pat")
                               for n in ("a", "b")))
    left = [f for f in os.listdir(TMP) if f.startswith(".keysync.")]
    check(not left, "staging directories left beside CertificateDir: %s" % left)


def test_3c_paged_results_past_the_size_limit():
    """More keys than slapd's size limit: paged results (RFC 2696) read them
    all; where paging cannot pass the limit either, the sync fails (75) and
    the keyring stays as it was, none of its keys removed."""
    users = ["p%d" % i for i in range(SIZELIMIT + 2)]
    for u in users:
        new_user(u)
        publish(u)
    conf = {}
    for dn in (PAGED, CAPPED):
        cn = dn.split(",")[0][3:]
        ldap("ldapadd", "dn: %s\nobjectClass: organizationalRole\nobjectClass: "
             "simpleSecurityObject\ncn: %s\nuserPassword: pw-%s\n" % (dn, cn, cn))
        pw = os.path.join(ST["ldap"], cn + ".pw")
        with open(pw, "w") as f:
            f.write("pw-%s\n" % cn)
        os.chmod(pw, 0o600)
        base = dict(ST["base"]["a"], KeySyncBindDN=dn, KeySyncPasswordFile=pw)
        conf[dn] = write_config(os.path.join(TMP, "keysync-a-%s.conf" % cn), **base)
    # The limit holds for an ordinary search: without paging the sync could not be whole.
    r = subprocess.run(["ldapsearch", "-x", "-H", ST["uri"], "-D", PAGED, "-w", "pw-paged",
                        "-b", KEYSPACE, "(objectClass=pgpKeyInfo)", "dn"], capture_output=True)
    check(r.returncode == 4, "unpaged search past the size limit exited %d" % r.returncode)
    home = ST["home"]["a"]
    run = lambda dn: subprocess.run([os.path.join(BINDIR, "cryptmilter-keysync"), "-c", conf[dn]],
                                    capture_output=True, timeout=60)
    r = run(PAGED)
    check(r.returncode == 0, "paged keysync exited %d: %s" % (r.returncode,
                                                              r.stderr.decode()[-500:]))
    missing = [u for u in users if not listed(home, ST["users"][u][2])]
    check(not missing, "keys missing after the paged sync: %s" % missing)
    ring = os.path.join(home, "pubring.kbx")
    before = open(ring, "rb").read()
    r = run(CAPPED)
    check(r.returncode == 75, "keysync cut short by the size limit exited %d" % r.returncode)
    check(b"Size limit exceeded" in r.stderr, "no reason given: %r" % r.stderr[-300:])
    check(open(ring, "rb").read() == before, "a sync cut short changed the keyring")
    missing = [u for u in users if not listed(home, ST["users"][u][2])]
    check(not missing, "a sync cut short removed keys: %s" % missing)
    sync_all()


def test_4_directory_down_past_max_age_defers():
    slapd_stop()
    r = keysync("a")
    check(r.returncode == 75, "keysync with slapd down exited %d" % r.returncode)
    check(listed(ST["home"]["a"], S.gateway_fpr()), "a failed sync touched the keyring")
    stamp = os.path.join(ST["home"]["a"], "keysync.stamp")
    # time(2) may lag the clock Python reads by a tick: a second's margin.
    time.sleep(max(0, os.stat(stamp).st_mtime + MAX_AGE + 2 - time.time()))
    m = ST["milter"]["a"]
    mark = S.canary()
    for daemon, rcpt in ((None, "carol@example.org"), ("submission", "x@ext.example")):
        res = m.send("s@ext.example", [rcpt], ("Subject: s\r\n\r\n%s\r\n" % mark).encode(),
                     **({"daemon": daemon} if daemon else {}))
        c, t = res["rcpt"][0]
        check(c == b"y" and t.startswith("451 4.3.0"), "RCPT to %s answered %r %r" % (rcpt, c, t))
        check(res["reply"][0] == b"none", "the transaction went on: %r" % (res["reply"],))
    m.wait_log(b"not synchronised recently")
    slapd_start()
    r = keysync("a")
    check(r.returncode == 0, "keysync after slapd came back exited %d" % r.returncode)
    check(m.send("s@ext.example", ["carol@example.org"], b"Subject: s\r\n\r\nx\r\n")["rcpt"][0][0]
          == b"c", "still deferred after a fresh sync")
    for n in ("a", "b"):
        ST["milter"][n].stop()
    slapd_stop()


def main():
    global BINDIR, TMP
    BINDIR = args().bindir
    TMP = os.path.join(workdir(), "keysync")
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    try:
        run_tests([(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")])
    finally:
        if "slapd" in ST and ST["slapd"].poll() is None:
            ST["slapd"].kill()
        # The agents gpg started: key generation, --list-secret-keys.
        for home in list(ST.get("home", {}).values()) + [u[0] for u in ST.get("users", {}).values()]:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)


if __name__ == "__main__":
    main()
