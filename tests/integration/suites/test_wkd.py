#!/usr/bin/env python3
"""cryptmilter-keys wkd (issue 27) against a Web Key Directory on loopback
(harness/https.py: a test CA, the names mapped to it by the test-only
KeyDiscoveryConnectTo): a right key is imported and listed; a key whose
user IDs all name others is refused; of a key with two user IDs only the
asked-for one is kept; a 404 exits 1; a server that never answers is given
up within KeyDiscoveryTimeout; the direct method is tried when the advanced
host refuses; off-host redirects, oversized answers and secret keys are
refused; a certificate from another CA is refused.

KeyDiscovery wkd in the daemon (harness.cmtest.Milter): an outbound
opportunistic message to a partner without a key in KeyringDir is encrypted
to the discovered key (the partner's own key decrypts it) and the answer is
cached; a 404 leaves it in clear and the miss is cached (no second
request); hanging directories hold a message no longer than twice
KeyDiscoveryTimeout; a discovered key never serves an inbound recipient,
nor is it mixed with a KeyringDir key in one encryption; reading it never
makes the daemon read KeyringDir again; a KeyAliases alias has its
members looked up, never its own address.

cryptmilter-keys --discovered over the daemon's KeyDiscoveryDir: list shows
a discovered key; a disabled one leaves the next message in clear, also
after gpg re-imports an updated copy of it, and enable brings encryption
back; a removed one leaves the next message in clear and is not fetched
again (its address is recorded as a miss in KeyDiscoveryCache); refused
(78) without KeyDiscovery or its directory."""
import os
import subprocess
import time

from harness.cmtest import (Milter, args, check, check_rfc3156, run_tests, workdir,
                            write_config)
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


def make_key(name, *uids, faked=None):
    gpg(SRC, *(["--faked-system-time", faked] if faked else []), "--quick-gen-key", uids[0],
        "future-default", "default", "never")
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


def test_two_address_uid_refused():
    # "Mallory (<mal@evil.test>) <vic@partner.test>": gpg's import filter
    # reads mal@evil.test (the first <...>), GPGME vic@partner.test (what
    # is in parentheses is a comment): kept for mal@, it would be a key for
    # vic@ to the gpgme engine. Refused, nothing imported.
    rc, out, err, _ = keys("wkd", "mal@evil.test")
    check(rc == 1 and out == "" and "user ID" in err, "%d %r %r" % (rc, out, err))
    check(keyring_uids(FPR["mal"]) is None, "mallory's key is in the keyring")


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


# ------------------------------------------------------ KeyDiscovery wkd, the daemon

MSG = b"From: s@ours.example\nTo: x\nSubject: canary\n\ncanary body\n"
DAEMON = None       # the Milter: KeyDiscovery wkd, OpportunisticEncryption yes
DISC = None         # its KeyDiscoveryDir
DKR = None          # its KeyringDir: ann's key only


def send(rcpts, qid, inbound=False):
    """One message from the daemon's inside (InternalHosts) or outside;
    (reply, message, seconds)."""
    c = DAEMON.client()
    t = time.monotonic()
    try:
        c.connect(client_addr="203.0.113.9" if inbound else "192.0.2.1")
        r = c.transaction("s@ours.example", rcpts, MSG, qid=qid)
    finally:
        c.close()
    return r["reply"], r.get("message", b""), time.monotonic() - t


def in_clear(reply, message, trace=None):
    """Passed unencrypted; inbound, with its trace field (outbound mail
    that passes has none)."""
    check(reply == (b"c", None), "end of message %r" % (reply,))
    check(message.endswith(b"\r\n\r\ncanary body\r\n") and b"multipart/encrypted" not in message,
          "not in clear: %r" % message[-300:])
    check(trace is None or b"X-Cryptmilter: " + trace + b"\r\n" in message,
          "no trace %r: %r" % (trace, message[-300:]))


def test_daemon_1_found_encrypts_to_discovered_key():
    reply, message, _ = send(["pat@partner.test"], "D1")
    check(reply == (b"c", None), "end of message %r" % (reply,))
    check(b"canary body" not in message, "plaintext in the output")
    armor = check_rfc3156(message, MSG, ignore=(b"x-cryptmilter",))
    path = os.path.join(TMP, "d1.asc")
    with open(path, "wb") as f:
        f.write(armor)
    plain = gpg(SRC, "--decrypt", path).stdout     # pat's own secret key
    check(b"canary body" in plain, "pat's key does not decrypt it")
    r = subprocess.run(["gpg", "--homedir", DISC, "--batch", "--with-colons", "--list-keys"],
                       capture_output=True, text=True)
    check(FPR["pat"] in r.stdout, "pat's key is not in KeyDiscoveryDir")
    check(subprocess.run(["gpg", "--homedir", DKR, "--batch", "--list-keys", FPR["pat"]],
                         capture_output=True).returncode != 0, "pat's key is in KeyringDir")
    # The answer is cached: a second message is encrypted, nothing asked.
    reply, message, _ = send(["Pat@Partner.test"], "D1b")
    check(b"canary body" not in message, "second message in clear")
    check(SRV.count(wkd_path("pat@partner.test")) == 1, "requests %r" % SRV.requests)


