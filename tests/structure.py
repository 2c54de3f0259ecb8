#!/usr/bin/env python3
"""The layout rules, checked on the source.

lib/ is one folder per layer, each its own static library (lib/CMakeLists.txt),
ranked bottom to top below. A file includes only headers of its own folder and
of lower-ranked folders: a lower layer never includes a higher one, and the
three engines, side by side, never include one another. Then:
- only milter/ includes libmilter (and, by name, the benchmark's null
  milter, tests/bench/cm_nullmilter.c); the pipe filter (filter/) never;
- only lib/engine/gpgme includes GPGME, only lib/engine/rnp librnp; OpenSSL
  only lib/engine/cms and lib/util (digests); LMDB only lib/replay/lmdb and
  lib/discover (the replay cache, the key discovery cache); libpq
  only lib/replay/pg (the replay cache's stores); libcurl only lib/discover
  (the Web Key Directory's client);
- only the registry (lib/engines) names a concrete engine's header, and no
  file outside an engine includes that engine's private header;
- the include graph has no cycle;
- no call circle between the .c files of lib/: a file calls the external
  (non-static) functions another defines only if that one, directly or
  through others, calls none of its own;
- no source file is over 600 lines and no folder holds more than 25 files,
  under tests/ too (but its data folders).
"""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RANK = {"util": 0, "conf": 1, "mime": 2, "discover": 2, "protect": 3, "engine": 3, "engine/gpgme": 4, "engine/rnp": 4,
        "engine/cms": 4, "engines": 5, "format": 6, "replay": 7, "replay/lmdb": 8, "replay/pg": 8, "core": 9,
        "runtime": 10}
MAX_LINES, MAX_FILES = 600, 25
# The front ends: any layer's public headers, no rank of their own.
FRONT_ENDS = ["milter", "filter", "keysync"]
# The one libmilter program outside milter/: the benchmark's ceiling.
LIBMILTER_ALSO = {"tests/bench/cm_nullmilter.c"}
inc = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

files, folder_of, problems = {}, {}, []
for d in ["lib/" + f for f in RANK] + FRONT_ENDS + ["tests/bench"]:
    path = os.path.join(top, d)
    names = sorted(os.listdir(path))
    if len([n for n in names if os.path.isfile(os.path.join(path, n))]) > MAX_FILES:
        problems.append("%s holds more than %d files" % (d, MAX_FILES))
    for f in names:
        if not f.endswith((".c", ".h")) or (d == "tests/bench" and
                                          "%s/%s" % (d, f) not in LIBMILTER_ALSO):
            continue
        with open(os.path.join(path, f)) as fh:
            text = fh.read()
        key = "%s/%s" % (d, f)
        files[key] = inc.findall(text)
        folder_of[key] = d[len("lib/"):] if d.startswith("lib/") else None
        if text.count("\n") > MAX_LINES:
            problems.append("%s has %d lines (at most %d)" % (key, text.count("\n"), MAX_LINES))
# The 25-file rule holds for the tests' folders too (tests/unit/<layer>,
# the integration harness...), all but data: fixtures and fuzz seed corpora
# are inputs, not code.
DATA = ("tests/fixtures", "tests/fuzz/seeds")
for here, dirs, names in os.walk(os.path.join(top, "tests")):
    d = os.path.relpath(here, top)
    dirs[:] = sorted(n for n in dirs if n != "__pycache__")
    if d.startswith(DATA):
        continue
    if len(names) > MAX_FILES:
        problems.append("%s holds more than %d files" % (d, MAX_FILES))
unknown = [d for d in os.listdir(os.path.join(top, "lib"))
           if os.path.isdir(os.path.join(top, "lib", d)) and d not in RANK]
problems += ["lib/%s is a folder without a rank" % d for d in unknown]
loose = [f for f in os.listdir(os.path.join(top, "lib")) if f.endswith((".c", ".h"))]
problems += ["lib/%s is in no layer's folder" % f for f in loose]

header = {}
for k in files:
    if k.endswith(".h"):
        if os.path.basename(k) in header:
            problems.append("two headers named %s" % os.path.basename(k))
        header[os.path.basename(k)] = k
