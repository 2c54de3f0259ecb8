#!/usr/bin/env python3
"""S/MIME inbound through cryptmilter-filter (SPEC §3): every message shape
is encrypted to the recipient's certificate from CertificateDir and
decrypts with `openssl cms` (and `gpgsm`, where GnuPG 2.2 can) to the
original entity; RSA-2048, RSA-3072 and P-256; AES-256-CBC and -GCM;
PKCS#1 v1.5 and RSA-OAEP. Key classes: OpenPGP first unless PreferSMIME,
S/MIME alone with KeyringDir none, one format per transaction; the
certificate directory fails closed.

gpgsm 2.2.40 (Debian 12) decrypts RSA with PKCS#1 v1.5 and AES-CBC only:
it has no AuthEnvelopedData ("error getting IV"), no RSA-OAEP, and cannot
import an EC key from PKCS#12. Those cases are decrypted with openssl."""
import os
import subprocess

from harness.cmtest import (args, check, check_rfc3156, corpus, run_tests, split_message, workdir,
                            write_config)
from harness.smime_oracles import CERTS, check_smime_decrypts_to, key_transport, openssl_decrypt

BIN = None
TMP = None


def conf(name, **keys):
    keys.setdefault("CertificateDir", CERTS)
    return write_config(os.path.join(TMP, name + ".conf"), **keys)


def filt(message, to, config, extra=()):
    cmd = [BIN, "-c", config, "--direction", "inbound", "--from", "sender@ext.example"]
    for t in to:
        cmd += ["--to", t]
    return subprocess.run(cmd + list(extra), input=message, capture_output=True)


def encrypted(message, to, config):
    r = filt(message, to, config)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"canary" not in split_message(r.stdout)[1], "plaintext in the body")
    return r.stdout


def refusal(message, to, config, code, xcode, exit_code):
    r = filt(message, to, config)
    check(r.returncode == exit_code, "exit %d, want %d (%s)" % (r.returncode, exit_code,
                                                               r.stderr.decode()))
    check(r.stdout == b"", "something was written: %d bytes" % len(r.stdout))
    line = r.stderr.decode().strip()
    check(" %s %s " % (code, xcode) in line, "stderr %r lacks %s %s" % (line, code, xcode))
    return line


MSG = b"From: s@ext.example\nTo: x\nSubject: canary\nContent-Type: text/plain\n\ncanary body\n"


def shapes(who, gpgsm, cipher="aes256-cbc"):
    """Every corpus shape to who, decrypted by openssl (and gpgsm)."""
    def t():
        c = conf("shapes-%s-%s" % (who, cipher), SMIMECipher=cipher)
        for name, message in corpus():
            try:
                out = encrypted(message, ["%s@example.org" % who], c)
                check_smime_decrypts_to(out, message, who, TMP, gpgsm=gpgsm,
                                        auth=cipher == "aes256-gcm")
            except Exception as e:
                raise type(e)("%s: %s" % (name, e))
    return t


def test_two_recipients_each_decrypt():
    out = encrypted(MSG, ["sam@example.org", "sue@example.org"], conf("two"))
    for who in ("sam", "sue"):
        check_smime_decrypts_to(out, MSG, who, TMP)


def test_newest_certificate_is_used():
    out = encrypted(MSG, ["sam@example.org"], conf("newest"))
    der = check_smime_decrypts_to(out, MSG, "sam", TMP)
    r = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER",
                        "-inkey", os.path.join(os.path.dirname(CERTS), "keys", "sam-old.key"),
                        "-recip", os.path.join(CERTS, "sam-old.pem")],
                       input=der, capture_output=True)
    check(r.returncode != 0, "the older certificate's key decrypts too")


def test_subject_email_certificate():
    check_smime_decrypts_to(encrypted(MSG, ["subj@example.org"], conf("subj")), MSG, "subj", TMP)


def test_pkcs1_by_default_oaep_when_asked():
    der = check_smime_decrypts_to(encrypted(MSG, ["sam@example.org"], conf("pkcs1")), MSG,
                                  "sam", TMP, gpgsm=True)
    check(key_transport(der, TMP) == ["rsaEncryption"], "default key transport %r"
          % key_transport(der, TMP))
    out = encrypted(MSG, ["sam@example.org", "sue@example.org"],
                    conf("oaep", SMIMEKeyTransport="oaep"))
    der = check_smime_decrypts_to(out, MSG, "sue", TMP)
    check(key_transport(der, TMP) == ["rsaesOaep", "rsaesOaep"], "OAEP key transport %r"
          % key_transport(der, TMP))
    check(openssl_decrypt(der, "sam", TMP).endswith(b"canary body\r\n"), "sam")


