#!/bin/sh
# demo.sh - see cryptmilter work within a minute on a fresh Debian 12 machine
# (as root): installs what it needs, builds, starts a sandboxed Postfix on
# loopback with the milter and demo keys, sends one inbound message and shows
# the stored ciphertext and its decryption. Pass --keep to leave it running.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tests/install-deps.sh build-essential cmake pkg-config libmilter-dev libgpgme-dev \
    libssl-dev liblmdb-dev librnp-dev check gnupg gpg-agent python3 postfix swaks
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target cryptmilter >/dev/null
exec python3 tests/integration/demo.py --bindir build/milter "$@"
