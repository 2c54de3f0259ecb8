"""Launching the cryptmilter daemon for a test (optionally under
valgrind) and stopping it with checks on its exit and log."""
import os
import socket
import subprocess
import time

from .cmrun import RUNNING, Failure, check, write_config
from .milterclient import MilterClient

class Milter:
    """A cryptmilter daemon in the foreground on a unix socket."""

    def __init__(self, bindir, tmp, name="m", sock=None, **conf):
        self.bindir = bindir
        self.sock = sock or os.path.join(tmp, name + ".sock")
        self.conf = write_config(os.path.join(tmp, name + ".conf"),
                                 Socket="local:" + self.sock, **conf)
        self.log = open(os.path.join(tmp, name + ".log"), "wb")
        self.vglog = None
        cmd = [os.path.join(bindir, "cryptmilter"), "-f", "-c", self.conf]
        if os.environ.get("CM_TEST_VALGRIND"):
            # The daemon itself under valgrind; stop() fails on any report.
            # Not --error-exitcode: GPGME's forked helpers would run the leak
            # check too (other threads' blocks look lost there) and exit with
            # it, and GPGME takes that for a failed spawn.
            self.vglog = os.path.join(tmp, name + ".vg.log")
            cmd = ["valgrind", "--quiet", "--leak-check=full", "--child-silent-after-fork=yes",
                   "--num-callers=40",
                   "--show-leak-kinds=definite,indirect", "--log-file=" + self.vglog] + cmd
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING.append(self.p)
        # Ready when it accepts a connection: a killed predecessor may have
        # left its socket file behind.
        for _ in range(400):
            if self.p.poll() is not None:
                raise Failure("cryptmilter exited with %d" % self.p.returncode)
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                s.close()
                time.sleep(0.05)
        raise Failure("cryptmilter did not open its socket")

    def client(self, **kw):
        return MilterClient(self.sock, **kw)

    def send(self, sender, rcpts, message, qid="QID1", **connect):
        """One transaction on a connection of its own; its result."""
        c = self.client()
        c.connect(**connect)
        try:
            return c.transaction(sender, rcpts, message, qid=qid)
        finally:
            c.close()

    def wait_log(self, text, timeout=10):
        """Wait until the daemon's log holds text (bytes)."""
        end = time.time() + timeout
        while time.time() < end:
            with open(self.log.name, "rb") as f:
                if text in f.read():
                    return
            time.sleep(0.05)
        raise Failure("no %r in the log" % text)

    def stop(self):
        """Stop it with SIGTERM; it must exit 0 with no sanitizer report."""
        self.p.terminate()
        # The daemon gives open sessions up to 10 s to end before it frees
        # its gateway (cm_milter_wait_idle): wait for that, and a margin.
        try:
            self.p.wait(60 if self.vglog else 25)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Failure("cryptmilter did not stop on SIGTERM")
        self.log.close()
        with open(self.log.name, "rb") as f:
            log = f.read()
        check(b"Sanitizer" not in log and b"runtime error" not in log,
              "sanitizer report in %s" % self.log.name)
        if self.vglog:
            with open(self.vglog, errors="replace") as f:
                vg = f.read()
            check(not vg.strip(), "valgrind: %s" % vg[-3000:])
        check(self.p.returncode == 0, "cryptmilter %s exited with %d; log ends: %s"
              % (self.conf, self.p.returncode, log[-600:].decode(errors="replace")))
