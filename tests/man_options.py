#!/usr/bin/env python3
"""The options the man pages document are the options the programs parse:
every option of cryptmilter's getopt string and long options has its ".It
Fl" entry in man/cryptmilter.8, every option of cryptmilter-filter's has its
entry in man/cryptmilter-filter.8 (and so on for keysync and keys), each taking an
argument (Ar or Cm after it) exactly when the program wants one, and no page
documents an option its program lacks."""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Options documented ahead of the code that parses them (none now).
AHEAD = set()


def read(path):
    with open(os.path.join(top, path)) as f:
        return f.read()


def parsed(src, call):
    """Option -> takes an argument, from the getopt string of `call` and,
    for getopt_long, the long option table."""
    m = re.search(call + r'\(argc, argv, "([^"]*)"', src)
    if m is None:
        return None
    opts, s = {}, m.group(1)
    for i, c in enumerate(s):
        if c != ":":
            opts["-" + c] = i + 1 < len(s) and s[i + 1] == ":"
    for name, kind in re.findall(r'\{"([a-z-]+)", (no_argument|required_argument)', src):
        opts["--" + name] = kind == "required_argument"
    return opts


def documented(page):
    """Option -> takes an argument, from the ".It Fl ..." lines."""
    opts = {}
    for line in page.splitlines():
        if not line.startswith(".It Fl "):
            continue
        words = line.replace("\\-", "-").split()[1:]
        i = 0
        while i < len(words):
            if words[i] == "Fl" and i + 1 < len(words):
                name = "-" + words[i + 1]
                opts[name] = i + 2 < len(words) and words[i + 2] in ("Ar", "Cm")
                i += 2
            else:
                i += 1
    return opts


def check(page_path, src_path, call):
    problems = []
    code = parsed(read(src_path), call)
    doc = documented(read(page_path))
    if not code:
        return ["%s: no %s option string found: the pattern no longer matches" % (src_path, call)]
    for opt, arg in sorted(code.items()):
        if opt not in doc:
            problems.append("%s: %s parses %s, the page lacks it" % (page_path, src_path, opt))
        elif doc[opt] != arg:
            problems.append("%s: %s %s an argument in %s" %
                            (page_path, opt, "takes" if arg else "takes no", src_path))
    for opt in sorted(set(doc) - set(code)):
        if (page_path, opt) not in AHEAD:
            problems.append("%s: documents %s, which %s does not parse" % (page_path, opt, src_path))
    return problems


def main():
    problems = check("man/cryptmilter.8", "milter/cm_main.c", "getopt_long")
    problems += check("man/cryptmilter-filter.8", "filter/cm_filter_main.c", "getopt_long")
    problems += check("man/cryptmilter-keysync.8", "keysync/cm_keysync_main.c", "getopt")
    problems += check("man/cryptmilter-keys.8", "keys/cm_keys_main.c", "getopt_long")
    for p in problems:
        print(p)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
