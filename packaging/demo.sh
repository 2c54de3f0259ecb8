#!/bin/sh
# demo.sh - see cryptmilter work within a minute on a fresh Debian 12 machine
# (as root): installs what it needs, builds, starts a sandboxed Postfix on
# loopback with the milter and demo keys, sends one inbound message and shows
# the stored ciphertext and its decryption. Pass --keep to leave it running.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deps="build-essential cmake pkg-config libmilter-dev libgpgme-dev libssl-dev check
      gnupg gpg-agent python3 postfix swaks"
missing=""
for p in $deps; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "demo: installing$missing"
    apt-get update -qq
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target cryptmilter >/dev/null
exec python3 tests/integration/demo.py --bindir build/milter "$@"
