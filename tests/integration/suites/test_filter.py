#!/usr/bin/env python3
"""cryptmilter-filter end to end: every message shape inbound is RFC 3156
exact and decrypts with gpg, sq and rnp to the original entity; encrypted
mail passes; look-alikes are encrypted; missing keys, keyrings and configs
fail closed with the documented exit codes."""
import os
import shutil
import subprocess
import time

from harness import faults
from harness.cmrun import gpgme_only
from harness import hp_oracle
from harness.cmtest import (GNUPGHOME, args, check, check_decrypts_to, check_rfc3156, corpus,
                            decrypt_all, expected_entity, gpg_encrypt, run_tests, split_message,
                            workdir, write_config)

# Set by main(): nothing runs at import.
BIN = None
TMP = None
CONF = None



def filt(message, to=("alice@example.org", "bob@example.org"), conf=None, direction="inbound",
         extra=()):
    conf = conf or CONF
    cmd = [BIN, "-c", conf, "--direction", direction, "--from", "sender@ext.example"]
    for t in to:
        cmd += ["--to", t]
    return subprocess.run(cmd + list(extra), input=message, capture_output=True)


def encrypts(name, message):
    def t():
        r = filt(message)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
        check(b"canary" not in split_message(r.stdout)[1], "plaintext in the body")
        armor = check_rfc3156(r.stdout, message)
        check_decrypts_to(armor, message, TMP)
    return ("encrypt/" + name, t)


def passes_unchanged_but_trace(message, trace):
    r = filt(message)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    fields, body = split_message(r.stdout)
    ofields, obody = split_message(message)
    check(body == obody, "body changed")
    traces = [f for f in fields if f[0].lower().startswith(b"x-cryptmilter:")]
    check(traces == [[b"X-Cryptmilter: " + trace]], "trace fields %r" % traces)
    check([f for f in fields if f not in traces] == ofields, "other fields changed")


def pgp_mime_message(ciphertext):
    return (b"From: a@ext.example\nTo: alice@example.org\nSubject: e2e\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\n"
            b" boundary=\"xx\"\n\n--xx\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
            b"--xx\nContent-Type: application/octet-stream\n\n" + ciphertext + b"\n--xx--\n")


def test_real_pgp_mime_skipped():
    ct = gpg_encrypt(b"Content-Type: text/plain\r\n\r\ncanary secret\r\n", "alice@example.org")
    passes_unchanged_but_trace(pgp_mime_message(ct), b"skipped already-encrypted")


def test_inline_pgp_skipped():
    ct = gpg_encrypt(b"canary secret\n", "bob@example.org")
    msg = b"From: a@ext.example\nSubject: inline\n\n" + ct
    passes_unchanged_but_trace(msg, b"skipped already-encrypted")


def test_smime_skipped():
    key, crt = os.path.join(TMP, "s.key"), os.path.join(TMP, "s.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-subj", "/CN=alice@example.org", "-days", "2"],
                   check=True, capture_output=True)
    r = subprocess.run(["openssl", "cms", "-encrypt", "-aes256", crt], input=b"Content-Type: "
                       b"text/plain\r\n\r\ncanary secret\r\n", capture_output=True, check=True)
    msg = b"From: a@ext.example\nSubject: smime\n" + r.stdout.replace(b"\r\n", b"\n")
    check(b"application/pkcs7-mime" in msg or b"application/x-pkcs7-mime" in msg, "no S/MIME")
    passes_unchanged_but_trace(msg, b"skipped already-encrypted")


def test_lookalike_pgp_mime_encrypted():
    # A literal-data packet in a "PGP MESSAGE" armor: plaintext, not ciphertext.
    stored = gpg_encrypt(b"canary plaintext look-alike\n", None, extra=["--store"])
    check(b"-----BEGIN PGP MESSAGE-----" in stored, "gpg --store made no armor")
    msg = pgp_mime_message(stored)
    encrypts("lookalike", msg)[1]()


def test_lookalike_inline_with_text_encrypted():
    ct = gpg_encrypt(b"secret\n", "bob@example.org")
    msg = b"From: a@ext.example\nSubject: mixed\n\ncanary text before the block\n" + ct
    encrypts("mixed-inline", msg)[1]()


