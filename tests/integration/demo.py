#!/usr/bin/env python3
"""The cryptmilter demo: a sandboxed Postfix on loopback with the milter and
demo keys. One inbound message is sent with swaks; the message as the "cloud
mailbox" stored it is shown, then its decryption with the recipient's key.
--keep leaves it all running until Ctrl-C, so you can send your own mail."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", default=os.path.join(TOP, "build", "milter"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cryptmilter-demo-")
    os.chmod(work, 0o755)
    keys = os.path.join(work, "keys")
    print("== demo keys (alice@example.org, bob@example.org, ...) in %s" % keys)
    subprocess.run([os.path.join(TOP, "tests", "fixtures", "make-keyring.sh"), keys], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.environ["CM_TEST_KEYRING"] = keys
    os.environ["CM_TEST_TMP"] = work
    from harness import mta
    from harness.cmtest import Milter
    from harness.sink import Sink

    mta.ensure_user("cryptmilter", "postfix")
    keyring = os.path.join(work, "milter-keyring")
    mta.private_keyring(os.path.join(keys, "gnupg"), keyring, "cryptmilter")
    spool = os.path.join(work, "spool")
    os.makedirs(spool)
    shutil.chown(spool, "cryptmilter")
    sink = Sink(os.path.join(work, "mailbox"))
    pf = mta.PostfixInstance(work, sink.port)
    milter = Milter(a.bindir, work, "cryptmilter", sock=pf.milter_socket,
                    UserID="cryptmilter:postfix", KeyringDir=keyring, SpoolDir=spool,
                    InternalHosts="127.0.0.2/32", MissingKeyAction="split",
                    OpenPGPBackend="rnp")   # the default, as in packaging/cryptmilter.conf
    pf.start()
    try:
        print("== Postfix on 127.0.0.1:%d -> cryptmilter -> mailbox %s"
              % (pf.port, os.path.join(work, "mailbox")))
        print("== sending: swaks --server 127.0.0.1:%d --to alice@example.org ..." % pf.port)
        with sink.arrivals(timeout=10) as got:
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % pf.port,
                                "--from", "sender@ext.example", "--to", "alice@example.org",
                                "--header", "Subject: quarterly numbers",
                                "--body", "Hello Alice,\n\nthe numbers are 42, 17 and 3.\n"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stdout[-2000:])
                sys.exit("sending failed")
        env, stored = got[0]
        print("\n== what the mailbox stores (envelope to %s):\n" % ", ".join(env["rcpts"]))
        print(stored.decode().replace("\r\n", "\n"))
        armor = stored[stored.index(b"-----BEGIN PGP MESSAGE-----"):]
        armor = armor[:armor.index(b"-----END PGP MESSAGE-----") + 25]
        d = subprocess.run(["gpg", "--batch", "--quiet", "--decrypt"], input=armor,
                           env=dict(os.environ, GNUPGHOME=os.path.join(keys, "gnupg")),
                           capture_output=True)
        print("== decrypted with Alice's key (gpg --decrypt):\n")
        print(d.stdout.decode().replace("\r\n", "\n"))
        print("== cryptmilter's log line:")
        with open(milter.log.name) as f:
            print("".join(l for l in f if ": inbound (" in l))
        if a.keep:
            print("== running; try: swaks --server 127.0.0.1:%d --to bob@example.org" % pf.port)
            print("== mailbox: %s   (Ctrl-C stops)" % os.path.join(work, "mailbox"))
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        pf.stop()
        milter.stop()
        sink.stop()
        # The demo's secret keys go with it.
        subprocess.run(["gpgconf", "--kill", "all"], capture_output=True,
                       env=dict(os.environ, GNUPGHOME=os.path.join(keys, "gnupg")))
        shutil.rmtree(work, ignore_errors=True)


main()
