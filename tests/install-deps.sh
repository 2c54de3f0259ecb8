#!/bin/sh
# install-deps.sh PACKAGE... - install the Debian packages not yet installed.
# Postfix comes without a system instance: the tests and the demo run their
# own private ones.
set -eu
missing=""
for p in "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing$missing"
apt-get update -qq
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