def test_large_inline_pgp_skipped():
    # A genuine inline message far past the old 256 KiB window.
    ct = gpg_encrypt(os.urandom(300 * 1024), "bob@example.org")
    check(len(ct) > 300 * 1024, "ciphertext too small")
    passes_unchanged_but_trace(b"From: a@ext.example\nSubject: big\n\n" + ct,
                               b"skipped already-encrypted")


def test_plaintext_beside_real_ciphertext_encrypted():
    ct = gpg_encrypt(b"Content-Type: text/plain\r\n\r\nsecret\r\n", "alice@example.org")
    # After the END line; and in an armor Comment header.
    encrypts("after-end", b"From: a@ext.example\nSubject: x\n\n" + ct
             + b"canary plaintext after the block\n")[1]()
    commented = ct.replace(b"-----BEGIN PGP MESSAGE-----\n",
                           b"-----BEGIN PGP MESSAGE-----\nComment: canary " + b"x" * 100 + b"\n", 1)
    encrypts("comment", pgp_mime_message(commented))[1]()
    # In a third part and under a second Content-Type.
    third = pgp_mime_message(ct).replace(b"\n--xx--\n", b"\n--xx\nContent-Type: text/plain\n\n"
                                         b"canary third part\n--xx--\n")
    encrypts("third-part", third)[1]()
    second = pgp_mime_message(ct).replace(b"MIME-Version: 1.0\n",
                                          b"MIME-Version: 1.0\nContent-Type: text/plain\n")
    encrypts("second-ctype", second)[1]()


def test_smime_header_then_plaintext_encrypted():
    # 15 bytes of a real EnvelopedData header, then plaintext in base64.
    import base64
    der = bytes([0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03,
                 0xa0, 0x80]) + b"canary plaintext hidden in base64"
    msg = (b"From: a@ext.example\nSubject: s\nMIME-Version: 1.0\nContent-Type: application/"
           b"pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\n"
           + base64.encodebytes(der))
    encrypts("smime-lookalike", msg)[1]()


def refusal(message, conf, to, code, xcode, exit_code):
    r = filt(message, to=to, conf=conf)
    check(r.returncode == exit_code, "exit %d, want %d (%s)" % (r.returncode, exit_code,
                                                               r.stderr.decode()))
    check(r.stdout == b"", "something was written: %d bytes" % len(r.stdout))
    lines = r.stderr.decode().strip().splitlines()
    check(len(lines) == 1, "want one line on stderr, got %r" % lines)
    check(" %s %s " % (code, xcode) in lines[0], "stderr %r lacks %s %s" % (lines[0], code, xcode))
    return lines[0]


MSG = b"From: s@ext.example\nTo: x\nSubject: canary\n\ncanary body\n"


def test_missing_key_tempfail():
    line = refusal(MSG, CONF, ["alice@example.org", "nobody@example.org"], "451", "4.7.4", 75)
    check("nobody@example.org" in line, "reason does not name the recipient")


def test_missing_key_reject():
    conf = write_config(os.path.join(TMP, "reject.conf"), MissingKeyAction="reject")
    refusal(MSG, conf, ["nobody@example.org"], "554", "5.7.4", 69)


def test_missing_key_pass():
    conf = write_config(os.path.join(TMP, "pass.conf"), MissingKeyAction="pass")
    r = filt(MSG, to=["nobody@example.org"], conf=conf)
    check(r.returncode == 0, "exit %d" % r.returncode)
    check(b"X-Cryptmilter: skipped no-key\n" in r.stdout, "no trace field")


def test_split_mixed_in_filter_tempfails():
    conf = write_config(os.path.join(TMP, "split.conf"), MissingKeyAction="split")
    refusal(MSG, conf, ["alice@example.org", "nobody@example.org"], "452", "4.5.3", 75)


def test_missing_keyring_tempfails():
    conf = write_config(os.path.join(TMP, "nokr.conf"), KeyringDir=os.path.join(TMP, "none"),
                        MissingKeyAction="pass")
    refusal(MSG, conf, ["alice@example.org"], "451", "4.3.0", 75)


