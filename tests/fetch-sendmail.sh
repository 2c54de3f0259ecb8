#!/bin/sh
# fetch-sendmail.sh DEST - unpack Debian's Sendmail into DEST for the tests.
# sendmail-bin conflicts with postfix, so it is not installed: the packages
# are downloaded and extracted, and the tests run the binary from DEST
# (usr/libexec/sendmail/sendmail) with their own configuration, built from
# the extracted cf tree (usr/share/sendmail/cf). It needs libwrap0 and m4.
set -eu
dest=$1
bin="$dest/usr/libexec/sendmail/sendmail"
[ -x "$bin" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
get() { (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq sendmail-bin sendmail-cf >/dev/null); }
get || { apt-get update -qq && get; }
mkdir -p "$dest"
for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$dest"
done
[ -x "$bin" ] || { echo "fetch-sendmail: no $bin in the packages" >&2; exit 1; }