def test_daemon_2_not_found_passes_and_is_cached():
    for qid in ("D2", "D2b"):
        reply, message, _ = send(["nope@partner.test"], qid)
        in_clear(reply, message)
        DAEMON.wait_log(qid.encode() + b": not every recipient has a key (<nope@partner.test>")
    check(SRV.count(wkd_path("nope@partner.test")) == 1, "requests %r" % SRV.requests)


def test_daemon_3_hanging_directory_bounded():
    # A directory that never answers: the message leaves in clear after
    # KeyDiscoveryTimeout; the next recipient is not asked (it would go in
    # clear anyway).
    reply, message, took = send(["hang0@partner.test", "hang1@partner.test"], "D3")
    in_clear(reply, message)
    check(took <= TIMEOUT + 1.5, "took %.1f s with KeyDiscoveryTimeout %ds" % (took, TIMEOUT))
    check(SRV.count(wkd_path("hang1@partner.test")) == 0, "the second directory was asked")


def test_daemon_3_slow_directories_bounded_together():
    # Each answers within KeyDiscoveryTimeout (2 s) after 1.5 s: three
    # would take 4.5 s; the message's lookups stop at twice the timeout,
    # the third is cut short, and the message leaves in clear. (The first
    # two and their imports leave the third time to start on a busy
    # machine: at 1.8 s it sometimes was not begun.)
    rcpts = ["slow%d@partner.test" % i for i in range(3)]
    reply, message, took = send(rcpts, "D3s")
    in_clear(reply, message)
    check(took <= 2 * TIMEOUT + 1.0, "took %.1f s with KeyDiscoveryTimeout %ds" % (took, TIMEOUT))
    check(SRV.count(wkd_path("slow2@partner.test")) == 1, "the third directory was not asked")


def test_daemon_4_never_inbound():
    # pat's key was discovered (case 1): an inbound message to pat has no key.
    reply, message, _ = send(["pat@partner.test"], "D4", inbound=True)
    in_clear(reply, message, b"skipped no-key")


def test_daemon_5_not_mixed_with_keyring():
    # ann has a key in KeyringDir, pat only a discovered one: one encryption
    # takes its keys from one keyring, so the message goes as without a key.
    reply, message, _ = send(["ann@example.org", "pat@partner.test"], "D5")
    in_clear(reply, message)
    DAEMON.wait_log(b"D5: KeyDiscovery: not asked: a recipient has a key in KeyringDir")


def test_daemon_6_keyring_snapshot_kept():
    # The discovered keyring is read by engines of its own: messages to a
    # discovered key between messages to a KeyringDir key never make the
    # daemon read KeyringDir again (it has not changed since the start).
    for i, rcpt in enumerate(["ann@example.org", "pat@partner.test", "ann@example.org",
                              "pat@partner.test", "ann@example.org"]):
        reply, message, _ = send([rcpt], "D6%d" % i)
        check(reply == (b"c", None) and b"canary body" not in message,
              "%s: not encrypted %r" % (rcpt, reply))
    with open(DAEMON.log.name, "rb") as f:
        log = f.read()
    loads = log.count(b"KeyringDir %s: " % DKR.encode())
    check(loads == 1, "KeyringDir read %d times" % loads)
    check(log.count(b"KeyringDir %s: " % DISC.encode()) >= 1, "KeyDiscoveryDir never read")


def enc_to(message):
    """The key IDs the daemon's PGP/MIME output is encrypted to."""
    armor = check_rfc3156(message, MSG, ignore=(b"x-cryptmilter",))
    r = subprocess.run(["gpg", "--homedir", DKR, "--batch", "--status-fd", "1", "--list-only",
                        "--decrypt"], input=armor, capture_output=True)
    return {x.split()[2].decode() for x in r.stdout.splitlines() if x.startswith(b"[GNUPG:] ENC_TO ")}


def enc_keyid(name):
    """The key ID of name's encryption subkey."""
    out = gpg(SRC, "--with-colons", "--list-keys", FPR[name]).stdout.decode()
    return [x.split(":")[4] for x in out.splitlines() if x.startswith("sub:")][0]