def test_damaged_keyring_tempfails():
    # gpg cannot list a key from this file; GPGME calls that an empty
    # listing. It must not read as "nobody has a key" (plaintext under pass).
    home = os.path.join(TMP, "damaged-home")
    os.makedirs(home, mode=0o700)
    with open(os.path.join(home, "pubring.kbx"), "wb") as f:
        f.write(bytes((i * 167 + 13) & 0xff for i in range(8192)))
    conf = write_config(os.path.join(TMP, "damaged.conf"), KeyringDir=home,
                        MissingKeyAction="pass")
    refusal(MSG, conf, ["alice@example.org"], "451", "4.3.0", 75)


def test_pubring_gpg_keyring_encrypts():
    # The README advises a pubring.gpg KeyringDir for the GPGME engine: gpg
    # caches its checks of key signatures there (in ring-trust packets),
    # not in pubring.kbx. Both engines must read it, cache and all.
    home = os.path.join(TMP, "pubring-gpg-home")
    os.makedirs(home, mode=0o700)
    open(os.path.join(home, "pubring.gpg"), "w").close()
    env = dict(os.environ, GNUPGHOME=home)
    keys = subprocess.run(["gpg", "--batch", "--export", "alice@example.org", "bob@example.org"],
                          env=dict(os.environ, GNUPGHOME=GNUPGHOME), capture_output=True,
                          check=True).stdout
    subprocess.run(["gpg", "--batch", "--quiet", "--import"], input=keys, env=env,
                   capture_output=True, check=True)
    subprocess.run(["gpg", "--batch", "--check-sigs"], env=env, capture_output=True, check=True)
    subprocess.run(["gpgconf", "--kill", "all"], env=env)
    check(not os.path.exists(os.path.join(home, "pubring.kbx")), "gpg made a pubring.kbx")
    packets = subprocess.run(["gpg", "--list-packets", os.path.join(home, "pubring.gpg")],
                             env=env, capture_output=True).stdout
    check(b"sigcache=" in packets, "no cached signature checks in pubring.gpg")
    conf = write_config(os.path.join(TMP, "pubring-gpg.conf"), KeyringDir=home,
                        MissingKeyAction="tempfail")
    r = filt(MSG, conf=conf)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check_decrypts_to(check_rfc3156(r.stdout, MSG), MSG, TMP)


HP_MSG = (b"From: Alice <a@ext.example>\nTo: alice@example.org\nSubject: =?utf-8?q?canary_caf=C3=A9?=\n"
          b"Keywords: canary-keyword\nComments: canary comment\nDate: Sun, 6 Dec 2026 08:00:00 +0000\n"
          b"Message-ID: <hp@ext.example>\nMIME-Version: 1.0\n"
          b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nthe body\n")


def test_header_protection():
    """ProtectHeaders yes (the default): the Subject, Keywords and Comments
    are nowhere outside; inside, hcp_baseline's payload, which gpg, sq and
    rnp all decrypt to; the body byte for byte (no legacy display element
    unless asked for)."""
    r = filt(HP_MSG)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"canary" not in r.stdout, "a protected field is readable outside")
    fields, _ = split_message(r.stdout)
    check([b"Subject: [...]"] in fields, "outer Subject is not [...]")
    armor = check_rfc3156(r.stdout, HP_MSG)
    check_decrypts_to(armor, HP_MSG, TMP)
    plain = decrypt_all(armor, TMP)["gpg"]
    check(b"hp-legacy-display" not in plain and plain.endswith(b"\r\n\r\nthe body\r\n"),
          "a legacy display element though LegacyDisplay is off by default")


def test_header_protection_legacy_display():
    """LegacyDisplay yes: the hidden fields, decoded, as the body's first
    lines, for readers that do not know header protection."""
    conf = write_config(os.path.join(TMP, "legacy.conf"), LegacyDisplay="yes")
    r = filt(HP_MSG, conf=conf)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"canary" not in r.stdout, "a protected field is readable outside")
    for tool, got in decrypt_all(check_rfc3156(r.stdout, HP_MSG), TMP).items():
        check(hp_oracle.unprotect(got, HP_MSG, legacy=True) == expected_entity(HP_MSG),
              "%s: the entity under the element differs" % tool)
        check(b"\r\n\r\nSubject: canary caf\xc3\xa9\r\nKeywords: canary-keyword\r\n" in got,
              "%s: no legacy display element" % tool)


