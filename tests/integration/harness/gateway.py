"""A gateway under test: the sink that stands in for the cloud mailbox, an
MTA relaying to it, and cryptmilter in the MTA (optionally behind a proxy
that kills or hangs it at a given step). The MTA comes from the suite."""
import os

from .daemon import Milter
from .milterproxy import MilterProxy
from .sink import Sink


class Gateway:
    """Sink + MTA + cryptmilter (optionally behind a killing/hanging proxy)."""

    def __init__(self, suite, name, milter=True, proxy=None, conf=None):
        self.tmp = os.path.join(suite.tmp, name)
        self.sink = Sink(os.path.join(self.tmp, "sink"))
        self.mta = suite.make_mta(self.tmp, self.sink.port, milter)
        self.sink.helo = self.mta.helo_name
        self.bindir = suite.bindir
        self.proxy = None
        self.milter = None
        self.conf = dict(suite.milter_conf, **(conf or {}))
        if milter:
            sock = self.mta.milter_socket
            if proxy is not None:
                real = os.path.join(self.tmp, "real.sock")
                self.proxy = MilterProxy(sock, real, proxy[0], proxy[1], lambda: self.milter.p.pid)
                sock = real
            self.sock = sock
            self.start_milter()
        self.mta.start()

    def start_milter(self):
        self.milter = Milter(self.bindir, self.tmp, "milter", sock=self.sock, **self.conf)

    def stop(self):
        self.mta.stop()
        if self.milter is not None and self.milter.p.poll() is None:
            self.milter.stop()
        if self.proxy:
            self.proxy.close()
        self.sink.stop()

    def arrivals(self, n=1, timeout=30, **kw):
        """Sink.arrivals, a timeout naming the end of the MTA's log."""
        return self.sink.arrivals(n, timeout, explain=self.maillog, **kw)

    def maillog(self):
        return "; maillog:\n%s" % self.mta.log()[-2000:]