def test_daemon_8_no_key_for_another_domain():
    # evil.test's directory serves, for mal@evil.test, a key whose user ID
    # GPGME reads as vic@partner.test (and newer than vic's own): it never
    # enters the discovered keyring, and vic's mail is encrypted to vic.
    reply, mal_message, _ = send(["mal@evil.test"], "D8")
    reply_v, message, _ = send(["vic@partner.test"], "D8v")
    check(reply_v == (b"c", None) and b"canary body" not in message, "in clear: %r" % (reply_v,))
    got = enc_to(message)
    check(got == {enc_keyid("vic")}, "encrypted to %r, not vic's %s" % (got, enc_keyid("vic")))
    in_clear(reply, mal_message)
    r = subprocess.run(["gpg", "--homedir", DISC, "--batch", "--with-colons", "--list-keys"],
                       capture_output=True, text=True)
    check(FPR["mal"] not in r.stdout, "mallory's key is in KeyDiscoveryDir")


def test_daemon_9_locked_keyring_bounded():
    # gpg waits for ever for a keyring lock a live process holds (a stale
    # lock whose PID was reused, an administrator's gpg): the import of a
    # discovered key is bounded with the lookups, and the message leaves
    # in clear within twice KeyDiscoveryTimeout (and a second, for the
    # watchdog's whole seconds).
    holder = subprocess.Popen(["sleep", "120"])
    lock = os.path.join(DISC, "pubring.kbx.lock")
    try:
        with open(lock, "w") as f:
            f.write("%10d\n%s\n" % (holder.pid, os.uname().nodename))
        reply, message, took = send(["lock@partner.test"], "D9")
        in_clear(reply, message)
        check(took <= 2 * TIMEOUT + 2.5, "took %.1f s with KeyDiscoveryTimeout %ds" % (took, TIMEOUT))
    finally:
        os.unlink(lock)
        holder.kill()
        holder.wait()


def test_daemon_7a_alias_members_looked_up():
    # KeyAliases team@partner.test: m1@ and m2@partner.test, both in the
    # directory: encrypted to both members' keys; the alias's own address
    # is never asked (the encryption would not use its key).
    reply, message, _ = send(["team@partner.test"], "D7")
    check(reply == (b"c", None) and b"canary body" not in message, "in clear: %r" % (reply,))
    got = enc_to(message)
    check(got == {enc_keyid("m1"), enc_keyid("m2")}, "encrypted to %r" % got)
    check(SRV.count(wkd_path("team@partner.test")) == 0, "the alias's own address was asked")
    check(SRV.count(wkd_path("m1@partner.test")) == 1 and SRV.count(wkd_path("m2@partner.test")) == 1,
          "requests %r" % SRV.requests)


def test_daemon_7b_alias_member_missing_clear():
    # half@partner.test: m1 (found, cached) and gone@ (404): as any
    # recipient without a key under OpportunisticEncryption, in clear.
    reply, message, _ = send(["half@partner.test"], "D7h")
    in_clear(reply, message)
    check(SRV.count(wkd_path("gone@partner.test")) == 1, "requests %r" % SRV.requests)
    check(SRV.count(wkd_path("half@partner.test")) == 0, "the alias's own address was asked")


def test_discovered_1_list():
    rc, out, err, _ = keys("--discovered", "list", "pat@partner.test", conf=DCONF)
    check(rc == 0 and out.split()[:3] == ["pat@partner.test", "pgp", FPR["pat"]]
          and out.split()[4] == "usable", "%d %r %r" % (rc, out, err))
    # Without --discovered: KeyringDir, where pat has no key.
    rc, out, err, _ = keys("list", "pat@partner.test", conf=DCONF)
    check(rc == 0 and out == "", "KeyringDir lists %r" % out)


def discovered_state(addr):
    rc, out, err, _ = keys("--discovered", "list", addr, conf=DCONF)
    check(rc == 0, "list: %d %s" % (rc, err))
    return [x.split()[4] for x in out.splitlines()]


