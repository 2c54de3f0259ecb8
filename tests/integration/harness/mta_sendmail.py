"""A private Sendmail on loopback, for the tests.

Debian's sendmail-bin conflicts with postfix, so the tests run the binary
that tests/fetch-sendmail.sh unpacked (CM_SENDMAIL_ROOT), with a sendmail.cf
built here from an .mc that includes packaging/sendmail.mc verbatim (only
the milter's socket path is changed), so the documented lines are the tested
ones. The tests shorten the milter timeouts (T=) as test_postfix.py
shortens Postfix's, so that a hanging milter costs seconds, not minutes.

Sendmail on Linux resolves names through /etc/nsswitch.conf and the system
resolver, whatever its own ServiceSwitchFile says, and logs only to syslog.
So it runs in its own mount namespace (unshare -m) in which /etc/hosts,
/etc/nsswitch.conf and /etc/resolv.conf are this instance's files (names
come from the hosts file only, no DNS query leaves the machine) and /dev/log
is a socket the harness reads into DIR/maillog. Nothing outside the
namespace is touched.
"""
import os
import re
import socket
import subprocess
import threading
import time

from .mta import PACKAGING, _alive, free_port, read_log, reap, wait_port

MILTER_SOCKET = "/run/cryptmilter/cryptmilter.sock"
TEST_TIMEOUTS = "T=C:10s;S:10s;R:10s;E:8s"

MC = """\
divert(-1)
include(`{cf}/m4/cf.m4')
divert(0)dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `gw.example.org')dnl
define(`confHELO_NAME', `{helo}')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`confDEF_USER_ID', `daemon:daemon')dnl
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
define(`QUEUE_DIR', `{d}/queue')dnl
define(`confPID_FILE', `{d}/sendmail.pid')dnl
define(`STATUS_FILE', `{d}/statistics')dnl
define(`ALIAS_FILE', `{d}/etc/aliases')dnl
define(`confCW_FILE', `-o {d}/etc/local-host-names')dnl
define(`confLOG_LEVEL', `9')dnl
define(`confMIN_QUEUE_AGE', `0')dnl
define(`confTO_QUEUEWARN', `1h')dnl
define(`confDELIVERY_MODE', `background')dnl
define(`confQUEUE_LA', `100')dnl
define(`confREFUSE_LA', `200')dnl
define(`confDELAY_LA', `0')dnl
define(`SMART_HOST', `[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {relay}')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {relay}')dnl
define(`SMTP_MAILER_ARGS', `TCP $h {relay}')dnl
FEATURE(`no_default_msa')dnl
FEATURE(`nocanonify')dnl
RELAY_DOMAIN(`example.org')dnl
FEATURE(`accept_unresolvable_domains')dnl
FEATURE(`accept_unqualified_senders')dnl
DAEMON_OPTIONS(`Port={port}, Addr=127.0.0.1, Name=MTA')dnl
DAEMON_OPTIONS(`Port={subport}, Addr=127.0.0.1, Name=submission')dnl
{packaging}
MAILER(`smtp')dnl
"""

NAMESPACE = """\
set -e
d={d}
mount --bind /dev $d/hostdev
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero full random urandom; do
    touch /dev/$n
    mount --bind $d/hostdev/$n /dev/$n
done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind $d/log.sock /dev/log
mount --bind $d/etc/hosts /etc/hosts
mount --bind $d/etc/nsswitch.conf /etc/nsswitch.conf
if [ -e /etc/resolv.conf ]; then mount --bind $d/etc/resolv.conf /etc/resolv.conf; fi
exec "$@"
"""


def sendmail_root():
    root = os.environ.get("CM_SENDMAIL_ROOT", "")
    binary = os.path.join(root, "usr", "libexec", "sendmail", "sendmail")
    if not root or not os.access(binary, os.X_OK):
        raise RuntimeError("no Sendmail in CM_SENDMAIL_ROOT=%r: run tests/fetch-sendmail.sh DIR"
                           % root)
    return root


def packaging_mc(sock):
    """packaging/sendmail.mc with the milter's socket at sock."""
    with open(os.path.join(PACKAGING, "sendmail.mc")) as f:
        text = f.read()
    if MILTER_SOCKET not in text:
        raise RuntimeError("packaging/sendmail.mc does not name %s" % MILTER_SOCKET)
    text = re.sub(r"T=[A-Z]:[^,']*", TEST_TIMEOUTS, text)
    return text.replace(MILTER_SOCKET, sock).rstrip("\n")


