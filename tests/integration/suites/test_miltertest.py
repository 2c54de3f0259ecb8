#!/usr/bin/env python3
"""Protocol-level cases with miltertest (the OpenDKIM project's milter test
driver, an MTA stand-in independent of our own client)."""
import os
import subprocess

from harness.cmtest import Milter, args, check, gpg_encrypt, run_tests, workdir

HERE = os.path.dirname(os.path.abspath(__file__))


def lua(script, milter, **env):
    e = dict(os.environ, CM_SOCKET=milter.sock, **env)
    r = subprocess.run(["miltertest", "-s", os.path.join(HERE, "lua", script)], env=e,
                       capture_output=True, timeout=120)
    check(r.returncode == 0, "%s: %s" % (script, (r.stdout + r.stderr).decode()[-500:]))


def main():
    bindir, tmp = args().bindir, workdir()
    split = Milter(bindir, tmp, "mt-split", MissingKeyAction="split")
    temp = Milter(bindir, tmp, "mt-temp", MissingKeyAction="tempfail")
    ct = os.path.join(tmp, "inline.asc")
    with open(ct, "wb") as f:
        f.write(gpg_encrypt(b"secret\n", "alice@example.org"))
    run_tests([
        ("miltertest/encrypt", lambda: lua("encrypt.lua", split)),
        ("miltertest/skip-encrypted", lambda: lua("skip.lua", split, CM_CIPHERTEXT=ct)),
        ("miltertest/tempfail-missing-key", lambda: lua("tempfail.lua", temp)),
        ("miltertest/stop-cleanly", lambda: (split.stop(), temp.stop())),
    ])


if __name__ == "__main__":
    main()