graph = {k: [header[n] for q, n in v if q == '"' and n in header] for k, v in files.items()}

for path, incs in files.items():
    system = [n for q, n in incs if q == "<"]
    here = folder_of[path]
    if (not path.startswith("milter/") and path not in LIBMILTER_ALSO
            and any(n.startswith("libmilter/") for n in system)):
        problems.append("%s includes libmilter: only milter/ may" % path)
    if "gpgme.h" in system and here != "engine/gpgme":
        problems.append("%s includes GPGME: only lib/engine/gpgme may" % path)
    if any(n.startswith("rnp/") for n in system) and here != "engine/rnp":
        problems.append("%s includes librnp: only lib/engine/rnp may" % path)
    if any(n.startswith("openssl/") for n in system) and here not in ("engine/cms", "util"):
        problems.append("%s includes OpenSSL: only lib/engine/cms and lib/util may" % path)
    if any(n.startswith("curl/") for n in system) and here != "discover":
        problems.append("%s includes libcurl: only lib/discover may" % path)
    if "gcrypt.h" in system:
        problems.append("%s includes libgcrypt, which the project no longer links" % path)
    if here not in ("replay/lmdb", "discover") and "lmdb.h" in system:
        problems.append("%s includes LMDB: only lib/replay/lmdb and lib/discover may" % path)
    if here != "replay/pg" and "libpq-fe.h" in system:
        problems.append("%s includes libpq: only the replay cache's lib/replay/pg may" % path)
    for dep in graph[path]:
        there = folder_of[dep]
        if here is None:
            continue            # a front end may use any layer's public headers
        if RANK[there] > RANK[here] or (RANK[there] == RANK[here] and there != here):
            problems.append("%s (%s) includes %s (%s): upward or sideways" % (path, here, dep, there))
    for n in [n for q, n in incs if q == '"']:
        for eng in ("gpgme", "rnp", "cms"):
            if n == "cm_%s.h" % eng and here not in ("engines", "engine/" + eng):
                problems.append("%s names a concrete engine (%s): only the registry may" % (path, n))
            if n == "cm_%s_int.h" % eng and here != "engine/" + eng:
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


# Call circles: which file defines each external cm_* function (a definition
# starts a line, is not static, and its parameter list is followed by a
# brace; or a macro at the start of a line makes it), and which cm_* names
# each file calls (a name followed by "(", comments left out). A file
# calling one of another's functions is an arrow; no arrow may lead back.
defn = re.compile(r'^(?!static\b)[A-Za-z_][\w \*()]*?\b(cm_\w+)\s*\([^;{]*?\)\s*\{'
                  r'|^[A-Z][A-Z0-9_]*\((cm_\w+)\b[^;\n]*\)[ \t]*$', re.M)
call = re.compile(r'\b(cm_\w+)\s*\(')
comment = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
owner, called = {}, {}
for key in files:
    if key.startswith("lib/") and key.endswith(".c"):
        with open(os.path.join(top, key)) as fh:
            text = comment.sub("", fh.read())
        for name in defn.findall(text):
            owner[name[0] or name[1]] = key
        called[key] = set(call.findall(text))
calls = {k: sorted({owner[n] for n in v if n in owner and owner[n] != k}) for k, v in called.items()}
done = {}


def walk(n, stack):
    done[n] = 1
    for m in calls[n]:
        if done.get(m) == 1:
            ring = stack[stack.index(m):] + [m]
            problems.append("call circle: %s (%s)" % (" -> ".join(ring), ", ".join(
                "%s calls %s" % (a, sorted(x for x in called[a] if owner.get(x) == b)[0])
                for a, b in zip(ring, ring[1:]))))
        elif m not in done:
            walk(m, stack + [m])
    done[n] = 2


for n in sorted(calls):
    if n not in done:
        walk(n, [n])
for p in problems:
    print("structure: " + p)
print("structure: %d files in %d folders, %d include edges, %d call arrows: %s"
      % (len(files), len(set(folder_of.values())), sum(map(len, graph.values())),
         sum(map(len, calls.values())),
         "ok" if not problems else "FAILED"))
sys.exit(1 if problems else 0)
