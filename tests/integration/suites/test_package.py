#!/usr/bin/env python3
"""The Debian package, as an administrator meets it (issue 25): build the
.deb from this checkout with packaging/build-deb.sh, lintian (no error),
dpkg -i (no apt-get -f), import a recipient's key as the README says, start
the installed unit's ExecStartPre and ExecStart lines as its User= under
strace in front of a private Postfix, see one inbound message arrive
encrypted and one outbound message decrypted (gpg-agent), check that every system call the daemon
made passes the unit's SystemCallFilter=, dpkg --remove (keys and
configuration kept), then dpkg --purge and check that
nothing is left but what Debian policy keeps (the system user and group).

It installs into this machine's /usr, /etc and /var: run as root, on a
test machine. The cases depend on each other and run in order."""
import grp
import os
import pwd
import re
import shlex
import signal
import smtplib
import subprocess
import time

from harness import mta
from harness import sender as S
from harness.cmtest import EXPORT, GNUPGHOME, check, run_tests
from harness.sink import Sink
from .mta_suite import final_reply, swaks

TOP = mta.TOP
UNIT = "/lib/systemd/system/cryptmilter.service"
CONF = "/etc/cryptmilter/cryptmilter.conf"
SOCKDIR = "/var/spool/postfix/cryptmilter"
# What postinst makes and purge must remove, beside the package's files.
MADE = ["/var/lib/cryptmilter", "/var/lib/cryptmilter/gnupg", "/var/lib/cryptmilter/replay",
        "/var/spool/cryptmilter"]
SHIPPED = ["/usr/sbin/cryptmilter", "/usr/sbin/cryptmilter-filter", CONF, UNIT]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)


