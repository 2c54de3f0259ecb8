#!/usr/bin/env python3
"""EncryptionPolicy and KeyAliases (issue 27) through cryptmilter-filter and
the daemon: require without a key is refused whatever MissingKeyAction says;
never passes in clear with its trace; a pattern's own MissingKeyAction; the
most specific rule wins; an alias encrypts to every member (each member's
key decrypts it); a bad policy line is named by -n (exit 78) and a SIGHUP
with it keeps the policy in use."""
import os
import signal
import subprocess

from harness.cmtest import (Milter, args, check, check_decrypts_to, check_rfc3156, run_tests,
                            split_message, workdir, write_config)

BIN = None          # the build's milter/ directory
TMP = None

MSG = b"From: s@ext.example\nTo: x\nSubject: canary\n\ncanary body\n"

POLICY = """# who must, who must not
@example.org            require
postmaster@example.org  never
abuse@                  never
.lists.example.org      pass
carol@example.org       reject
@strict.example.org     require reject
"""
ALIASES = """sales@example.org   alice@example.org, bob@example.org
half@example.org    alice@example.org, nobody@example.org
"""


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def conf(name, policy=POLICY, **keys):
    keys.setdefault("MissingKeyAction", "pass")
    keys["EncryptionPolicy"] = "file:" + write(name + ".policy", policy)
    keys["KeyAliases"] = "file:" + write(name + ".aliases", ALIASES)
    return write_config(os.path.join(TMP, name + ".conf"), **keys)


def filt(to, cfg, message=MSG, direction="inbound"):
    cmd = [os.path.join(BIN, "cryptmilter-filter"), "-c", cfg, "--direction", direction,
           "--from", "s@ext.example"]
    for t in to:
        cmd += ["--to", t]
    return subprocess.run(cmd, input=message, capture_output=True)


def refused(r, code, xcode, exit_code, who):
    err = r.stderr.decode()
    check(r.returncode == exit_code, "exit %d, want %d: %s" % (r.returncode, exit_code, err))
    check(r.stdout == b"", "something was written")
    check(" %s %s " % (code, xcode) in err and who in err, "stderr %r" % err)


def passed(r, trace):
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    fields, body = split_message(r.stdout)
    check(body == split_message(MSG)[1], "body changed")
    check(b"X-Cryptmilter: " + trace + b"\n" in r.stdout, "no trace %r" % trace)


def encrypted(r):
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr.decode()))
    check(b"canary body" not in r.stdout, "plaintext in the output")
    return check_rfc3156(r.stdout, MSG)


# ------------------------------------------------------------- the filter

def test_filter_require_without_key_tempfails_under_pass():
    r = filt(["nobody@example.org"], conf("req"))
    refused(r, "451", "4.7.4", 75, "nobody@example.org")


def test_filter_require_reject():
    refused(filt(["nobody@strict.example.org"], conf("reqrej")), "554", "5.7.4", 69,
            "nobody@strict.example.org")


def test_filter_require_with_key_encrypts():
    encrypted(filt(["alice@example.org"], conf("reqkey")))


def test_filter_never_passes_with_trace():
    # postmaster has no key, abuse@ matches any domain; both in clear.
    cfg = conf("never")
    passed(filt(["postmaster@example.org"], cfg), b"skipped policy")
    passed(filt(["abuse@other.example"], cfg), b"skipped policy")


def test_filter_never_is_not_encrypted_even_with_a_key():
    cfg = conf("neverkey", policy="alice@example.org never\n")
    passed(filt(["alice@example.org"], cfg), b"skipped policy")
    # With a keyed recipient in the same (single-shot) transaction: deferred.
    refused(filt(["alice@example.org", "bob@example.org"], cfg), "452", "4.5.3", 75, "")


def test_filter_pattern_missing_key_action():
    # MissingKeyAction tempfail; .lists.example.org says pass, carol@ reject.
    cfg = conf("perpat", MissingKeyAction="tempfail", policy=POLICY.replace(
        "@example.org            require\n", ""))
    passed(filt(["x@a.lists.example.org"], cfg), b"skipped no-key")
    refused(filt(["carol@example.org"], cfg), "554", "5.7.4", 69, "carol@example.org")
    refused(filt(["nobody@example.org"], cfg), "451", "4.7.4", 75, "nobody@example.org")


def test_filter_most_specific_wins():
    # @example.org require, but postmaster@example.org never and the
    # subdomain rule pass: the more specific rule decides.
    cfg = conf("specific")
    passed(filt(["postmaster@example.org"], cfg), b"skipped policy")
    passed(filt(["x@lists.example.org".replace("x@", "x@a.")], cfg), b"skipped no-key")
    refused(filt(["nobody+tag@example.org"], conf("delim", RecipientDelimiter="+")),
            "451", "4.7.4", 75, "nobody+tag@example.org")


