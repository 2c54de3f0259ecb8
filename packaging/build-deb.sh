#!/bin/sh
# build-deb.sh OUTDIR - build cryptmilter_VERSION_ARCH.deb from this checkout
# with dpkg-buildpackage (packaging/debian/, debhelper) into OUTDIR.
# The build runs in a scratch copy of the tree, so the checkout is left as
# it is. The version has one home, CMakeLists.txt's project(... VERSION);
# debian/changelog is written from it in the copy only, so the package,
# `cryptmilter -V` and CMake agree. Needs: debhelper dpkg-dev fakeroot and
# the Build-Depends of packaging/debian/control.
# DEB_BUILD_OPTIONS is passed on (default "nocheck": the unit tests need
# the suite's fixture keyring and run in the suite).
set -eu
[ $# -eq 1 ] || { echo "usage: sh packaging/build-deb.sh OUTDIR" >&2; exit 64; }
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

version=$(sed -n 's/^project(cryptmilter VERSION \([0-9][0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$version" ] || { echo "build-deb.sh: no project(cryptmilter VERSION ...) in CMakeLists.txt" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cryptmilter-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
src="$scratch/cryptmilter-$version"
mkdir "$src"
# The checkout's files as they are now (committed or not), without build
# trees or anything git ignores.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -z --cached --others --exclude-standard |
        tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
else
    tar -C "$top" --exclude='./build*' -cf - . | tar -xf - -C "$src"
fi
cp -R "$top/packaging/debian" "$src/debian"
cp "$top/packaging/cryptmilter.service" "$src/debian/cryptmilter.service"
# Reproducible: the changelog's date is the last commit's (or now).
when=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
cat > "$src/debian/changelog" <<CHANGELOG
cryptmilter ($version) unstable; urgency=medium

  * Version $version, from CMakeLists.txt's project(VERSION).

 -- cryptmilter maintainers <cryptmilter@example.org>  $when
CHANGELOG

(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck}" \
    dpkg-buildpackage -b -us -uc >"$scratch/build.log" 2>&1) || {
    tail -n 60 "$scratch/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed" >&2
    exit 1
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="cryptmilter_${version}_${arch}.deb"
cp "$scratch/$deb" "$out/$deb"
echo "$out/$deb"
