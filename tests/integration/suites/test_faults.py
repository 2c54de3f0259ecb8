#!/usr/bin/env python3
"""The fault-injection matrix through the daemon (and, for a full spool,
the filter): the engine exits early, is killed mid-stream, hangs, writes
garbage or half; the keyring is truncated, rewritten in place while mail
flows, or unreadable; the spool fills at each write. Each ends in a 4xx
or a correct encryption: never plaintext for a keyed recipient, never a
stuck session, and the daemon's fds and threads return to where they were."""
import os
import shutil
import subprocess
import threading
import time

from harness import faults
from harness.cmrun import gpgme_only
from harness.cmtest import (GNUPGHOME, Milter, args, check, check_rfc3156, run_tests,
                            workdir, write_config)

# Set by main(): nothing runs at import.
BINDIR = None
TMP = None

CANARY = b"canary-plaintext"
MSG = (b"From: s@ext.example\nTo: alice@example.org\nSubject: fault\n\n"
       + (CANARY + b" line of the body that must never leave in the clear\n") * 20000)


def counts(m):
    pid = m.p.pid
    return len(os.listdir("/proc/%d/fd" % pid)), len(os.listdir("/proc/%d/task" % pid))


def stable_counts(m, timeout=10):
    """The daemon's fd and thread counts once they hold still for 0.5 s
    (a session thread that just ended may still be on its way out)."""
    end = time.time() + timeout
    last, same = counts(m), 0
    while same < 5 and time.time() < end:
        time.sleep(0.1)
        now = counts(m)
        same = same + 1 if now == last else 0
        last = now
    return last


def settle(m, want, timeout=10):
    """Wait until the daemon's fd and thread counts are back to want."""
    end = time.time() + timeout
    got = counts(m)
    while got != want and time.time() < end:
        time.sleep(0.1)
        got = counts(m)
    check(got == want, "fds/threads %r, were %r before" % (got, want))


def send(m, qid, rcpt="alice@example.org", message=MSG):
    return m.send("s@ext.example", [rcpt], message, qid=qid)


def never_plaintext(res, what):
    """4xx, or an encryption: no byte of the canary delivered."""
    code, text = res["reply"]
    if code == b"none":         # every RCPT refused: the answer is the RCPT's
        code, text = res["rcpt"][0]
    if code in (b"c", b"a"):
        check(CANARY not in res["message"], "%s: plaintext delivered" % what)
        check(b"X-Cryptmilter: encrypted pgp-mime" in res["message"], "%s: not encrypted" % what)
        return "encrypted"
    check(code == b"y" and text is not None and text.startswith("4"),
          "%s: reply %r, want a 4xx" % (what, res["reply"]))
    return text


def nothing_of_the_engine(res, mode):
    """Not one byte went on to the MTA, not even the MIME preamble (it waits
    with the first ciphertext): the output was no encrypted message from
    its first packet."""
    check(res["replaced"] == b"", "%s: %d bytes went on to the MTA: %r"
          % (mode, len(res["replaced"]), res["replaced"][:200]))


def ciphertext_went_first(res, mode):
    """The refusal came after pieces of ciphertext had gone on to the MTA
    (which drops them on the 4xx): the streamed case is the one tested."""
    check(b"-----BEGIN PGP MESSAGE-----" in res["replaced"],
          "%s: no ciphertext went on before the refusal" % mode)


def engine_case(mode, want, also=None):
    def t():
        m = Milter(BINDIR, TMP, "engine-" + mode, MissingKeyAction="pass",
                   GpgProgram=faults.wrapper(TMP, mode), EngineTimeout="2s")
        try:
            # One connection first, so that the index exists and libmilter's
            # worker threads are up before the baseline is taken.
            send(m, "WARM", rcpt="nobody@example.org", message=b"Subject: w\n\nw\n")
            base = stable_counts(m)
            for i in range(3):
                start = time.monotonic()
                res = send(m, "F%d" % i)
                text = never_plaintext(res, mode)
                check(text.startswith(want), "%s: reply %r, want %s" % (mode, text, want))
                if also is not None:
                    also(res, mode)
                check(time.monotonic() - start < 15, "%s: session held too long" % mode)
            settle(m, base)
        finally:
            m.stop()
        if mode == "hang":
            # SIGKILL is sent at the deadline; dying takes a moment on a
            # loaded machine (seen with the whole suite at -j8).
            end = time.monotonic() + 5
            while (alive := faults.pids_alive(os.path.join(TMP, "gpg-hang.pids"))) \
                    and time.monotonic() < end:
                time.sleep(0.1)
            check(alive == [], "hung engine processes outlive their deadline: %r" % alive)
    return ("engine/" + mode, gpgme_only(t))


