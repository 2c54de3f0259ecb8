#!/usr/bin/env python3
"""EncryptToSelf, the archive keys (issue 27): every encryption the gateway
makes, inbound PGP/MIME and S/MIME and outbound re-encryption, is also
encrypted to the archive key of its class, through cryptmilter-filter and
the daemon, under the OpenPGP backend CM_TEST_BACKEND names. The archive
key's holder decrypts with tools of its own (sq, a GnuPG home holding only
the archive key, openssl cms); a key that cannot be used defers the message
(451 4.3.0) and nothing is written. mallory@example.org's key stands for the
OpenPGP archive key, sue@example.org's certificate for the S/MIME one."""
import os
import subprocess

from harness import sender as S
from harness.cmtest import (EXPORT, GNUPGHOME, Milter, args, check, check_rfc3156, run_tests,
                            split_message, workdir, write_config)
from harness.filtcheck import passes, refused, run_filter
from harness.smime_oracles import CERTS, check_smime, openssl_decrypt

BIN = None
TMP = None
FPR = {}            # local part -> fingerprint, from the test keyring

MSG = S.crlf(b"From: s@ext.example\nTo: alice@example.org\nSubject: canary\n"
             b"Content-Type: text/plain\n\ncanary body\n")


def fpr(local):
    if local not in FPR:
        r = subprocess.run(["gpg", "--with-colons", "--list-keys", "<%s@example.org>" % local],
                           env=dict(os.environ, GNUPGHOME=GNUPGHOME), capture_output=True,
                           text=True, check=True)
        FPR[local] = [x.split(":")[9] for x in r.stdout.splitlines() if x.startswith("fpr:")][0]
    return FPR[local]


def conf(name, **keys):
    return write_config(os.path.join(TMP, name + ".conf"), **keys)


def pgp_conf(name, archive="mallory", **keys):
    return conf(name, EncryptToSelf=fpr(archive) if "@" not in archive and len(archive) < 40
                else archive, **keys)


def smime_conf(name, cert=None, **keys):
    return conf(name, CertificateDir=CERTS, EncryptToSelf="%s %s" % (
        fpr("mallory"), cert or os.path.join(CERTS, "sue.pem")), **keys)


def filt(message, to, config, direction="inbound", sender="s@ext.example"):
    return run_filter(os.path.join(BIN, "cryptmilter-filter"), config, message, sender, to, direction)


def sq_decrypts(armor, who):
    """Does sq decrypt armor with who's secret key (EXPORT/who.sec.asc)?"""
    path = os.path.join(TMP, "ct.asc")
    with open(path, "wb") as f:
        f.write(armor)
    r = subprocess.run(["sq", "decrypt", "--recipient-key", os.path.join(EXPORT, who + ".sec.asc"),
                        path], capture_output=True)
    return r.returncode == 0 and b"canary" in r.stdout.lower()


def archive_home():
    """A GnuPG home with only the archive key's secret part: the archive's own tools."""
    home = os.path.join(TMP, "archive-gnupg")
    if not os.path.isdir(home):
        os.makedirs(home, mode=0o700)
        subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--import",
                        os.path.join(EXPORT, "mallory.sec.asc")], check=True, capture_output=True)
    return home


def gpg_archive_decrypts(armor):
    r = subprocess.run(["gpg", "--homedir", archive_home(), "--batch", "--quiet", "--decrypt"],
                       input=armor, capture_output=True)
    return r.returncode == 0 and b"canary" in r.stdout.lower()


def check_pgp_archived(out, recipient, original=MSG):
    """out is PGP/MIME that the recipient, the archive key (sq and gpg) and
    no one else decrypt; the archive key is not named in the header."""
    armor = check_rfc3156(out, original)
    check(sq_decrypts(armor, recipient), "%s cannot decrypt" % recipient)
    check(sq_decrypts(armor, "mallory"), "the archive key (sq) cannot decrypt")
    check(gpg_archive_decrypts(armor), "the archive key (gpg, its own home) cannot decrypt")
    check(not sq_decrypts(armor, "outsider"), "the outsider can decrypt")
    header = b"".join(b"".join(f) for f in split_message(out)[0]).lower()
    check(fpr("mallory").lower().encode() not in header and b"mallory" not in header,
          "the archive key is named in the header")