def test_header_protection_off():
    """ProtectHeaders no: the entity exactly as before, the Subject outside."""
    conf = write_config(os.path.join(TMP, "nohp.conf"), ProtectHeaders="no")
    r = filt(HP_MSG, conf=conf)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"Subject: =?utf-8?q?canary_caf=C3=A9?=" in r.stdout, "Subject hidden though turned off")
    check_decrypts_to(check_rfc3156(r.stdout, HP_MSG, hp=False), HP_MSG, TMP, hp=False)


def test_onerror_reject():
    conf = write_config(os.path.join(TMP, "onerr.conf"), KeyringDir=os.path.join(TMP, "none"),
                        OnError="reject")
    refusal(MSG, conf, ["alice@example.org"], "554", "5.3.0", 69)


def test_unwritable_spool_tempfails():
    conf = write_config(os.path.join(TMP, "nospool.conf"), SpoolDir=os.path.join(TMP, "nodir"),
                        MemoryBufferSize="4K")
    refusal(MSG + b"x" * 10000 + b"\n", conf, ["alice@example.org"], "452", "4.3.1", 75)


def test_dead_agent_still_encrypts():
    # Encryption needs no private key: with gpg-agent gone, mail is still
    # encrypted, never passed in plaintext.
    # A private copy of the keyring, so other tests keep their agent.
    home = os.path.join(TMP, "agent-home")
    shutil.copytree(GNUPGHOME, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    env = dict(os.environ, GNUPGHOME=home)
    subprocess.run(["gpgconf", "--launch", "gpg-agent"], env=env, check=True)
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=True)
    conf = write_config(os.path.join(TMP, "agent.conf"), KeyringDir=home)
    msg = corpus()[0][1]
    r = filt(msg, conf=conf)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check_rfc3156(r.stdout, msg)
    check(b"secret plan" not in r.stdout, "plaintext in output")


def test_bad_config():
    bad = os.path.join(TMP, "bad.conf")
    with open(bad, "w") as f:
        f.write("KeyringDir /x\nMissingKeyAction maybe\n")
    r = filt(MSG, conf=bad)
    check(r.returncode == 78, "exit %d" % r.returncode)
    check(("%s:2:" % bad) in r.stderr.decode(), "no file:line in %r" % r.stderr)


def test_outbound_unchanged():
    msg = corpus()[1][1]
    r = filt(msg, direction="outbound", to=["someone@ext.example"])
    check(r.returncode == 0 and r.stdout == msg, "outbound message changed")


def test_direction_derived():
    msg = corpus()[0][1]
    conf = write_config(os.path.join(TMP, "internal.conf"), InternalHosts="192.0.2.0/24")
    cmd = [BIN, "-c", conf, "--from", "s@example.org", "--to", "alice@example.org",
           "--client-address", "192.0.2.7"]
    r = subprocess.run(cmd, input=msg, capture_output=True)
    check(r.returncode == 0 and r.stdout == msg, "internal client should be outbound")
    for external in ("203.0.113.7", "127.0.0.1"):
        cmd[-1] = external
        r = subprocess.run(cmd, input=msg, capture_output=True)
        check(r.returncode == 0 and b"X-Cryptmilter: encrypted pgp-mime" in r.stdout,
              "client %s should be inbound" % external)


def test_usage():
    r = subprocess.run([BIN, "-c", CONF], input=b"", capture_output=True)
    check(r.returncode == 64, "exit %d without --to" % r.returncode)


# ------------------------------------------------ engine fault injection

BIG = (b"From: s@ext.example\nTo: alice@example.org\nSubject: canary\n\n"
       + b"canary line of plaintext that must never leave in the clear\n" * 40000)


