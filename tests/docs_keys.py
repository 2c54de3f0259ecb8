#!/usr/bin/env python3
"""Every key of the one configuration table (lib/conf/cm_config.c) has its row
in docs/configuration.md, and the reference names no key the table lacks:
a key parsed but not documented, or documented but gone, is a defect."""
import os
import re
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(top, "lib", "conf", "cm_config.c")) as f:
    table = set(re.findall(r'^\s*\{"([A-Za-z]+)", T_[A-Z]+,', f.read(), re.M))
with open(os.path.join(top, "docs", "configuration.md")) as f:
    documented = set(re.findall(r'^\| `([A-Za-z]+)` \|', f.read(), re.M))
problems = ["%s: in the table, not in docs/configuration.md" % k for k in sorted(table - documented)]
problems += ["%s: in docs/configuration.md, not in the table" % k for k in sorted(documented - table)]
if not table:
    problems.append("no key found in lib/conf/cm_config.c: the pattern no longer matches")
for p in problems:
    print(p)
print("%d keys, %d documented" % (len(table), len(table & documented)))
sys.exit(1 if problems else 0)