def check_smime_archived(out, recipient):
    der = check_smime(out, MSG)
    for who in (recipient, "sue"):
        check(b"canary" in openssl_decrypt(der, who, TMP).lower(), "%s cannot decrypt" % who)
    path = os.path.join(TMP, "pat.der")
    with open(path, "wb") as f:
        f.write(der)
    r = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", path,
                        "-inkey", os.path.join(os.path.dirname(CERTS), "keys", "pat.key")],
                       capture_output=True)
    check(r.returncode != 0, "pat, neither recipient nor archive, decrypts")
    header = b"".join(b"".join(f) for f in split_message(out)[0]).lower()
    check(b"sue" not in header and b"mallory" not in header, "the archive key is named in the header")


def test_filter_pgp_inbound():
    out = passes(filt(MSG, ["alice@example.org"], pgp_conf("pgp")), "inbound")
    check_pgp_archived(out, "alice")


def test_filter_smime_inbound():
    """S/MIME gets the certificate, not the OpenPGP archive key."""
    out = passes(filt(MSG, ["sam@example.org"], smime_conf("smime")), "inbound S/MIME")
    check_smime_archived(out, "sam")


def test_filter_outbound_reencrypted():
    """OpportunisticEncryption: decrypted at the gateway, encrypted again to
    the external recipient's key and to the archive key."""
    config = pgp_conf("outbound", GatewayKeys=S.gateway_fpr(), OpportunisticEncryption="yes",
                      ReplayCache=os.path.join(TMP, "replay"))
    mark = "canary " + S.canary()
    msg = S.pgp_mime(S.sign_encrypt("sq", S.entity_text(mark), TMP))
    out = passes(filt(msg, ["bob@example.org"], config, "outbound", "alice@example.org"),
                 "outbound")
    check(mark.encode() not in out, "sent in clear")
    check_pgp_archived(out, "bob", out)


def test_filter_unusable_archive_key_defers():
    """Missing, expired, revoked, sign-only: 451 4.3.0 naming the key, nothing
    written, never encrypted without it."""
    for why, archive in (("missing", "0123456789ABCDEF0123456789ABCDEF01234567"),
                         ("expired", "dave"), ("revoked", "eve"), ("sign-only", "carol")):
        key = archive if len(archive) == 40 else fpr(archive)
        r = filt(MSG, ["alice@example.org"], pgp_conf("bad-" + why, archive))
        refused(r, "canary body", "451", "4.3.0", 75, key)
    for why, cert in (("missing", os.path.join(TMP, "nowhere.pem")),
                      ("expired", os.path.join(CERTS, "old.pem")),
                      ("sign-only", os.path.join(CERTS, "signer.pem"))):
        r = filt(MSG, ["sam@example.org"], smime_conf("bad-smime-" + why, cert))
        refused(r, "canary body", "451", "4.3.0", 75, cert)


def test_daemon_archives_and_defers():
    m = Milter(BIN, TMP, "d", CertificateDir=CERTS,
               EncryptToSelf="%s %s" % (fpr("mallory"), os.path.join(CERTS, "sue.pem")))
    bad = Milter(BIN, TMP, "bad", EncryptToSelf=fpr("dave"))
    try:
        res = m.send("s@ext.example", ["alice@example.org"], MSG)
        check(res["reply"][0] == b"c", "pgp: reply %r" % (res["reply"],))
        check_pgp_archived(res["message"], "alice")
        res = m.send("s@ext.example", ["sam@example.org"], MSG, qid="QID2")
        check(res["reply"][0] == b"c", "smime: reply %r" % (res["reply"],))
        check_smime_archived(res["message"], "sam")
        res = bad.send("s@ext.example", ["alice@example.org"], MSG, qid="QID3")
        check(res["reply"][0] == b"y" and res["reply"][1].startswith("451 4.3.0")
              and fpr("dave") in res["reply"][1], "expired archive key: %r" % (res["reply"],))
        check(res["replaced"] == b"" and res["mods"] == [], "something delivered: %r"
              % (res["mods"][:2],))
    finally:
        m.stop()
        bad.stop()


def test_keys_list_marks_archive():
    config = smime_conf("list")
    r = subprocess.run([os.path.join(BIN, "cryptmilter-keys"), "-c", config, "list",
                        "EncryptToSelf"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    got = sorted([f[0], f[1], f[2], f[4]] for f in (x.split() for x in r.stdout.splitlines()))
    want = sorted([["EncryptToSelf", "archive", fpr("mallory"), "usable"],
                   ["EncryptToSelf", "archive", os.path.join(CERTS, "sue.pem"), "usable"]])
    check(got == want, "listed %r" % r.stdout)


def main():
    global BIN, TMP
    BIN = args().bindir
    TMP = workdir()
    tests = [(n[5:], f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    run_tests(tests)


if __name__ == "__main__":
    main()