def engine_fault(mode, message=MSG, timeout="3s"):
    conf = write_config(os.path.join(TMP, "fault-%s.conf" % mode), MissingKeyAction="pass",
                        GpgProgram=faults.wrapper(TMP, mode), EngineTimeout=timeout)
    start = time.monotonic()
    r = filt(message, to=["alice@example.org"], conf=conf)
    took = time.monotonic() - start
    check(r.returncode == 75, "%s: exit %d, want 75 (%s)" % (mode, r.returncode, r.stderr.decode()))
    check(r.stdout == b"", "%s: %d bytes written" % (mode, len(r.stdout)))
    check(b"canary" not in r.stderr, "%s: content on stderr" % mode)
    return r.stderr.decode(), took


@gpgme_only
def test_engine_exits_without_status():
    for mode in ("exit0", "exit2"):
        err, _ = engine_fault(mode)
        check(" 451 4.7.5 " in err, "%s: %r" % (mode, err))


@gpgme_only
def test_engine_output_cut_short():
    # gpg reports success on its status fd; only the output check sees it.
    err, _ = engine_fault("half", BIG)
    check(" 451 4.7.5 " in err, err)


@gpgme_only
def test_engine_writes_garbage():
    err, _ = engine_fault("garbage")
    check(" 451 4.7.5 " in err, err)


@gpgme_only
def test_engine_writes_plaintext_packets():
    # gpg --store in place of --encrypt: well-formed OpenPGP holding the
    # message in the clear (a literal data packet). The engine wants gpg's
    # END_ENCRYPTION; the packet check (unit_inbound) would refuse it too.
    err, _ = engine_fault("store")
    check(" 451 4.7.5 " in err, err)


@gpgme_only
def test_engine_killed_mid_stream():
    err, took = engine_fault("killed", BIG, timeout="20s")
    check(" 451 4." in err, err)
    check(took < 15, "took %.1fs: stuck until the deadline" % took)


@gpgme_only
def test_engine_hangs_until_deadline():
    err, took = engine_fault("hang", timeout="2s")
    check(" 451 4.3.0 " in err and "did not answer in time" in err, err)
    check(took < 10, "took %.1fs" % took)
    time.sleep(0.2)
    alive = faults.pids_alive(os.path.join(TMP, "gpg-hang.pids"))
    check(alive == [], "hung engine processes still running: %r" % alive)


@gpgme_only
def test_engine_missing_at_run_time():
    conf = write_config(os.path.join(TMP, "nogpg.conf"), GpgProgram=os.path.join(TMP, "no-gpg"))
    line = refusal(MSG, conf, ["alice@example.org"], "451", "4.3.0", 75)
    check("engine unavailable" in line, line)


@gpgme_only
def test_engine_child_signal_mask_empty():
    path = faults.wrapper(TMP, "sigmask")
    conf = write_config(os.path.join(TMP, "sigmask.conf"), GpgProgram=path)
    r = filt(MSG, to=["alice@example.org"], conf=conf)
    check(r.returncode == 0, r.stderr.decode())
    masks = open(path + ".sigmask").read().split()
    check(masks and all(m == "0000000000000000" for m in masks[1::2]), "masks %r" % masks)


# ------------------------------------------------ addresses and input forms

def test_quoted_recipient_is_canonical():
    r = filt(MSG, to=['<"alice"@Example.ORG.>'])
    check(r.returncode == 0, r.stderr.decode())
    check(b"X-Cryptmilter: encrypted pgp-mime" in r.stdout, "quoted address not encrypted")
    check(b"canary body" not in r.stdout, "plaintext out")


def test_idn_local_domain_either_form():
    # LocalDomains names a domain in one IDN form and the recipient of
    # outbound mail comes in the other (SMTPUTF8 or not): it is local all
    # the same, handled as inbound (SPEC 4.6): here keyless under
    # MissingKeyAction tempfail, so refused, never passed on as external.
    for local, rcpt in (("xn--bcher-kva.example", "nobody@b\u00fccher.example"),
                        ("b\u00fccher.example", "nobody@xn--bcher-kva.example")):
        conf = write_config(os.path.join(TMP, "idnlocal.conf"), LocalDomains=local,
                            MissingKeyAction="tempfail")
        r = filt(MSG, to=[rcpt], conf=conf, direction="outbound")
        check(r.returncode == 75 and " 451 4.7.4 " in r.stderr.decode(),
              "%s with LocalDomains %s: exit %d %r" % (rcpt, local, r.returncode, r.stderr))