def test_filter_alias_encrypts_to_every_member():
    # sales@ has no key of its own; gpg, sq (alice's key) and rnp (bob's
    # key) must each decrypt what was encrypted to the alias.
    armor = encrypted(filt(["sales@example.org"], conf("alias")))
    check_decrypts_to(armor, MSG, TMP)


def test_filter_alias_with_keyless_member_has_no_key():
    refused(filt(["half@example.org"], conf("halfalias")), "451", "4.7.4", 75, "half@example.org")


def test_filter_alias_keeps_its_members_require():
    # half@ has no key (nobody@ has none) and no rule of its own; alice@'s
    # says require. The MTA expands half@ after the milter: passing it in
    # clear would hand alice the plaintext her rule forbids.
    refused(filt(["half@example.org"], conf("aliasreq", policy="alice@example.org require\n")),
            "451", "4.7.4", 75, "half@example.org")
    refused(filt(["half@example.org"],
                 conf("aliasrej", policy="alice@example.org require reject\n")),
            "554", "5.7.4", 69, "half@example.org")
    # A member whose rule lets it go in clear does not hold the alias back,
    # and an explicit never on the alias is the administrator's word.
    passed(filt(["half@example.org"], conf("aliaspass", policy="alice@example.org pass\n")),
           b"skipped no-key")
    passed(filt(["half@example.org"], conf("aliasnever", policy="alice@example.org require\n"
                                             "half@example.org never\n")), b"skipped policy")


def test_filter_idn_rule_matches_either_form():
    # An IDN domain arrives as its A-label (xn--) or, under SMTPUTF8, as
    # UTF-8; the MTA delivers both to one place. A require written in one
    # form must hold for the other: no key, so refused, never in clear.
    cfg = conf("idn", policy="@b\u00fccher.example require\n@xn--caf-dma.example require\n")
    refused(filt(["nobody@xn--bcher-kva.example"], cfg), "451", "4.7.4", 75,
            "nobody@xn--bcher-kva.example")
    refused(filt(["nobody@caf\u00e9.example"], cfg), "451", "4.7.4", 75, "nobody@caf")


def test_filter_idn_rule_in_upper_case():
    # The rule spelled in upper case: UTS#46 folds Unicode case, so it
    # holds for the domain in every form and case the envelope brings. A
    # keyless recipient is refused, inbound and outbound, never passed
    # (MissingKeyAction is pass).
    cfg = conf("idnup", policy="@B\u00dcCHER.example require\n")
    for rcpt in ("nobody@b\u00fccher.example", "nobody@xn--bcher-kva.example",
                 "nobody@B\u00dcCHER.example", "nobody@XN--BCHER-KVA.EXAMPLE"):
        # the filter's message shows each non-ASCII byte as '?'
        who = rcpt.encode().decode("ascii", "replace").replace("\ufffd", "?")
        for direction in ("inbound", "outbound"):
            refused(filt([rcpt], cfg, direction=direction), "451", "4.7.4", 75, who)


def test_filter_outbound_external_require():
    # Outbound, example.org is external here (no LocalDomains). "@partner
    # require" is what an administrator writes for a partner who must never
    # get mail in clear (docs/inbound.md's own example): it must hold for
    # our users' mail to them, with or without OpportunisticEncryption.
    for opp in ("yes", "no"):
        cfg = conf("outreq" + opp, policy="@example.org require\n", OpportunisticEncryption=opp)
        refused(filt(["nobody@example.org"], cfg, direction="outbound"), "451", "4.7.4", 75,
                "nobody@example.org")
        encrypted(filt(["alice@example.org"], cfg, direction="outbound"))
        # Beside a recipient that goes in clear: deferred, never in clear.
        refused(filt(["x@other.example", "alice@example.org"], cfg, direction="outbound"),
                "452", "4.5.3", 75, "")
        refused(filt(["alice@example.org", "x@other.example"], cfg, direction="outbound"),
                "452", "4.5.3", 75, "")
    # Other rules keep to recipients handled as inbound: pass for an
    # external one changes nothing.
    cfg = conf("outpass", policy="@example.org pass\n", OpportunisticEncryption="yes")
    encrypted(filt(["alice@example.org"], cfg, direction="outbound"))


# ------------------------------------------------------------ cryptmilter -n

def run_n(cfg):
    return subprocess.run([os.path.join(BIN, "cryptmilter"), "-n", "-c", cfg], capture_output=True,
                          text=True, timeout=120)


def test_check_names_bad_policy_line():
    cfg = conf("badpol", policy="@example.org require\nalice@example.org perhaps\n")
    r = run_n(cfg)
    check(r.returncode == 78, "exit %d: %s" % (r.returncode, r.stderr[-400:]))
    want = os.path.join(TMP, "badpol.policy") + ":2: \"perhaps\" is not one of"
    check(want in r.stderr, "%r not in %r" % (want, r.stderr[-400:]))
    check("EncryptionPolicy" in r.stderr, "the key is not named")


