"""Private MTA instances for the tests, on loopback only.

PostfixInstance runs `postfix -c DIR` with its own queue and configuration.
Its milter settings come from packaging/postfix-main.cf, so the documented
configuration is the tested one; the milter socket sits where that file says,
inside the instance's queue directory.
"""
import atexit
import fcntl
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PACKAGING = os.path.join(TOP, "packaging")

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd{smtpd_args}
127.0.0.1:{subport} inet n - n - - smtpd -o milter_macro_daemon_name=submission{sub_args}
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def workdir():
    """A directory the MTA's and the milter's unprivileged users can reach.

    The build tree may sit below a directory only root may enter (a CI
    checkout under /root, say), and Postfix and Sendmail daemons running as
    their own users must reach their queues, logs and sockets. So the MTA
    instances live in a fresh 0755 directory under /tmp, removed at exit
    unless CM_TEST_KEEP is set."""
    base = tempfile.mkdtemp(prefix="cryptmilter-mta-", dir="/tmp")
    os.chmod(base, 0o755)
    if not os.environ.get("CM_TEST_KEEP"):
        atexit.register(shutil.rmtree, base, True)
    return base


def read_log(path):
    """An MTA's log so far ("" before it has written one)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# Listening ports for the MTAs. They come from below the kernel's ephemeral
# range, so no outgoing connection can be using one, and each is held with a
# lock file for the life of this process, so two test processes running at
# once (ctest -j) never pick the same one. bind(0) would offer neither: the
# port is free only until the socket is closed, and the MTA binds it later.
PORT_RANGE = (20000, 32000)
PORT_LOCKS = os.path.join(tempfile.gettempdir(), "cryptmilter-test-ports")
_held_ports = []


def free_port():
    os.makedirs(PORT_LOCKS, mode=0o1777, exist_ok=True)
    for _ in range(1000):
        port = random.randrange(*PORT_RANGE)
        fd = os.open(os.path.join(PORT_LOCKS, str(port)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            os.close(fd)
            continue
        finally:
            s.close()
        _held_ports.append(fd)
        return port
    raise RuntimeError("no free port in %d-%d" % PORT_RANGE)


def _alive(pid):
    """Whether pid runs (a zombie, left unreaped by a container's init, does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def reap(directory):
    """Kill what is left of an MTA instance once it has been told to stop:
    any process working in its directory (Postfix's delivery agents and
    Sendmail's queue runners outlive their master). A leftover could
    otherwise deliver into a later test's sink. Says on stderr what it
    killed."""
    killed = []
    prefix = os.path.realpath(directory) + os.sep
    for _ in range(50):
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                cwd = os.readlink("/proc/%s/cwd" % pid)
            except OSError:
                continue
            if (cwd + os.sep).startswith(prefix):
                found.append(int(pid))
        if not found:
            if killed:
                print("reaped %d leftover processes in %s" % (len(killed), directory),
                      file=sys.stderr)
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    raise RuntimeError("processes in %s survive SIGKILL" % directory)


def packaging_main_cf():
    """The documented Postfix settings as (key, value) pairs."""
    out = []
    with open(os.path.join(PACKAGING, "postfix-main.cf")) as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                out.append((k.strip(), v.strip()))
    return out


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


class PostfixInstance:
    """A private Postfix relaying everything to 127.0.0.1:relay_port.

    smtpd_args and sub_args are appended to the master.cf lines of the
    main listener and of the submission listener ("-o name=value" options,
    e.g. a per-listener smtpd_milters)."""

    def __init__(self, base, relay_port, milter=True, extra=None, name="postfix",
                 smtpd_args="", sub_args=""):
        self.dir = os.path.join(base, name)
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "queue")
        self.port = free_port()
        self.subport = free_port()
        self.helo_name = "gw-%d.example.org" % self.port
        self.maillog = os.path.join(self.dir, "maillog")
        os.makedirs(self.etc)
        os.makedirs(os.path.join(self.dir, "data"))
        os.makedirs(self.queue)
        shutil.chown(os.path.join(self.dir, "data"), "postfix", "postfix")
        conf = [
            ("compatibility_level", "3.6"),
            ("queue_directory", self.queue),
            ("data_directory", os.path.join(self.dir, "data")),
            ("mail_owner", "postfix"),
            ("setgid_group", "postdrop"),
            ("inet_interfaces", "127.0.0.1"),
            ("inet_protocols", "ipv4"),
            ("myhostname", "gw.example.org"),
            ("smtp_helo_name", self.helo_name),
            ("mydomain", "example.org"),
            ("mydestination", ""),
            ("local_transport", "error:local delivery is disabled"),
            ("relay_domains", "example.org"),
            ("mynetworks", "127.0.0.0/8"),
            ("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination"),
            ("relayhost", "[127.0.0.1]:%d" % relay_port),
            ("smtp_dns_support_level", "disabled"),
            ("smtp_host_lookup", "native"),
            ("maillog_file_prefixes", self.dir),
            ("maillog_file", self.maillog),
            ("smtputf8_enable", "no"),
            ("biff", "no"),
            ("alias_maps", ""),
            ("alias_database", ""),
            ("minimal_backoff_time", "1s"),
            ("maximal_backoff_time", "2s"),
            ("queue_run_delay", "1s"),
            ("smtp_connection_cache_on_demand", "no"),
            ("smtpd_client_connection_count_limit", "0"),
            ("milter_connect_timeout", "10s"),
            ("milter_command_timeout", "10s"),
            ("milter_content_timeout", "8s"),
        ]
        if milter:
            conf += packaging_main_cf()
            os.makedirs(os.path.join(self.queue, "cryptmilter"))
        conf += list((extra or {}).items())
        # One line per parameter, the last value given winning: Postfix
        # warns of an overridden entry at every daemon start, and postlogd,
        # restarted after idling, then blocks sending that warning to its
        # own socket, which hung a whole instance (found by the bench).
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in dict(conf).items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port, subport=self.subport,
                                     smtpd_args=" " + smtpd_args if smtpd_args else "",
                                     sub_args=" " + sub_args if sub_args else ""))

    @property
    def milter_socket(self):
        """Where packaging/postfix-main.cf says the milter listens."""
        for k, v in packaging_main_cf():
            if k == "smtpd_milters":
                return os.path.join(self.queue, v.split(":", 1)[1])
        raise RuntimeError("no smtpd_milters in packaging/postfix-main.cf")

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.etc] + list(args), capture_output=True,
                              text=True)

    def start(self):
        r = self.postfix("start")
        if r.returncode != 0:
            # postfix(1) prints its fatal error only to a terminal.
            t = subprocess.run(["script", "-qc", "postfix -c %s start" % self.etc, "/dev/null"],
                               capture_output=True, text=True)
            raise RuntimeError("postfix start: %s\nmaillog:\n%s"
                               % (t.stdout.strip(), self.log()[-3000:]))
        wait_port(self.port)
        wait_port(self.subport)

    def stop(self):
        # master(8) leaves its pid file behind when it exits: wait for the
        # process itself (up to 10 s), then reap what outlives it.
        pidfile = os.path.join(self.queue, "pid", "master.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        self.postfix("stop")
        for _ in range(100):
            if pid is None or not _alive(pid):
                break
            time.sleep(0.1)
        reap(self.dir)

    def flush(self):
        subprocess.run(["postqueue", "-c", self.etc, "-f"], capture_output=True)

    def queue_ids(self):
        r = subprocess.run(["postqueue", "-c", self.etc, "-j"], capture_output=True, text=True)
        return [l for l in r.stdout.splitlines() if l.strip()]

    def log(self):
        return read_log(self.maillog)


def ensure_user(name, group):
    """A system user for the milter, in the MTA's group (created if need be)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--gid", group, name], check=True)


def private_keyring(src, dest, user):
    """A copy of the keyring owned by the milter's user."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    for root, dirs, files in os.walk(dest):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), user)
    shutil.chown(dest, user)
    os.chmod(dest, 0o700)

