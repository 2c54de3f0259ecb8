#!/usr/bin/env python3
"""service_exposure.py UNIT MAX - fail when `systemd-analyze security
--offline=true UNIT` rates the unit's exposure above MAX (issue 25: the
packaged unit scores <= 2.0; Debian's opendkim, opendmarc and rspamd units
score 9.2-9.6). Prints the score; works where systemd is not PID 1."""
import re
import subprocess
import sys


def main():
    unit, limit = sys.argv[1], float(sys.argv[2])
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([0-9]+\.[0-9]+)", r.stdout)
    if m is None:
        print("no exposure score from systemd-analyze (exit %d):\n%s%s"
              % (r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        return 1
    score = float(m.group(1))
    print("%s: exposure %.1f (limit %.1f)" % (unit, score, limit))
    if score > limit:
        print("\n".join(l for l in r.stdout.splitlines() if l.startswith("\u2717")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