def test_check_names_alias_loop():
    cfg = conf("loop")
    write("loop.aliases", "a@example.org b@example.org\nb@example.org a@example.org\n")
    r = run_n(cfg)
    check(r.returncode == 78, "exit %d: %s" % (r.returncode, r.stderr[-400:]))
    check(os.path.join(TMP, "loop.aliases") + ":1: member" in r.stderr, r.stderr[-400:])


def test_check_counts_rules_and_aliases():
    r = run_n(conf("counts"))
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr[-400:]))
    check("# EncryptionPolicy: 6 rules\n" in r.stdout and "# KeyAliases: 2 aliases\n" in r.stdout,
          r.stdout[-600:])


def test_check_reads_policy_as_the_daemon_user():
    # A reload reads the file as UserID: one only root can read would be
    # refused by the first SIGHUP, so -n refuses it now.
    if os.geteuid() != 0:
        return
    cfg = conf("unreadable", UserID="nobody")
    os.chmod(os.path.join(TMP, "unreadable.policy"), 0o600)
    r = run_n(cfg)
    check(r.returncode == 78, "exit %d: %s" % (r.returncode, r.stderr[-400:]))
    check("EncryptionPolicy file:" in r.stderr and "make it readable by nobody" in r.stderr,
          r.stderr[-600:])


# -------------------------------------------------------------- the daemon

def wait_reload(m, text):
    m.p.send_signal(signal.SIGHUP)
    m.wait_log(text)
    check(m.p.poll() is None, "cryptmilter stopped on SIGHUP")


def test_daemon_policy_and_reload():
    name = "daemon"
    m = Milter(BIN, TMP, name, MissingKeyAction="pass",
               EncryptionPolicy="file:" + write(name + ".policy", POLICY),
               KeyAliases="file:" + write(name + ".aliases", ALIASES))
    try:
        c = m.client()
        c.connect()
        # require: refused at RCPT alone; alice goes on, encrypted.
        r = c.transaction("s@ext.example", ["alice@example.org", "nobody@example.org"], MSG,
                          qid="P1")
        check(r["rcpt"][1][0] == b"y" and r["rcpt"][1][1].startswith("451 4.7.4 "),
              "require: %r" % (r["rcpt"],))
        check(r["reply"] == (b"c", None), "end of message %r" % (r["reply"],))
        check_rfc3156(r["message"], MSG, ignore=(b"x-cryptmilter",))
        r = c.transaction("s@ext.example", ["x@strict.example.org"], MSG, qid="P2")
        check(r["rcpt"][0][1].startswith("554 5.7.4 "), "require reject: %r" % (r["rcpt"],))
        # never: in clear, traced; a keyed recipient after it is deferred.
        r = c.transaction("s@ext.example", ["postmaster@example.org", "alice@example.org"], MSG,
                          qid="P3")
        check(r["rcpt"][1][0] == b"y" and r["rcpt"][1][1].startswith("452 4.5.3 "),
              "never then keyed: %r" % (r["rcpt"],))
        check(b"X-Cryptmilter: skipped policy\r\n" in r["message"], "never: no trace")
        check(b"canary body" in r["message"], "never: not in clear")
        # The alias: one recipient, both members' keys.
        r = c.transaction("s@ext.example", ["sales@example.org"], MSG, qid="P4")
        check_decrypts_to(check_rfc3156(r["message"], MSG, ignore=(b"x-cryptmilter",)), MSG, TMP)

        # A bad line on reload: refused, named, the policy in use stays.
        write(name + ".policy", POLICY + "bad.example never\n")
        wait_reload(m, b"the configuration in use stays")
        m.wait_log(b"daemon.policy:8: ")
        r = c.transaction("s@ext.example", ["nobody@example.org"], MSG, qid="P5")
        check(r["rcpt"][0][1].startswith("451 4.7.4 "), "after a bad reload: %r" % (r["rcpt"],))
        # A good one takes effect: nobody@ now falls to MissingKeyAction pass.
        write(name + ".policy", "postmaster@example.org never\n")
        wait_reload(m, b"reload: configuration 2 ")
        r = c.transaction("s@ext.example", ["nobody@example.org"], MSG, qid="P6")
        check(r["reply"] == (b"c", None) and b"X-Cryptmilter: skipped no-key\r\n" in r["message"],
              "after the reload: %r" % (r["reply"],))
        c.close()
    finally:
        m.stop()


def main():
    global BIN, TMP
    BIN = args().bindir
    TMP = workdir()
    run_tests([(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")])


if __name__ == "__main__":
    main()
