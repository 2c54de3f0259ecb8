"""A minimal SMTP server that stores every message it is given: the stand-in
for the cloud mailbox. Each message is kept byte for byte (dot-stuffing
undone) as N.eml, with its envelope in N.json. Loopback only."""
import contextlib
import json
import os
import socketserver
import threading
import time

from .cmrun import Failure


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        sink = self.server.sink
        self.reply("220 sink.example ESMTP")
        env = {"from": None, "rcpts": [], "client": self.client_address[0]}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                name = cmd[5:].strip()
                if sink.helo is not None and name != sink.helo:
                    # Not the MTA this sink serves: a leftover of another
                    # test delivering to a port that is now ours.
                    sink.foreign.append(name)
                    self.reply("550 5.7.1 this sink serves %s only" % sink.helo)
                    return
                self.reply("250-sink.example\r\n250-8BITMIME\r\n250 SIZE 104857600"
                           if verb == "EHLO" else "250 sink.example")
            elif verb == "MAIL":
                env = {"from": cmd[10:].strip(), "rcpts": [], "client": self.client_address[0]}
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = cmd[8:].strip()
                if rcpt.lower().startswith("<nosuchuser@"):
                    # A mailbox that does not exist: the gateway must bounce.
                    self.reply("550 5.1.1 no such mailbox")
                    continue
                env["rcpts"].append(rcpt)
                self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l == b".\r\n" or l == b".\n":
                        break
                    data.append(l[1:] if l.startswith(b".") else l)
                sink.store(env, b"".join(data))
                self.reply("250 2.0.0 Ok: stored")
            elif verb == "RSET":
                env = {"from": None, "rcpts": [], "client": self.client_address[0]}
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("250 2.0.0 Ok")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Sink:
    """helo, when set, is the only EHLO name accepted: mail from any other
    client is refused and its name kept in foreign."""

    def __init__(self, directory, port=0, helo=None):
        self.dir = directory
        self.helo = helo
        self.foreign = []
        os.makedirs(directory, exist_ok=True)
        self.lock = threading.Lock()
        self.n = 0
        self.server = _Server(("127.0.0.1", port), _Handler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def store(self, env, data):
        with self.lock:
            self.n += 1
            base = os.path.join(self.dir, "%06d" % self.n)
        # Written aside and renamed, the envelope last: a reader that sees
        # N.json sees a complete N.eml.
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w") as f:
            json.dump(env, f)
        os.rename(base + ".json.tmp", base + ".json")

    def messages(self):
        """[(envelope, message bytes)] in arrival order. Fails once another
        MTA than the one it serves has tried to deliver here."""
        if self.foreign:
            raise Failure("another MTA delivered to this sink: %r" % self.foreign)
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".json"):
                base = os.path.join(self.dir, name[:-5])
                with open(base + ".json") as f, open(base + ".eml", "rb") as g:
                    out.append((json.load(f), g.read()))
        return out

    def wait(self, n, timeout=30, explain=None, poke=None, every=0.1):
        """All messages once the sink holds at least n, looked at every
        `every` seconds (calling poke() first, if given: a queue that
        feeds this sink can be flushed). After timeout seconds: Failure,
        with the counts and explain(), if given (say, the MTA's log)."""
        end = time.time() + timeout
        while time.time() < end:
            if poke is not None:
                poke()
            msgs = self.messages()
            if len(msgs) >= n:
                return msgs
            time.sleep(every)
        raise Failure("sink has %d messages, want %d after %ds%s"
                      % (len(self.messages()), n, timeout, explain() if explain else ""))

    @contextlib.contextmanager
    def arrivals(self, n=1, timeout=30, **kw):
        """The send-and-wait step of a test: the messages already stored
        are counted on entry, the block sends (and checks what the sender
        was told), and on leaving it waits (see wait) until n more have
        arrived. The list it yields then holds every message stored since
        entry, in arrival order. A block that raises is not waited for.

            with sink.arrivals() as got:
                send(...)
            env, message = got[0]
        """
        before = len(self.messages())
        got = []
        yield got
        got.extend(self.wait(before + n, timeout, **kw)[before:])

    def contains(self, needle):
        """Does any stored message contain these bytes?"""
        return any(needle in m for _, m in self.messages())

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
