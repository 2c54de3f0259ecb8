#!/usr/bin/env python3
"""The shipped timer runs cryptmilter-keysync every KeySyncInterval: its
OnUnitActiveSec must be the key's default in lib/conf/cm_config.c (both in
seconds), and the service it starts must run the program the build installs."""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def seconds(text):
    total, rest = 0, text.replace(" ", "")
    for n, u in re.findall(r"(\d+)([a-z]*)", rest):
        total += int(n) * UNITS[u or "s"]
    return total


def main():
    with open(os.path.join(top, "lib/conf/cm_config.c")) as f:
        m = re.search(r'\{"KeySyncInterval", T_DURATION, OFF\(\w+\), "([^"]+)"', f.read())
    with open(os.path.join(top, "packaging/cryptmilter-keysync.timer")) as f:
        t = re.search(r"^OnUnitActiveSec=(.+)$", f.read(), re.M)
    with open(os.path.join(top, "packaging/cryptmilter-keysync.service")) as f:
        svc = f.read()
    problems = []
    if m is None or t is None:
        problems.append("KeySyncInterval's default or the timer's OnUnitActiveSec not found")
    elif seconds(m.group(1)) != seconds(t.group(1)):
        problems.append("KeySyncInterval defaults to %s but the timer runs every %s"
                        % (m.group(1), t.group(1).strip()))
    if not re.search(r"^ExecStart=/usr/sbin/cryptmilter-keysync ", svc, re.M):
        problems.append("cryptmilter-keysync.service does not run /usr/sbin/cryptmilter-keysync")
    for p in problems:
        print(p)
    if not problems:
        print("keysync timer: every %ds, as KeySyncInterval" % seconds(m.group(1)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
