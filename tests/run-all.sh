#!/bin/sh
# run-all.sh - install what the tests need (Debian 12), build twice (plain,
# and with ASan/UBSan) and run the whole suite: unit, integration (once per
# OpenPGP backend; the MTA suites under librnp only in the plain run), valgrind;
# then each libFuzzer harness for a bounded time (CM_FUZZ_SECONDS, 60).
# Run as root on a fresh machine, from anywhere: sh tests/run-all.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sh tests/install-deps.sh build-essential cmake pkg-config libmilter-dev libgpgme-dev \
    libssl-dev liblmdb-dev librnp-dev check gnupg gpg-agent sq rnp miltertest python3 valgrind openssl postfix swaks \
    m4 libwrap0 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 liblockfile1 util-linux \
    mandoc \
    opendkim opendkim-tools python3-dkim \
    postgresql libpq-dev \
    slapd ldap-utils libldap-dev \
    libcurl4-openssl-dev \
    libidn2-dev \
    clang libclang-rt-14-dev pyflakes3 faketime \
    debhelper dpkg-dev lintian fakeroot strace systemd

jobs=$(nproc)
# Twice as many test slots as cores: the MTA and fault suites (in shards)
# mostly wait on queues and timeouts.
slots=$((jobs * 2))
echo "run-all: plain build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs" >/dev/null
(cd build && ctest --output-on-failure -j "$slots")

echo "run-all: ASan/UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCM_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j "$slots" -LE 'valgrind|rnp_mta|package')

echo "run-all: libFuzzer harnesses, ${CM_FUZZ_SECONDS:-60} s each"
sh tests/fuzz/run.sh build-fuzz "${CM_FUZZ_SECONDS:-60}"