def dpkg(*args):
    """dpkg, waiting for its lock when another apt or dpkg holds it."""
    for _ in range(60):
        r = run(["dpkg"] + list(args), env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if r.returncode != 2 or "lock" not in r.stderr:
            return r
        time.sleep(5)
    return r


def cmake_version():
    with open(os.path.join(TOP, "CMakeLists.txt")) as f:
        return re.search(r"project\(cryptmilter VERSION ([0-9.]+)", f.read()).group(1)


def unit_settings(path):
    """[Service] settings of a unit file: {key: [values in order]}."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")):
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def expand_filter(names, seen=None):
    """System call names in the sets and names given, as
    `systemd-analyze syscall-filter` expands them (sets within sets too)."""
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if not n.startswith("@"):
            out.add(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        r = run(["systemd-analyze", "syscall-filter", n])
        check(r.returncode == 0, "syscall-filter %s: %s" % (n, r.stderr))
        members = [l.strip() for l in r.stdout.splitlines()[1:]
                   if l.strip() and not l.strip().startswith("#")]
        out |= expand_filter(members, seen)
    return out


def unit_filter(settings):
    """(allowed, denied) system calls of the unit's SystemCallFilter= lines.
    The first line is an allow list here; a later "~" line removes."""
    allowed, denied = set(), set()
    for v in settings.get("SystemCallFilter", []):
        if v.startswith("~"):
            denied |= expand_filter(v[1:].split())
        else:
            allowed |= expand_filter(v.split())
    check(allowed, "the unit has no allow-list SystemCallFilter=")
    return allowed, denied


def traced_calls(path, program):
    """System call names in an strace -f -o file, from the successful
    execve of program on (setpriv's own set*id calls before it are not the
    daemon's)."""
    names, started = set(), False
    line_re = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)")
    with open(path, errors="replace") as f:
        for line in f:
            if not started:
                started = ('execve("%s"' % program) in line and line.rstrip().endswith("= 0")
                if not started:
                    continue
            m = line_re.match(line)
            if m:
                names.add(m.group(1))
    check(started, "no execve of %s in %s" % (program, path))
    return names


class PackageSuite:
    def __init__(self):
        self.tmp = mta.workdir()
        self.deb = None
        self.daemon = None
        self.trace = os.path.join(self.tmp, "strace-%s.txt")
        self.settings = None

    def as_unit_user(self, argv):
        """argv run as the unit's User= and Group= (with User='s groups),
        as systemd starts it where systemd is not PID 1."""
        s = self.settings
        return ["setpriv", "--reuid", s["User"][0], "--regid", s["Group"][0], "--init-groups",
                "--"] + argv

    def test_build(self):
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
        out = os.path.join(self.tmp, "deb")
        r = run(["sh", os.path.join(TOP, "packaging", "build-deb.sh"), out], env=env)
        check(r.returncode == 0, "build-deb.sh: %s" % r.stderr[-3000:])
        self.deb = r.stdout.strip().splitlines()[-1]
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        want = "cryptmilter_%s_%s.deb" % (cmake_version(), arch)
        check(os.path.basename(self.deb) == want, "built %s, want %s" % (self.deb, want))
        r = run(["dpkg-deb", "-f", self.deb, "Version", "Depends"])
        check(r.stdout.startswith("Version: %s\n" % cmake_version()), "control: %s" % r.stdout)
        check("gnupg" in r.stdout and "gpg-agent" in r.stdout, "Depends: %s" % r.stdout)
        # The daemon links libmilter's archive: the package names its source.
        r = run(["dpkg-deb", "-f", self.deb, "Built-Using"])
        check(re.match(r"sendmail \(= [^)]+\)$", r.stdout.strip()), "Built-Using: %r" % r.stdout)
        # systemd is not PID 1 here: that remove stops the daemon is read
        # from the maintainer scripts (--no-start drops debhelper's stop).
        ctl = os.path.join(self.tmp, "control")
        r = run(["dpkg-deb", "-e", self.deb, ctl])
        check(r.returncode == 0, "dpkg-deb -e: %s" % r.stderr)
        with open(os.path.join(ctl, "prerm")) as f:
            prerm = f.read()
        check(re.search(r'"\$1" = remove .*\n\s*deb-systemd-invoke stop cryptmilter\.service', prerm),
              "prerm does not stop the daemon on remove:\n%s" % prerm)

    def test_lintian(self):
        check(self.deb, "no package built")
        r = run(["lintian", "--tag-display-limit", "0", self.deb])
        errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
        check(not errors, "lintian errors:\n%s" % "\n".join(errors))
        print("       lintian: %s" % (r.stdout.strip().replace("\n", "; ") or "clean"), flush=True)

    def test_install(self):
        check(self.deb, "no package built")
        r = dpkg("-i", self.deb)
        check(r.returncode == 0, "dpkg -i: %s%s" % (r.stdout[-2000:], r.stderr[-2000:]))
        for p in SHIPPED:
            check(os.path.exists(p), "%s not installed" % p)
        # One version: CMake's, in the package's name and in -V.
        r = run(["/usr/sbin/cryptmilter", "-V"])
        check(r.returncode == 0 and cmake_version() in r.stdout,
              "-V exits %d, says %r; CMake %s" % (r.returncode, r.stdout, cmake_version()))
        r = run(["dpkg-query", "-W", "-f", "${Conffiles}", "cryptmilter"])
        check(" " + CONF + " " in r.stdout, "%s is not a conffile: %r" % (CONF, r.stdout))
        uid = pwd.getpwnam("cryptmilter").pw_uid
        grp.getgrnam("cryptmilter")
        for p in MADE:
            st = os.stat(p)
            check(st.st_uid == uid and st.st_mode & 0o7777 == 0o700,
                  "%s: uid %d mode %o" % (p, st.st_uid, st.st_mode & 0o7777))
        for f in ("pubring.gpg", "gpg.conf"):
            check(os.stat("/var/lib/cryptmilter/gnupg/" + f).st_uid == uid, "gnupg/%s" % f)
        st = os.stat(SOCKDIR)
        check(st.st_uid == uid and st.st_gid == grp.getgrnam("postfix").gr_gid
              and st.st_mode & 0o7777 == 0o2750, "%s: mode %o" % (SOCKDIR, st.st_mode & 0o7777))
        self.settings = unit_settings(UNIT)

    def as_milter_user(self, argv, **kw):
        """argv as the README runs gpg: the milter's user, its GnuPG home
        (runuser: this machine may have no sudo)."""
        return subprocess.run(["runuser", "-u", "cryptmilter", "--", "env",
                               "GNUPGHOME=/var/lib/cryptmilter/gnupg"] + argv,
                              capture_output=True, cwd="/", **kw)

    def test_import_key(self):
        # README, "Managing keys": cryptmilter-keys, run as root, drops to
        # the package's UserID itself; a recipient's public key...
        r = subprocess.run(["/usr/sbin/cryptmilter-keys", "import",
                            os.path.join(EXPORT, "alice.pub.asc")], capture_output=True, cwd="/")
        check(r.returncode == 0 and b"added" in r.stdout,
              "cryptmilter-keys import: %d %s %s" % (r.returncode, r.stdout, r.stderr))
        # ... and the gateway's key (README makes one; the test's senders
        # know this one), its secret handed to gpg-agent by --gateway. The
        # agent is stopped again: the daemon's gpg starts one under
        # strace, as it would under the unit's filter.
        sec = subprocess.run(["gpg", "--batch", "--export-secret-keys", S.gateway_fpr()],
                             capture_output=True, env=dict(os.environ, GNUPGHOME=GNUPGHOME))
        check(sec.returncode == 0 and sec.stdout, "export of the gateway key failed")
        r = subprocess.run(["/usr/sbin/cryptmilter-keys", "import", "--gateway", "-"],
                           input=sec.stdout, capture_output=True, cwd="/")
        check(r.returncode == 0, "cryptmilter-keys import --gateway: %d %s %s"
              % (r.returncode, r.stdout, r.stderr))
        for f in os.listdir("/var/lib/cryptmilter/gnupg"):
            st = os.stat(os.path.join("/var/lib/cryptmilter/gnupg", f))
            check(st.st_uid == pwd.getpwnam("cryptmilter").pw_uid,
                  "gnupg/%s is not the milter user's after the import" % f)
        self.as_milter_user(["gpgconf", "--kill", "gpg-agent"])

    def adapt_conf(self):
        """The installed configuration, changed only where this machine
        needs: mail from 127.0.0.2 is the internal host, and the gateway
        key is the fixture's."""
        with open(CONF) as f:
            text = f.read()
        for key, value in (("InternalHosts", "127.0.0.2/32"), ("GatewayKeys", S.gateway_fpr())):
            text, n = re.subn(r"(?m)^#?%s\s.*$" % key, "%-19s %s" % (key, value), text)
            check(n == 1, "no %s line in %s" % (key, CONF))
        with open(CONF, "w") as f:
            f.write(text)

    def test_service_encrypts(self):
        check(self.settings, "not installed")
        s = self.settings
        check(s.get("User") == ["cryptmilter"] and "Group" in s, "User=/Group=: %r" % s)
        self.adapt_conf()
        # What systemd's RuntimeDirectory= would make.
        os.makedirs("/run/cryptmilter", exist_ok=True)
        os.chown("/run/cryptmilter", pwd.getpwnam(s["User"][0]).pw_uid,
                 grp.getgrnam(s["Group"][0]).gr_gid)
        pre = shlex.split(s["ExecStartPre"][0])
        self.daemon = self.start_traced("pre", pre)
        rc = self.end_traced(term=False)
        check(rc == 0, "ExecStartPre %s: exit %d: %s" % (pre, rc, self.daemon_log("pre")))
        sink = Sink(os.path.join(self.tmp, "sink"))
        pf = mta.PostfixInstance(self.tmp, sink.port, milter=True, extra={
            "smtpd_milters": "unix:%s/cryptmilter.sock" % SOCKDIR,
            "non_smtpd_milters": "unix:%s/cryptmilter.sock" % SOCKDIR})
        sink.helo = pf.helo_name
        self.daemon = self.start_traced("daemon", shlex.split(s["ExecStart"][0]))
        try:
            sock = os.path.join(SOCKDIR, "cryptmilter.sock")
            for _ in range(300):
                if os.path.exists(sock) or self.daemon.poll() is not None:
                    break
                time.sleep(0.1)
            check(os.path.exists(sock), "no socket; daemon: %s" % self.daemon_log())
            check(os.stat(sock).st_gid == grp.getgrnam("postfix").gr_gid, "socket not group postfix")
            pf.start()
            try:
                with sink.arrivals(explain=lambda: pf.log()[-2000:]) as msgs:
                    r = swaks(pf.port, ["alice@example.org"], body="package canary", tmp=self.tmp)
                    check(r.returncode == 0, "swaks inbound: %s" % final_reply(r))
                _, got = msgs[0]
                check(b"package canary" not in got, "plaintext arrived")
                check(b"X-Cryptmilter: encrypted pgp-mime" in got, "not encrypted")
                armor = got[got.index(b"-----BEGIN PGP MESSAGE-----"):]
                d = subprocess.run(["gpg", "--batch", "--decrypt"], input=armor, capture_output=True,
                                   env=dict(os.environ, GNUPGHOME=GNUPGHOME))
                check(d.returncode == 0 and b"package canary" in d.stdout,
                      "gpg cannot decrypt it: %s" % d.stderr.decode(errors="replace"))
                # Outbound: signed by alice, encrypted to the gateway, sent by
                # the internal host; decrypted by the daemon's gpg-agent.
                mark = S.canary()
                ent = S.entity_text(mark)
                msg = S.pgp_mime(S.sign_encrypt("gpg", ent, self.tmp), subject="[...]")
                with sink.arrivals(explain=lambda: pf.log()[-2000:]) as msgs:
                    smtp = smtplib.SMTP("127.0.0.1", pf.port, timeout=60,
                                        source_address=("127.0.0.2", 0))
                    try:
                        smtp.sendmail("alice@example.org", ["x@ext.example"], S.crlf(msg))
                    finally:
                        smtp.quit()
                _, got = msgs[0]
                check(S.field_values(got, "X-Cryptmilter") == [b"decrypted pgp-mime"],
                      "outbound trace %r" % S.field_values(got, "X-Cryptmilter"))
                check(S.entity_of(got) == ent, "outbound entity differs from the signed one")
            finally:
                pf.stop()
                sink.stop()
        finally:
            rc = self.end_traced(term=True)
        check(rc == 0, "daemon exit %s: %s" % (rc, self.daemon_log()))

    def start_traced(self, which, argv):
        """argv as the unit's user under strace -f (to strace-WHICH.txt)."""
        with open(os.path.join(self.tmp, "%s.log" % which), "w") as log:
            return subprocess.Popen(["strace", "-f", "-qq", "-o", self.trace % which]
                                    + self.as_unit_user(argv), stdout=log, stderr=log, cwd="/")

    def daemon_log(self, which="daemon"):
        with open(os.path.join(self.tmp, "%s.log" % which), errors="replace") as f:
            return f.read()[-2000:]

    def is_daemon(self, pid):
        """Is /proc/pid the daemon (strace's child, past its exec)?"""
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            return ppid == self.daemon.pid and os.readlink("/proc/%s/exe" % pid) == \
                "/usr/sbin/cryptmilter"
        except (OSError, ValueError, IndexError):
            return False

    def end_traced(self, term):
        """The traced daemon's exit status, once it has ended (after a
        SIGTERM, as systemd's stop sends, if term). strace waits for every
        traced process, the gpg-agent the daemon's gpg started too: it is
        stopped as systemd would end the unit's cgroup."""
        if term:
            for pid in os.listdir("/proc"):
                if pid.isdigit() and self.is_daemon(pid):
                    os.kill(int(pid), signal.SIGTERM)
        seen = False
        for _ in range(600):
            alive = any(p.isdigit() and self.is_daemon(p) for p in os.listdir("/proc"))
            seen = seen or alive
            if self.daemon.poll() is not None or (seen and not alive):
                break
            time.sleep(0.1)
        self.as_milter_user(["gpgconf", "--kill", "all"])
        try:
            return self.daemon.wait(30)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
            return -1

    def test_syscalls_pass_the_filter(self):
        check(self.settings, "not installed")
        allowed, denied = unit_filter(self.settings)
        for which in ("pre", "daemon"):
            used = traced_calls(self.trace % which, "/usr/sbin/cryptmilter")
            bad = sorted(n for n in used if n not in allowed or n in denied)
            check(not bad, "%s: system calls the unit's filter would kill: %s" % (which, bad))
            check(len(used) > 20, "%s: only %d system calls traced" % (which, len(used)))

    def test_remove_keeps_keys(self):
        check(self.deb, "no package built")
        r = dpkg("--remove", "cryptmilter")
        check(r.returncode == 0, "dpkg --remove: %s%s" % (r.stdout[-2000:], r.stderr[-2000:]))
        check(not os.path.exists("/usr/sbin/cryptmilter"), "the daemon is still there")
        kept = [p for p in MADE + [CONF, "/var/lib/cryptmilter/gnupg/pubring.gpg"]
                if not os.path.exists(p)]
        check(not kept, "removed by dpkg --remove: %s" % kept)
        r = run(["runuser", "-u", "cryptmilter", "--", "gpg", "--batch", "--homedir",
                 "/var/lib/cryptmilter/gnupg", "--list-keys", "alice@example.org"], cwd="/")
        check(r.returncode == 0, "the imported key is gone: %s" % r.stderr)

    def test_purge(self):
        check(self.deb, "no package built")
        r = dpkg("--purge", "cryptmilter")
        check(r.returncode == 0, "dpkg --purge: %s%s" % (r.stdout[-2000:], r.stderr[-2000:]))
        left = [p for p in SHIPPED + MADE + [SOCKDIR, "/etc/cryptmilter",
                "/etc/systemd/system/multi-user.target.wants/cryptmilter.service"]
                if os.path.lexists(p)]
        check(not left, "left after purge: %s" % left)
        check(run(["dpkg", "-s", "cryptmilter"]).returncode != 0, "still known to dpkg")
        # Kept, as Debian policy has it: the system user and group (files
        # elsewhere, e.g. backups, may still be owned by their ids).
        pwd.getpwnam("cryptmilter")

    def run(self):
        run_tests([("package/build", self.test_build),
                   ("package/lintian", self.test_lintian),
                   ("package/install", self.test_install),
                   ("package/import-key", self.test_import_key),
                   ("package/service-encrypts", self.test_service_encrypts),
                   ("package/syscall-filter", self.test_syscalls_pass_the_filter),
                   ("package/remove-keeps-keys", self.test_remove_keeps_keys),
                   ("package/purge", self.test_purge)])


if __name__ == "__main__":
    PackageSuite().run()
