"""cryptmilter-filter run on one message and its answer judged: shared by
the OpenPGP (test_outbound) and S/MIME (test_smime_outbound) suites."""
import subprocess

from .cmrun import check


def run_filter(binary, config, message, sender, to, direction="outbound"):
    cmd = [binary, "-c", config, "--direction", direction, "--from", sender]
    for t in to:
        cmd += ["--to", t]
    return subprocess.run(cmd, input=message, capture_output=True)


def passes(r, what):
    """Accepted: its output."""
    check(r.returncode == 0, "%s: exit %d: %s" % (what, r.returncode, r.stderr.decode()))
    return r.stdout


def refused(r, mark, code, xcode, exit_code, text=None):
    """Refused with code and xcode (and text, if given), nothing written,
    and the canary mark not in the reply."""
    err = r.stderr.decode()
    check(r.returncode == exit_code, "exit %d, want %d: %s" % (r.returncode, exit_code, err))
    check(r.stdout == b"", "output written on refusal")
    check(("%s %s" % (code, xcode)) in err, "reply %r, want %s %s" % (err, code, xcode))
    check(mark not in err, "plaintext in the reply")
    if text:
        check(text in err, "reply %r lacks %r" % (err, text))
