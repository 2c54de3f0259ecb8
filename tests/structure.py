#!/usr/bin/env python3
"""The layout rules, checked on the source: the include graph of lib/ and
milter/ has no cycle; only milter/ includes libmilter; only lib/ includes
GPGME, OpenSSL, librnp and libgcrypt; only lib/cm_replay.c includes LMDB (the replay cache is
the one store); only the registry (lib/cm_engines.c) names a concrete
engine's header, and no front end includes an engine's private header."""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
inc = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
files = {}
for d in ("lib", "milter"):
    for f in sorted(os.listdir(os.path.join(top, d))):
        if f.endswith((".c", ".h")):
            with open(os.path.join(top, d, f)) as fh:
                files["%s/%s" % (d, f)] = inc.findall(fh.read())
problems = []
local = {os.path.basename(k): k for k in files}
graph = {k: [local[n] for q, n in v if q == '"' and n in local] for k, v in files.items()}
for path, incs in files.items():
    system = [n for q, n in incs if q == "<"]
    quoted = [n for q, n in incs if q == '"']
    if not path.startswith("milter/") and any(n.startswith("libmilter/") for n in system):
        problems.append("%s includes libmilter" % path)
    if not path.startswith("lib/") and any(n in ("gpgme.h", "gcrypt.h") or n.startswith(("openssl/", "rnp/"))
                                           for n in system):
        problems.append("%s includes GPGME, OpenSSL, librnp or libgcrypt" % path)
    if path != "lib/cm_replay.c" and "lmdb.h" in system:
        problems.append("%s includes LMDB: only the replay cache (lib/cm_replay.c) may" % path)
    for n in quoted:
        for eng in ("gpgme", "rnp", "cms"):
            if n == "cm_%s.h" % eng and path not in ("lib/cm_engines.c", "lib/cm_%s.c" % eng):
                problems.append("%s names a concrete engine (%s): only the registry may" % (path, n))
            if n == "cm_%s_int.h" % eng and not os.path.basename(path).startswith("cm_" + eng):
                problems.append("%s includes the %s engine's private header" % (path, eng))
# Cycles: depth-first search over header includes.
state = {}


def visit(n, stack):
    state[n] = 1
    for m in graph[n]:
        if state.get(m) == 1:
            problems.append("include cycle: %s" % " -> ".join(stack[stack.index(m):] + [m]))
        elif m not in state:
            visit(m, stack + [m])
    state[n] = 2


for n in graph:
    if n not in state:
        visit(n, [n])
for p in problems:
    print("structure: " + p)
print("structure: %d files, %d include edges: %s" % (len(files), sum(map(len, graph.values())),
                                                    "ok" if not problems else "FAILED"))
sys.exit(1 if problems else 0)
