"""A PostgreSQL cluster of the test's own: initdb in a temporary
directory, the server on a free loopback port (no unix socket), run as the
postgres system user (the server refuses root), trust authentication for
loopback only. For the shared replay cache's suite."""
import os
import shutil
import subprocess
import tempfile
import time

from .mta import free_port
from .cmrun import Failure

PGBIN = os.environ.get("CM_PGBIN", "/usr/lib/postgresql/15/bin")
USER = "postgres"



class Cluster:
    """A primary, or (standby_of) a streaming standby of one made by
    pg_basebackup -R."""

    def __init__(self, standby_of=None):
        # Not under the suite's workdir: that is root's, 0700.
        self.top = tempfile.mkdtemp(prefix="cm-pg-")
        os.chmod(self.top, 0o755)
        self.data = os.path.join(self.top, "data")
        self.logfile = os.path.join(self.top, "server.log")
        shutil.chown(self.top, USER)
        self.port = free_port()
        if standby_of is None:
            self._as_user([os.path.join(PGBIN, "initdb"), "-D", self.data, "-A", "trust", "-U",
                           "postgres", "--no-sync", "-E", "UTF8"])
        else:
            self._as_user([os.path.join(PGBIN, "pg_basebackup"), "-D", self.data, "-R", "-X",
                           "stream", "-h", "127.0.0.1", "-p", str(standby_of.port), "-U",
                           "postgres", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\n"
                    "fsync = off\nmax_connections = 40\nshared_buffers = 16MB\n" % self.port)
        self.start()

    def promote(self):
        self._as_user([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-w", "promote"])

    def _as_user(self, cmd, check=True):
        p = subprocess.run(["runuser", "-u", USER, "--"] + cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, cwd=self.top)
        if check and p.returncode != 0:
            raise Failure("%s: %s" % (" ".join(cmd[:2]), p.stdout.decode(errors="replace")[-800:]))
        return p

    @property
    def uri(self):
        return "postgresql://postgres@127.0.0.1:%d/postgres" % self.port

    def start(self):
        self._as_user([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.logfile, "-w",
                       "-t", "30", "start"])

    def stop(self, mode="fast"):
        self._as_user([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                       "stop"], check=False)

    def psql(self, sql):
        """Run sql; its rows as lists of strings."""
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.uri,
                            "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise Failure("psql %r: %s" % (sql, p.stderr.decode(errors="replace")))
        return [line.split("|") for line in p.stdout.decode().splitlines() if line]

    def session(self, *statements):
        """A psql session kept open on a pipe (a lock held until close())."""
        p = subprocess.Popen(["psql", "-X", "-q", "-At", "-d", self.uri], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for s in statements:
            p.stdin.write(s.encode() + b"\n")
        p.stdin.write(b"SELECT 'held';\n")
        p.stdin.flush()
        if p.stdout.readline().strip() != b"held":
            raise Failure("the psql session did not start")
        return p

    def wait_ready(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            try:
                self.psql("SELECT 1")
                return
            except Failure:
                time.sleep(0.2)
        raise Failure("the server did not come back")

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.top, ignore_errors=True)