def test_discovered_2_disable_enable():
    rc, out, err, _ = keys("--discovered", "disable", FPR["pat"], conf=DCONF)
    check(rc == 0 and out == "pgp %s pat@partner.test disabled\n" % FPR["pat"],
          "%d %r %r" % (rc, out, err))
    check(discovered_state("pat@partner.test") == ["disabled"], "not listed disabled")
    reply, message, _ = send(["pat@partner.test"], "X2d")
    in_clear(reply, message)
    # The daemon re-imports a discovered key when its answer is a day old:
    # the disabled flag holds across an import that updates the key (a new
    # expiry), done by the same keep-uid import (wkd into that keyring).
    gpg(SRC, "--quick-set-expire", FPR["pat"], "2y")
    SRV.routes[wkd_path("pat@partner.test")] = export("pat")
    reimport = write_config(os.path.join(TMP, "reimport.conf"), KeyringDir=DISC,
                            KeyDiscoveryCAFile=SRV.ca, KeyDiscoveryTimeout="%ds" % TIMEOUT,
                            KeyDiscoveryConnectTo=CONNECT)
    rc, out, err, _ = keys("wkd", "pat@partner.test", conf=reimport)
    check(rc == 0 and out == "pat@partner.test %s updated\n" % FPR["pat"], "%d %r %r" % (rc, out, err))
    check(discovered_state("pat@partner.test") == ["disabled"], "enabled by the re-import")
    reply, message, _ = send(["pat@partner.test"], "X2r")
    in_clear(reply, message)
    rc, out, err, _ = keys("--discovered", "enable", FPR["pat"], conf=DCONF)
    check(rc == 0 and out.split()[-1] == "enabled", "%d %r %r" % (rc, out, err))
    reply, message, _ = send(["pat@partner.test"], "X2e")
    check(reply == (b"c", None) and b"canary body" not in message, "enabled, in clear: %r" % (reply,))


def test_discovered_3_remove_not_fetched_back():
    asked = SRV.count(wkd_path("pat@partner.test"))
    rc, out, err, _ = keys("--discovered", "remove", "pat@partner.test", conf=DCONF)
    check(rc == 0 and out == "pgp %s pat@partner.test removed\n" % FPR["pat"],
          "%d %r %r" % (rc, out, err))
    check(discovered_state("pat@partner.test") == [], "still listed")
    # Recorded as a miss: the next messages leave in clear and the
    # directory (which still serves the key) is not asked for an hour.
    for qid in ("X3", "X3b"):
        reply, message, _ = send(["pat@partner.test"], qid)
        in_clear(reply, message)
    check(SRV.count(wkd_path("pat@partner.test")) == asked, "fetched back: %r" % SRV.requests)
    r = subprocess.run(["gpg", "--homedir", DISC, "--batch", "--list-keys", FPR["pat"]],
                       capture_output=True)
    check(r.returncode != 0, "pat's key is back in KeyDiscoveryDir")
    rc, out, err, _ = keys("--discovered", "remove", "pat@partner.test", conf=DCONF)
    check(rc == 65, "nothing to remove: %d %r" % (rc, err))


def test_discovered_3_remove_asked_after_miss_ttl():
    # The miss a remove records is believed an hour (CM_WKD_CACHE_MISS_TTL):
    # removed "an hour ago" (the tool's clock set back, gpg's not), the next
    # message to m1 (discovered in case 7a) asks the directory again and is
    # encrypted to the key fetched back.
    asked = SRV.count(wkd_path("m1@partner.test"))
    # (A CM_SANITIZE build: ASan would refuse libfaketime preloaded first.)
    asan = "verify_asan_link_order=0:" + os.environ.get("ASAN_OPTIONS", "")
    env = dict(os.environ, FAKETIME_SKIP_CMDS="gpg,gpg-agent,gpgconf,keyboxd,dirmngr",
               ASAN_OPTIONS=asan)
    r = subprocess.run(["faketime", "-f", "-3601", os.path.join(BIN, "cryptmilter-keys"), "-c", DCONF,
                        "--discovered", "remove", FPR["m1"]], capture_output=True, text=True,
                       env=env, timeout=60)
    check(r.returncode == 0 and r.stdout == "pgp %s m1@partner.test removed\n" % FPR["m1"],
          "%d %r %r" % (r.returncode, r.stdout, r.stderr))
    reply, message, _ = send(["m1@partner.test"], "X3t")
    check(reply == (b"c", None) and b"canary body" not in message, "in clear: %r" % (reply,))
    check(enc_to(message) == {enc_keyid("m1")}, "encrypted to %r" % enc_to(message))
    check(SRV.count(wkd_path("m1@partner.test")) == asked + 1, "requests %r" % SRV.requests)


