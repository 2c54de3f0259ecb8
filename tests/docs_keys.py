#!/usr/bin/env python3
"""The configuration reference, man/cryptmilter.conf.5, says what the one
configuration table (lib/conf/cm_config.c) says: every key of the table has
its ".It Ic Key" entry, with its type, its default and (sizes, durations) its
range as the table has them, and the page names no key the table lacks. A key
parsed but not documented, documented but gone, or documented with another
default or range is a defect.

Conventions of the page, one entry per key:
  .It Ic Key Cm a | b | c     enum (the table's names, in order); yes | no: boolean
  .It Ic Key Ar size          also duration, list, networks; any other Ar: string
  Default: not set.           the table's default is ""
  Default:                    otherwise, and the next line is
  .Ql VALUE ...               VALUE exactly as the table has it
  Range: MIN to MAX.          sizes and durations only, with K/M/G or s/m/h/d/w
"""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join("lib", "conf", "cm_config.c")
PAGE = os.path.join("man", "cryptmilter.conf.5")
UNITS = {"T_SIZE": {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30},
         "T_DURATION": {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}}
ARG = {"T_SIZE": "Ar size", "T_DURATION": "Ar duration", "T_LIST": "Ar list",
       "T_CIDRS": "Ar networks", "T_BOOL": "Cm yes | no"}


def bound(expr):
    """A bound of the table: an integer expression of KIB, MIB, GIB."""
    e = expr.replace("KIB", "1024").replace("MIB", "1048576").replace("GIB", "1073741824")
    if not re.fullmatch(r"[0-9 *+()]+", e):
        raise ValueError("bound %r is not an integer expression" % expr)
    return eval(e)  # digits and operators only, checked above


def read_table(src):
    enums = {name: re.findall(r'"([^"]+)"', body)
             for name, body in re.findall(r'static const char \*const (\w+)\[\] = \{([^}]*)\};', src)}
    keys = {}
    row = re.compile(r'^\s*\{"([A-Za-z]+)", (T_[A-Z]+), OFF\(\w+\), "([^"]*)", ([^,]+), ([^,]+), '
                     r'(\w+), \w+, [01]\},', re.M)
    for name, typ, default, lo, hi, en in row.findall(src):
        keys[name] = {"type": typ, "default": default, "min": bound(lo), "max": bound(hi),
                      "enums": enums.get(en)}
    return keys


def read_page(text):
    """Key -> (head argument, body lines) for every ".It Ic" entry."""
    entries, cur = [], None
    for line in text.splitlines():
        m = re.match(r"^\.It Ic (\w+)\s*(.*)$", line)
        if m:
            cur = (m.group(1), m.group(2), [])
            entries.append(cur)
        elif line.startswith(".It") or line.startswith(".El") or line.startswith(".S"):
            cur = None
        elif cur is not None:
            cur[2].append(line)
    return entries


def scaled(text, units):
    m = re.fullmatch(r"([0-9]+)([A-Za-z]?)", text)
    if not m or m.group(2) not in units:
        return None
    return int(m.group(1)) * units[m.group(2)]


def check_entry(key, spec, head, body):
    problems = []
    typ = spec["type"]
    want = "Cm " + " | ".join(spec["enums"]) if typ == "T_ENUM" else ARG.get(typ)
    if want is not None and head != want:
        problems.append("%s: the head reads %r, the table says %r" % (key, head, want))
    if typ == "T_STR" and (not head.startswith("Ar ") or head in ARG.values()):
        problems.append("%s: a string key, its head %r is not \"Ar <what>\"" % (key, head))
    defaults = [i for i, line in enumerate(body) if line.startswith("Default:")]
    if len(defaults) != 1:
        problems.append("%s: %d \"Default:\" lines, not one" % (key, len(defaults)))
    else:
        i = defaults[0]
        if spec["default"] == "":
            if not body[i].startswith("Default: not set"):
                problems.append("%s: the table has no default, the page says %r" % (key, body[i]))
        else:
            m = re.match(r"^\.Ql (\S+)", body[i + 1]) if body[i] == "Default:" and i + 1 < len(body) else None
            if m is None or m.group(1) != spec["default"]:
                problems.append("%s: default %r in the table, the page says %r" %
                                (key, spec["default"], " ".join(body[i:i + 2])))
    ranges = [line for line in body if line.startswith("Range:")]
    if typ in UNITS:
        m = re.fullmatch(r"Range: (\S+) to (\S+)\.", ranges[0]) if len(ranges) == 1 else None
        lo = scaled(m.group(1), UNITS[typ]) if m else None
        hi = scaled(m.group(2), UNITS[typ]) if m else None
        if (lo, hi) != (spec["min"], spec["max"]):
            problems.append("%s: range [%d, %d] in the table, the page says %r" %
                            (key, spec["min"], spec["max"], ranges))
    elif ranges:
        problems.append("%s: a range on a key that has none" % key)
    return problems


def main():
    with open(os.path.join(top, TABLE)) as f:
        table = read_table(f.read())
    with open(os.path.join(top, PAGE)) as f:
        entries = read_page(f.read())
    problems = []
    if not table:
        problems.append("no key found in %s: the pattern no longer matches" % TABLE)
    seen = set()
    for key, head, body in entries:
        if key in seen:
            problems.append("%s: documented twice in %s" % (key, PAGE))
        seen.add(key)
        if key not in table:
            problems.append("%s: in %s, not in the table" % (key, PAGE))
        else:
            problems += check_entry(key, table[key], head, body)
    problems += ["%s: in the table, not in %s" % (k, PAGE) for k in sorted(set(table) - seen)]
    for p in problems:
        print(p)
    print("%d keys, %d documented" % (len(table), len(set(table) & seen)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
