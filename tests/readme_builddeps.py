#!/usr/bin/env python3
"""The README's package build line installs every Build-Depends of
packaging/debian/control (bar debhelper-compat, which the line names as
debhelper, and check, which the package build leaves to the test
profile): a newcomer who follows it gets a package that builds."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def build_depends():
    text = open(os.path.join(ROOT, "packaging", "debian", "control")).read()
    m = re.search(r"^Build-Depends:(.*?)(?=^\S)", text, re.S | re.M)
    if not m:
        sys.exit("no Build-Depends in packaging/debian/control")
    names = set()
    for dep in m.group(1).split(","):
        name = dep.strip().split()[0] if dep.strip() else ""
        if name and name not in ("debhelper-compat", "check"):
            names.add(name)
    return names


def readme_line():
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"^    apt-get install (.*?)\n(?!        )", text, re.S | re.M)
    if not m:
        sys.exit("README.md has no indented 'apt-get install' line")
    return set(m.group(1).replace("\\", " ").split())


def main():
    missing = sorted(build_depends() - readme_line())
    if missing:
        sys.exit("README.md's apt-get line lacks Build-Depends: " + " ".join(missing))
    print("README.md's apt-get line has every Build-Depends")


if __name__ == "__main__":
    main()