@gpgme_only
def test_progress_while_the_engine_works():
    # A hanging gpg for 3 s: the MTA hears "progress" every second, so its
    # own milter timeout cannot fire before EngineTimeout does.
    m = Milter(BINDIR, TMP, "progress", GpgProgram=faults.wrapper(TMP, "hang"),
               EngineTimeout="3s")
    try:
        res = send(m, "P1")
    finally:
        m.stop()
    check(res["reply"][0] == b"y" and res["reply"][1].startswith("451 4.3.0"), res["reply"])
    check(res.get("progress", 0) >= 2, "progress replies: %d" % res.get("progress", 0))


@gpgme_only
def test_no_progress_once_the_body_streams():
    # gpg stops for 2.5 s after its first 100000 bytes: ciphertext has gone
    # to the MTA as body replacement by then, and Postfix takes no other
    # request after that (it fails the session), so no "progress" may
    # follow; the message still arrives encrypted.
    m = Milter(BINDIR, TMP, "pause", GpgProgram=faults.wrapper(TMP, "pause"))
    try:
        res = send(m, "B1")
    finally:
        m.stop()
    check(never_plaintext(res, "pause") == "encrypted", "not encrypted: %r" % (res["reply"],))
    order = res["order"]
    check(b"b" in order, "no body replacement: %r" % order)
    check(b"p" not in order[order.index(b"b"):], "progress after body replacement: %r" % order)


@gpgme_only
def test_engine_children_start_with_empty_signal_mask():
    # The daemon's threads block SIGTERM/SIGHUP/SIGINT for libmilter; its
    # gpg must not inherit that, or a hung gpg ignores kill.
    path = faults.wrapper(TMP, "sigmask")
    m = Milter(BINDIR, TMP, "sigmask", GpgProgram=path)
    try:
        check(never_plaintext(send(m, "S1"), "sigmask") == "encrypted", "not encrypted")
    finally:
        m.stop()
    masks = open(path + ".sigmask").read().split()[1::2]
    check(masks and all(x == "0000000000000000" for x in masks), "gpg started with mask %r" % masks)


def private_keyring(name):
    """A GnuPG home of its own holding a copy of the fixture's public
    keyring. Only that file is copied: other tests' gpg runs create and
    remove lock files in the shared home at any moment."""
    home = os.path.join(TMP, name)
    os.makedirs(home, mode=0o700)
    shutil.copy2(os.path.join(GNUPGHOME, "pubring.kbx"), home)
    return home


