#!/bin/sh
# run.sh BUILD SECONDS - build the libFuzzer harnesses with clang into BUILD
# and run each for SECONDS over a copy of its seed corpus, two at a time.
# Any crash, leak, sanitizer report or timeout fails the run; the input
# that caused it is left in BUILD/fuzz-artifacts.
set -eu
build=$1
secs=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
CC=clang cmake -S "$src" -B "$build" -DCM_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
mkdir -p "$build/fuzz-artifacts"
status=0
passed=0
failed=0
run_one() {
    name=$1
    corpus="$build/fuzz-corpus/$name"
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp "$src/tests/fuzz/seeds/$name/"* "$corpus/"
    if "$build/tests/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-" \
        "$corpus" >"$build/fuzz-$name.log" 2>&1; then
        echo "fuzz: $name ok ($(grep -m1 'stat::number_of_executed_units' "$build/fuzz-$name.log" | awk '{print $2}') runs)"
    else
        echo "fuzz: $name FAILED"
        tail -40 "$build/fuzz-$name.log"
        return 1
    fi
}
for pair in "header detect" "armor keyring" "config msg"; do
    set -- $pair
    run_one "$1" & p1=$!
    run_one "$2" & p2=$!
    for p in $p1 $p2; do
        if wait $p; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
    done
done
echo "fuzz: $passed passed, $failed failed"
exit $status