def test_recipient_delimiter_uses_base_key():
    conf = write_config(os.path.join(TMP, "delim.conf"), RecipientDelimiter="+",
                        MissingKeyAction="pass")
    r = filt(MSG, to=["alice+news@example.org", "bob@example.org"], conf=conf)
    check(r.returncode == 0 and b"X-Cryptmilter: encrypted pgp-mime" in r.stdout,
          "alice+news not encrypted to alice's key: %s" % r.stderr.decode())
    armor = check_rfc3156(r.stdout, MSG)
    check_decrypts_to(armor, MSG, TMP)
    conf = write_config(os.path.join(TMP, "nodelim.conf"), MissingKeyAction="pass")
    r = filt(MSG, to=["alice+news@example.org"], conf=conf)
    check(b"skipped no-key" in r.stdout, "without RecipientDelimiter it has no key")


def test_oversize_pass_writes_whole_message():
    conf = write_config(os.path.join(TMP, "oversize.conf"), MaxMessageSize="1M",
                        OversizeAction="pass")
    msg = b"From: s@ext.example\nSubject: big\n\n" + b"x" * 3600000 + b"\nend\n"
    r = filt(msg, to=["alice@example.org"], conf=conf)
    check(r.returncode == 0, r.stderr.decode())
    fields, body = split_message(r.stdout)
    check(body == split_message(msg)[1], "body %d bytes, want %d" % (len(body),
                                                                     len(split_message(msg)[1])))
    check([b"X-Cryptmilter: skipped oversize"] in fields, "no trace")


def test_mbox_from_line_kept():
    msg = b"From sender@ext.example Mon Nov 30 00:00:00 2026\n" + MSG
    r = filt(msg)
    check(r.returncode == 0, r.stderr.decode())
    check(r.stdout.startswith(b"From sender@ext.example Mon Nov 30 00:00:00 2026\n"),
          "From_ line not kept first: %r" % r.stdout[:80])
    rest = r.stdout[r.stdout.index(b"\n") + 1:]
    check(rest.startswith(b"From: s@ext.example\r\n"), "header not after it: %r" % rest[:60])
    check(b"X-Cryptmilter: encrypted pgp-mime" in rest, "not encrypted")
    armor = check_rfc3156(rest, MSG)
    check_decrypts_to(armor, MSG, TMP)


def test_bare_cr_header_refused():
    msg = b"From: s@ext.example\rSubject: x\r\rcanary body shown by CR readers\r"
    line = refusal(msg, CONF, ["alice@example.org"], "554", "5.6.0", 69)
    check("bare CR" in line, line)
    check("canary" not in line, "content in the reply")


def test_log_escapes_control_characters():
    r = subprocess.run(
        [BIN, "-c", CONF, "-v", "--direction", "inbound", "--from",
         "evil@ext.example\ncryptmilter-filter: info: FORGED", "--to", "alice@example.org"],
        input=MSG, capture_output=True)
    check(r.returncode == 0, r.stderr.decode())
    lines = r.stderr.decode().splitlines()
    check(not any(l.startswith("cryptmilter-filter: info: FORGED") for l in lines),
          "a forged log line: %r" % lines)
    check(any("\\x0a" in l for l in lines), "newline not escaped: %r" % lines)


def main():
    global BIN, TMP, CONF
    BIN = os.path.join(args().bindir, "cryptmilter-filter")
    TMP = workdir()
    CONF = write_config(os.path.join(TMP, "inbound.conf"), MissingKeyAction="tempfail")
    tests = [encrypts(name, msg) for name, msg in corpus()]
    tests += [(name, fn) for name, fn in sorted(globals().items()) if name.startswith("test_")]
    run_tests(tests)


if __name__ == "__main__":
    main()
