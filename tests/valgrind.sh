#!/bin/sh
# valgrind.sh BUILDDIR - every unit test binary (not forked, so valgrind sees
# the test code) and the pipe filter on an encrypted, a skipped and a refused
# message must run without memory errors or leaks.
set -eu
build=$1
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
status=0
for t in "$build"/tests/test_cm_*; do
    if ! CK_FORK=no $vg "$t" >/dev/null 2>"$build/tests/tmp/vg-$(basename "$t").log"; then
        echo "valgrind: $(basename "$t") failed:"; cat "$build/tests/tmp/vg-$(basename "$t").log"
        status=1
    fi
done
conf="$build/tests/tmp/vg.conf"
printf 'KeyringDir %s/gnupg\nSpoolDir %s/tests/tmp\nMemoryBufferSize 4K\nMissingKeyAction reject\n' \
    "$CM_TEST_KEYRING" "$build" > "$conf"
msg="$build/tests/tmp/vg.eml"
{ printf 'From: a@ext.example\nSubject: valgrind\nContent-Type: text/plain\n\n'; seq 1 3000; } > "$msg"
run() {
    rc=0
    $vg "$build/milter/cryptmilter-filter" -c "$conf" --direction inbound --from a@ext.example \
        "$@" < "$msg" > /dev/null 2>"$build/tests/tmp/vg-filter.log" || rc=$?
    if [ "$rc" -eq 99 ]; then
        echo "valgrind: cryptmilter-filter $*:"; cat "$build/tests/tmp/vg-filter.log"; status=1
    fi
}
run --to alice@example.org
run --to nobody@example.org
run --to alice@example.org --to bob@example.org
[ $status -eq 0 ] && echo "valgrind: all clean"
exit $status