def test_keyring_truncated():
    home = private_keyring("kr-truncated")
    m = Milter(BINDIR, TMP, "kr-truncated", KeyringDir=home, MissingKeyAction="pass")
    try:
        check(never_plaintext(send(m, "T1"), "intact") == "encrypted", "intact keyring")
        kbx = os.path.join(home, "pubring.kbx")
        os.truncate(kbx, os.path.getsize(kbx) // 2)
        for rcpt in ("alice@example.org", "grace@example.org", "nobody@example.org"):
            text = never_plaintext(send(m, "T2", rcpt=rcpt), "truncated")
            check(text.startswith("451 4.3.0"), "truncated keyring, %s: %r" % (rcpt, text))
    finally:
        m.stop()


def test_keyring_unreadable():
    home = private_keyring("kr-unreadable")
    m = Milter(BINDIR, TMP, "kr-unreadable", KeyringDir=home, MissingKeyAction="pass")
    try:
        kbx = os.path.join(home, "pubring.kbx")
        os.unlink(kbx)
        os.mkdir(kbx)           # opens, but cannot be read (root reads any mode)
        text = never_plaintext(send(m, "U1"), "unreadable")
        check(text.startswith("451 4.3.0"), "unreadable keyring: %r" % text)
    finally:
        m.stop()


def test_keyring_rewritten_in_place_while_mail_flows():
    # What an in-place cp of a new keyring does: truncate, then write in
    # pieces. Mail to keyed recipients must be encrypted or deferred.
    home = private_keyring("kr-inplace")
    kbx = os.path.join(home, "pubring.kbx")
    with open(kbx, "rb") as f:
        image = f.read()
    m = Milter(BINDIR, TMP, "kr-inplace", KeyringDir=home, MissingKeyAction="pass")
    stop = threading.Event()

    def rewrite():
        while not stop.is_set():
            with open(kbx, "r+b") as f:
                f.truncate(0)
                for i in range(0, len(image), 1024):
                    f.write(image[i:i + 1024])
                    f.flush()
                    time.sleep(0.002)
            stop.wait(1.5)      # quiet spells, so that mail also gets through

    w = threading.Thread(target=rewrite)
    w.start()
    outcomes = {}
    try:
        small = b"From: s@ext.example\nSubject: race\n\n" + CANARY + b"\n"
        for i in range(24):
            rcpt = ("alice@example.org", "grace@example.org")[i % 2]
            o = never_plaintext(send(m, "R%d" % i, rcpt=rcpt, message=small), "in-place")
            outcomes[o[:9]] = outcomes.get(o[:9], 0) + 1
    finally:
        stop.set()
        w.join()
        m.stop()
    print("       in-place rewrite outcomes: %r" % outcomes, flush=True)
    check(outcomes.get("encrypted", 0) > 0, "nothing got through in the quiet spells")


def test_spool_full_at_each_write():
    # A tmpfs of each size from 4 KiB up, in a mount namespace of its own:
    # the body spill and the ciphertext hit "no space" at every point.
    if shutil.which("unshare") is None:
        raise Exception("unshare (util-linux) is needed")
    spool = os.path.join(TMP, "spool-full")
    os.makedirs(spool)
    conf = write_config(os.path.join(TMP, "spool.conf"), SpoolDir=spool, MemoryBufferSize="4K")
    msg = (b"From: s@ext.example\nSubject: spool\n\n"
           + (CANARY + b" spool line\n") * 6000)
    filt = os.path.join(BINDIR, "cryptmilter-filter")
    seen = {}
    # Up to twice the spilled body plus its (uncompressed) ciphertext.
    for kib in range(4, 800, 16):
        r = subprocess.run(
            ["unshare", "-m", "sh", "-c",
             'mount -t tmpfs -o size=%dk tmpfs "$0" && exec "$@"' % kib, spool, filt,
             "-c", conf, "--direction", "inbound", "--from", "s@ext.example",
             "--to", "alice@example.org", "--to", "bob@example.org"],
            input=msg, capture_output=True)
        check(CANARY not in r.stdout, "%d KiB spool: plaintext written" % kib)
        if r.returncode == 0:
            check_rfc3156(r.stdout, msg)
            seen["encrypted"] = seen.get("encrypted", 0) + 1
        else:
            err = r.stderr.decode()
            check(r.returncode == 75 and " 452 4.3.1 " in err and r.stdout == b"",
                  "%d KiB spool: exit %d %r" % (kib, r.returncode, err))
            seen["452"] = seen.get("452", 0) + 1
    check(seen.get("452") and seen.get("encrypted"), "sweep did not cross the limit: %r" % seen)


def main():
    global BINDIR, TMP
    BINDIR = args().bindir
    TMP = workdir()
    tests = [engine_case("exit0", "451 4.7.5"), engine_case("exit2", "451 4.7.5"),
             engine_case("half", "451 4.7.5"),
             engine_case("garbage", "451 4.7.5", nothing_of_the_engine),
             engine_case("store", "451 4.7.5", nothing_of_the_engine),
             engine_case("cut", "451 4.7.5", ciphertext_went_first),
             engine_case("killed", "451 4."), engine_case("hang", "451 4.3.0")]
    tests += [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    run_tests(tests)


if __name__ == "__main__":
    main()
