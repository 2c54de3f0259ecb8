"""A milter-protocol proxy for the fail-closed tests: it sits between the MTA
and cryptmilter, passes packets both ways, and on a chosen packet kills the
milter (SIGKILL) or stops answering, so each failure is hit at a known stage."""
import os
import signal
import socket
import struct
import threading


def _read_packet(s):
    head = b""
    while len(head) < 4:
        c = s.recv(4 - len(head))
        if not c:
            return None
        head += c
    (n,) = struct.unpack("!I", head)
    body = b""
    while len(body) < n:
        c = s.recv(n - len(body))
        if not c:
            return None
        body += c
    return head + body


class MilterProxy:
    """Listen on path, forward to target. trigger = (direction, command):
    direction "mta" watches commands from the MTA (forwarded first),
    "milter" watches replies (forwarded first). action "kill" SIGKILLs
    pid_fn(); action "hang" stops forwarding and keeps the connection open."""

    def __init__(self, path, target, trigger, action, pid_fn):
        self.path, self.target = path, target
        self.trigger, self.action, self.pid_fn = trigger, action, pid_fn
        self.fired = threading.Event()
        self.hung = []
        if os.path.exists(path):
            os.unlink(path)
        self.ls = socket.socket(socket.AF_UNIX)
        self.ls.bind(path)
        os.chmod(path, 0o660)   # Sendmail refuses world-writable sockets
        try:
            import shutil
            shutil.chown(path, group="postfix")     # Postfix connects as postfix
        except (LookupError, PermissionError):
            pass
        self.ls.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _fire(self):
        if self.action == "kill":
            try:
                os.kill(self.pid_fn(), signal.SIGKILL)
            except ProcessLookupError:
                pass
            return True
        return False

    def _pump(self, src, dst, direction, other):
        try:
            while True:
                p = _read_packet(src)
                if p is None:
                    break
                if self.fired.is_set() and self.action == "hang":
                    self.hung.append(src)
                    threading.Event().wait(120)     # say nothing until the MTA gives up
                    break
                if self.fired.is_set() and self.action == "kill":
                    # What the milter wrote after the trigger is lost with
                    # it, even a reply it managed to finish before the
                    # signal landed (a fast milter answered EOM in that
                    # gap, and the MTA then had a whole reply).
                    break
                trig = (direction, p[4:5]) == self.trigger and not self.fired.is_set()
                if trig:
                    self.fired.set()    # before forwarding: see above
                dst.sendall(p)
                if trig and self._fire():
                    break
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self, mta):
        try:
            milter = socket.socket(socket.AF_UNIX)
            milter.connect(self.target)
        except OSError:
            mta.close()
            return
        threading.Thread(target=self._pump, args=(mta, milter, "mta", None), daemon=True).start()
        self._pump(milter, mta, "milter", None)

    def close(self):
        # shutdown wakes the thread blocked in accept(); close alone does not.
        try:
            self.ls.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ls.close()