def test_discovered_4_refused():
    for name, extra in (("none", {}), ("nodir", {"KeyDiscovery": "wkd",
                                                 "KeyDiscoveryDir": os.path.join(TMP, "absent")})):
        conf = write_config(os.path.join(TMP, "disc-%s.conf" % name), KeyringDir=DKR, **extra)
        rc, out, err, _ = keys("--discovered", "list", conf=conf)
        check(rc == 78 and out == "" and len(err.splitlines()) == 1, "%s: %d %r" % (name, rc, err))
    for cmd in (["wkd", "pat@partner.test"], ["expiring"], ["import", "-"], ["check"]):
        rc, out, err, _ = keys("--discovered", *cmd, conf=DCONF)
        check(rc == 64, "%s: %d" % (cmd, rc))


CONNECT = None
DCONF = None        # cryptmilter-keys' view of the daemon's configuration
ALIASES = """team@partner.test   m1@partner.test, m2@partner.test
half@partner.test   m1@partner.test, gone@partner.test
"""


def start_daemon():
    global DAEMON, DISC, DKR, DCONF
    DISC = os.path.join(TMP, "discovered")
    DKR = os.path.join(TMP, "dkeyring")
    os.makedirs(DKR, mode=0o700)
    gpg(DKR, "--import", input=export("ann"))  # a KeyringDir key for the mixing case
    aliases = os.path.join(TMP, "disc.aliases")
    with open(aliases, "w") as f:
        f.write(ALIASES)
    DAEMON = Milter(BIN, TMP, "disc", KeyringDir=DKR, InternalHosts="192.0.2.0/24",
                    OpportunisticEncryption="yes", MissingKeyAction="pass", KeyDiscovery="wkd",
                    KeyDiscoveryDir=DISC, KeyDiscoveryCache=os.path.join(TMP, "disc-cache"),
                    KeyDiscoveryCAFile=SRV.ca, KeyDiscoveryTimeout="%ds" % TIMEOUT,
                    KeyDiscoveryConnectTo=CONNECT, KeyAliases="file:" + aliases)
    DCONF = write_config(os.path.join(TMP, "disc-keys.conf"), KeyringDir=DKR, KeyDiscovery="wkd",
                         KeyDiscoveryDir=DISC, KeyDiscoveryCache=os.path.join(TMP, "disc-cache"))


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
    make_key("pat", "Pat <pat@partner.test>")
    # vic's own key, older than mallory's: the gpgme engine takes the newest
    make_key("vic", "Vic <vic@partner.test>", faked="20250101T000000!")
    make_key("mal", "Mallory (<mal@evil.test>) <vic@partner.test>")
    make_key("lock", "Lock <lock@partner.test>")
    make_key("m1", "M1 <m1@partner.test>")
    make_key("m2", "M2 <m2@partner.test>")
    make_key("slow", "S0 <slow0@partner.test>", "S1 <slow1@partner.test>",
             "S2 <slow2@partner.test>")
    SRV = WKDServer(TMP, ["openpgpkey.example.org", "direct.test", "openpgpkey.partner.test",
                          "openpgpkey.evil.test"])
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
        wkd_path("pat@partner.test"): export("pat"),
        wkd_path("vic@partner.test"): export("vic"),
        wkd_path("mal@evil.test"): export("mal"),
        wkd_path("lock@partner.test"): export("lock"),
        wkd_path("m1@partner.test"): export("m1"),
        wkd_path("m2@partner.test"): export("m2"),
        # the alias's own address serves a key too: never asked, never used
        wkd_path("team@partner.test"): export("pat"),
    }
    for i in range(3):
        SRV.routes[wkd_path("hang%d@partner.test" % i)] = "hang"
        SRV.routes[wkd_path("slow%d@partner.test" % i)] = ("slow", 1.5, export("slow"))
    CONNECT = ", ".join(["openpgpkey.example.org:443:127.0.0.1:%d" % SRV.port,
                         "direct.test:443:127.0.0.1:%d" % SRV.port,
                         "openpgpkey.direct.test:443:127.0.0.1:%d" % closed_port(),
                         "elsewhere.test:443:127.0.0.1:%d" % SRV.port,
                         "openpgpkey.partner.test:443:127.0.0.1:%d" % SRV.port,
                         "openpgpkey.evil.test:443:127.0.0.1:%d" % SRV.port])
    CONF = write_config(os.path.join(TMP, "wkd.conf"), KeyringDir=KR, KeyDiscoveryCAFile=SRV.ca,
                        KeyDiscoveryTimeout="%ds" % TIMEOUT, KeyDiscoveryConnectTo=CONNECT)
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    try:
        start_daemon()
        run_tests(tests)
    finally:
        if DAEMON is not None:
            DAEMON.stop()
        SRV.close()
        for h in (SRC, KR, DISC, DKR):
            subprocess.run(["gpgconf", "--homedir", h, "--kill", "all"], capture_output=True)


if __name__ == "__main__":
    main()