class _Syslog:
    """What Sendmail logs through /dev/log, appended to a file."""

    def __init__(self, sock_path, log_path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(sock_path)
        os.chmod(sock_path, 0o666)
        self.out = open(log_path, "ab", buffering=0)
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                data = self.s.recv(65536)
            except OSError:
                return
            self.out.write(data.rstrip(b"\0\n") + b"\n")


class SendmailInstance:
    """A private Sendmail relaying everything to 127.0.0.1:relay_port."""

    def __init__(self, base, relay_port, milter=True, name="sendmail"):
        self.root = sendmail_root()
        self.binary = os.path.join(self.root, "usr", "libexec", "sendmail", "sendmail")
        self.dir = os.path.join(base, name)
        self.etc = os.path.join(self.dir, "etc")
        self.port = free_port()
        self.subport = free_port()
        self.helo_name = "gw-%d.example.org" % self.port
        self.maillog = os.path.join(self.dir, "maillog")
        self.proc = None
        for sub in ("etc", "queue", "hostdev"):
            os.makedirs(os.path.join(self.dir, sub))
        os.chmod(os.path.join(self.dir, "queue"), 0o700)
        # The milter's socket directory: the milter's user creates the socket
        # in it; Sendmail refuses a socket in a world-writable directory.
        self.milter_dir = os.path.join(self.dir, "cryptmilter")
        os.makedirs(self.milter_dir, mode=0o755)
        self.milter_socket = os.path.join(self.milter_dir, "cryptmilter.sock")
        files = {
            # The gateway's own name must not resolve to the sink's address,
            # or Sendmail takes the smart host [127.0.0.1] for itself.
            # The internal host 127.0.0.2 relays by its name, which is in
            # RELAY_DOMAIN.
            "hosts": ("127.0.0.10 gw.example.org %s\n127.0.0.1 localhost\n"
                      "127.0.0.2 internal.example.org\n" % socket.gethostname()),
            "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\naliases: files\n",
            "resolv.conf": "",
            "aliases": "postmaster: root\nMAILER-DAEMON: postmaster\n",
            "local-host-names": "",
        }
        for n, text in files.items():
            with open(os.path.join(self.etc, n), "w") as f:
                f.write(text)
        mc = MC.format(cf=os.path.join(self.root, "usr", "share", "sendmail", "cf"),
                       d=self.dir, helo=self.helo_name, relay=relay_port, port=self.port,
                       subport=self.subport,
                       packaging=packaging_mc(self.milter_socket) if milter else "dnl")
        mc_path = os.path.join(self.etc, "sendmail.mc")
        with open(mc_path, "w") as f:
            f.write(mc)
        with open(os.path.join(self.etc, "sendmail.cf"), "w") as f:
            r = subprocess.run(["m4", mc_path], stdout=f, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0 or r.stderr.strip():
            raise RuntimeError("m4 %s: %s" % (mc_path, r.stderr.strip()))
        self.syslog = _Syslog(os.path.join(self.dir, "log.sock"), self.maillog)

    def command(self, *args):
        """argv that runs Sendmail with args in a namespace of its own."""
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                NAMESPACE.format(d=self.dir), "sendmail", self.binary,
                "-C", os.path.join(self.etc, "sendmail.cf")] + list(args)

    def start(self):
        r = subprocess.run(self.command("-bi"), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("sendmail -bi: %s%s" % (r.stdout, r.stderr))
        out = open(os.path.join(self.dir, "sendmail.out"), "wb")
        self.proc = subprocess.Popen(self.command("-bd", "-q1s"), stdout=out,
                                     stderr=subprocess.STDOUT)
        try:
            wait_port(self.port)
            wait_port(self.subport)
        except RuntimeError:
            with open(out.name, errors="replace") as f:
                raise RuntimeError("sendmail start: %s\nmaillog:\n%s"
                                   % (f.read().strip(), self.log()[-3000:]))

    def pid(self):
        try:
            with open(os.path.join(self.dir, "sendmail.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.pid()
        if pid is not None:
            try:
                os.kill(pid, 15)
                for _ in range(100):
                    if not _alive(pid):
                        break
                    time.sleep(0.1)
            except ProcessLookupError:
                pass
        reap(self.dir)

    def flush(self):
        """Nothing to do: the daemon runs its queue every second (-q1s)."""

    def queue_ids(self):
        """Every file in the queue: qf, df, and the temporary tf/xf."""
        return sorted(os.listdir(os.path.join(self.dir, "queue")))

    def log(self):
        return read_log(self.maillog)
