"""Debian's OpenDKIM beside the gateway, with no DNS: keys made by
opendkim-genkey, public keys served to opendkim from a TestPublicKeys file
(opendkim.conf(5)) and to dkimpy, the independent verifier, by a dnsfunc.
Each OpenDkim listens on its own loopback port, in the foreground, its
configuration written by the test."""
import os
import re
import shutil
import subprocess

from . import mta
from .cmrun import RUNNING, Failure

# dkimpy runs under Debian's interpreter, which python3-dkim is installed for.
DKIMPY = ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "dkimpy_tool.py")]

class Key:
    """A DKIM key pair for domain and selector, made by opendkim-genkey."""

    def __init__(self, directory, domain, selector):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        subprocess.run(["opendkim-genkey", "-b", "2048", "-D", directory, "-d", domain,
                        "-s", selector], check=True, capture_output=True)
        self.domain, self.selector = domain, selector
        self.private = os.path.join(directory, selector + ".private")
        # Readable by opendkim's UserID only, as in /etc/dkimkeys.
        for path in (directory, self.private):
            shutil.chown(path, "opendkim", "opendkim")
        with open(os.path.join(directory, selector + ".txt")) as f:
            # selector._domainkey IN TXT ( "v=DKIM1; ..." "p=..." "..." ) ; comment
            self.record = "".join(re.findall(r'"([^"]*)"', f.read()))

    @property
    def name(self):
        return "%s._domainkey.%s" % (self.selector, self.domain)

    def sign(self, message):
        """message (CRLF) with a DKIM-Signature of this key prepended, by dkimpy."""
        r = subprocess.run(DKIMPY + ["sign", self.private, self.domain, self.selector],
                           input=message, capture_output=True)
        if r.returncode != 0:
            raise Failure("dkimpy sign: %s" % r.stderr.decode(errors="replace")[-500:])
        return r.stdout


def verify(message, *keys):
    """(True, "") if dkimpy finds message's first DKIM-Signature valid,
    looking keys up among keys only; else (False, dkimpy's reason)."""
    r = subprocess.run(DKIMPY + ["verify"] + ["%s=%s" % (k.name.lower(), k.record) for k in keys],
                       input=message, capture_output=True)
    return r.returncode == 0, r.stderr.decode(errors="replace").strip()


def packaging_conf(name):
    """packaging/NAME's settings as an ordered dict."""
    conf = {}
    with open(os.path.join(mta.PACKAGING, name)) as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                k, v = line.split(None, 1)
                conf[k] = v.strip()
    return conf


class OpenDkim:
    """opendkim -f on inet:PORT@127.0.0.1, configured by the documented
    packaging/opendkim-verify.conf (mode "v", with the public keys of
    trusted) or packaging/opendkim-sign.conf (mode "s": signs mail of the
    submission listener with key; "sv": the same file signing and
    verifying, as one default Debian opendkim does). Only what a test must
    change is changed: the socket, the files' places, keys without DNS."""

    def __init__(self, directory, name, mode, key=None, trusted=(), authserv="gw.example.org"):
        # authserv is the Postfix instance's myhostname, as opendkim's
        # default (the MTA's name) would have it.
        run = os.path.join(directory, name)
        os.makedirs(run)
        shutil.chown(run, "opendkim", "opendkim")
        self.port = mta.free_port()
        self.log = os.path.join(directory, name + ".log")
        keys = os.path.join(run, "public.keys")
        with open(keys, "w") as f:
            for k in trusted:
                f.write("%s %s\n" % (k.name, k.record))
        conf = packaging_conf("opendkim-verify.conf" if mode == "v" else "opendkim-sign.conf")
        conf.update(Mode=mode, Socket="inet:%d@127.0.0.1" % self.port,
                    PidFile=os.path.join(run, "pid"), AuthservID=authserv, TestPublicKeys=keys,
                    Syslog="no")
        if "s" in mode:
            # The key sits below /tmp, which others can write: opendkim's
            # path check (RequireSafeKeys) would refuse it. A test setting
            # only; /etc/dkimkeys passes the check.
            conf.update(Domain=key.domain, Selector=key.selector, KeyFile=key.private,
                        RequireSafeKeys="false")
        self.conf = os.path.join(directory, name + ".conf")
        with open(self.conf, "w") as f:
            for k, v in conf.items():
                f.write("%s %s\n" % (k, v))
        with open(self.log, "wb") as log:
            self.p = subprocess.Popen(["opendkim", "-f", "-x", self.conf], stdout=log,
                                      stderr=subprocess.STDOUT)
        RUNNING.append(self.p)
        try:
            mta.wait_port(self.port, timeout=10)
        except RuntimeError:
            raise Failure("opendkim %s did not listen: %s" % (name, mta.read_log(self.log)[-500:]))

    @property
    def socket(self):
        """This opendkim as a Postfix smtpd_milters entry."""
        return "inet:127.0.0.1:%d" % self.port

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
