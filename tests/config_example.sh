#!/bin/sh
# `cryptmilter -n` on the example configuration as it is shipped, with the
# directories it names moved into a scratch directory: this machine need
# not have the package's (the package test checks the real paths). Its
# UserID is created if this machine lacks it, as the MTA tests do.
# usage: config_example.sh CRYPTMILTER CONF
set -eu
bin=$1
conf=$2
id cryptmilter >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin cryptmilter
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cm-config-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
install -d -o cryptmilter -m 0700 "$tmp/gnupg" "$tmp/spool"
install -d -o cryptmilter -m 0755 "$tmp/run" "$tmp/sock"
sed -E -e "s|^(Socket[[:space:]]+local:).*|\\1$tmp/sock/cryptmilter.sock|" \
    -e "s|^(PidFile[[:space:]]+).*|\\1$tmp/run/cryptmilter.pid|" \
    -e "s|^(KeyringDir[[:space:]]+).*|\\1$tmp/gnupg|" \
    -e "s|^(SpoolDir[[:space:]]+).*|\\1$tmp/spool|" "$conf" >"$tmp/cryptmilter.conf"
# Each key moved: the file still names them all.
for k in "Socket local:$tmp/sock/" "PidFile $tmp/run/" "KeyringDir $tmp/gnupg" \
         "SpoolDir $tmp/spool"; do
    grep -Eq "^${k%% *}[[:space:]]+${k#* }" "$tmp/cryptmilter.conf" \
        || { echo "config_example: $conf no longer sets ${k%% *}"; exit 1; }
done
out=$("$bin" -n -c "$tmp/cryptmilter.conf" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -qx 'MissingKeyAction split'
echo "$out" | grep -qx 'ReplayCache /var/lib/cryptmilter/replay'
! echo "$out" | grep -q 'LocalDomains is set but not implemented yet'
# As installed, the keyring is empty: said, but no failure.
echo "$out" | grep -q "warning: KeyringDir $tmp/gnupg holds no keys" \
    || { echo "$out"; echo "config_example: no empty-keyring warning"; exit 1; }