def test_expired_and_sign_only_have_no_key():
    c = conf("nokey", MissingKeyAction="tempfail")
    for who in ("old", "signer", "nobody"):
        line = refusal(MSG, ["%s@example.org" % who], c, "451", "4.7.4", 75)
        check("%s@example.org" % who in line, "reason does not name %s" % who)


def test_openpgp_first_unless_prefer_smime():
    # alice has an OpenPGP key and a certificate.
    out = encrypted(MSG, ["alice@example.org"], conf("pgpfirst"))
    check_rfc3156(out, MSG)
    for prefer in ("alice@example.org", "EXAMPLE.org"):
        out = encrypted(MSG, ["alice@example.org"], conf("prefer", PreferSMIME=prefer))
        check_smime_decrypts_to(out, MSG, "alice", TMP)
    # PreferSMIME for someone without a certificate still finds OpenPGP.
    out = encrypted(MSG, ["bob@example.org"], conf("prefer2", PreferSMIME="example.org"))
    check_rfc3156(out, MSG)


def test_smime_alone_without_keyring():
    c = conf("alone", KeyringDir="none", MissingKeyAction="tempfail")
    check_smime_decrypts_to(encrypted(MSG, ["alice@example.org"], c), MSG, "alice", TMP)
    # bob has only an OpenPGP key: with no keyring, he has none.
    refusal(MSG, ["bob@example.org"], c, "451", "4.7.4", 75)


def test_one_format_per_transaction():
    # OpenPGP, S/MIME and none: the second class is deferred, whatever
    # MissingKeyAction says about keyless recipients.
    for action in ("split", "pass", "tempfail"):
        c = conf("split-" + action, MissingKeyAction=action)
        line = refusal(MSG, ["bob@example.org", "sam@example.org"], c, "452", "4.5.3", 75)
        check("sam@example.org" in line, "%s: reply does not name sam: %s" % (action, line))
        line = refusal(MSG, ["sam@example.org", "bob@example.org"], c, "452", "4.5.3", 75)
        check("bob@example.org" in line, "%s: reply does not name bob: %s" % (action, line))
    line = refusal(MSG, ["sam@example.org", "nobody@example.org"], conf("split3"), "452",
                   "4.5.3", 75)
    check("nobody@example.org" in line, "reply does not name nobody")


def test_certificate_dir_fails_closed():
    c = conf("nodir", CertificateDir=os.path.join(TMP, "no-such-dir"), MissingKeyAction="pass")
    refusal(MSG, ["sam@example.org"], c, "451", "4.3.0", 75)
    # Not for recipients with an OpenPGP key: they are found first.
    out = encrypted(MSG, ["bob@example.org"], c)
    check_rfc3156(out, MSG)


def test_config_check_counts_certificates():
    daemon = os.path.join(os.path.dirname(BIN), "cryptmilter")
    r = subprocess.run([daemon, "-c", conf("count"), "-n"], capture_output=True)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    out = r.stdout.decode()
    check("# CertificateDir %s: 7 certificates loaded, 1 files skipped\n" % CERTS in out,
          "no certificate count in %r" % out[-500:])
    check(b"broken.pem" in r.stderr, "the file skipped is not named")
    r = subprocess.run([daemon, "-c", conf("count-bad", CertificateDir=os.path.join(TMP, "nope")),
                        "-n"], capture_output=True)
    check(r.returncode == 78, "unreadable CertificateDir: exit %d, want 78" % r.returncode)


def main():
    global BIN, TMP
    a = args()
    BIN = os.path.join(a.bindir, "cryptmilter-filter")
    TMP = workdir()
    run_tests([
        ("shapes/rsa2048-cbc (openssl, gpgsm)", shapes("sam", True)),
        ("shapes/rsa3072-cbc (openssl, gpgsm)", shapes("sue", True)),
        ("shapes/rsa2048-gcm (openssl)", shapes("sam", False, "aes256-gcm")),
        ("shapes/p256-cbc (openssl)", shapes("pat", False)),
        ("shapes/p256-gcm (openssl)", shapes("pat", False, "aes256-gcm")),
        ("two_recipients_each_decrypt", test_two_recipients_each_decrypt),
        ("newest_certificate_is_used", test_newest_certificate_is_used),
        ("subject_email_certificate", test_subject_email_certificate),
        ("pkcs1_by_default_oaep_when_asked", test_pkcs1_by_default_oaep_when_asked),
        ("expired_and_sign_only_have_no_key", test_expired_and_sign_only_have_no_key),
        ("openpgp_first_unless_prefer_smime", test_openpgp_first_unless_prefer_smime),
        ("smime_alone_without_keyring", test_smime_alone_without_keyring),
        ("one_format_per_transaction", test_one_format_per_transaction),
        ("certificate_dir_fails_closed", test_certificate_dir_fails_closed),
        ("config_check_counts_certificates", test_config_check_counts_certificates),
    ])


if __name__ == "__main__":
    main()
