#!/bin/sh
# milter/cm_mio_check.cmake against made-up archives: one that calls what
# libmilter 8.17 calls passes; each other way to read or write a socket,
# wait on it or close it behind cm_mio's back (libc's other names for read,
# write, poll and close included) must turn the read-ahead off, and so must
# an archive that never calls writev.
# Usage: mio_check.sh CC AR NM CMAKE SRCDIR WORKDIR
set -u
CC=$1 AR=$2 NM=$3 CMAKE=$4 SRC=$5 W=$6
mkdir -p "$W" || exit 1
fail=0
archive() {     # archive NAME EXTRA-CALL [BASE]: an object calling BASE (the five), and EXTRA-CALL
    base=${3:-accept close read poll writev}
    decl=$(echo $base $2 | sed 's/ /(), /g')
    body=$(echo $base $2 | sed 's/ /() + /g')
    printf '%s\n' "extern int $decl();" "int f(void) { return $body(); }" > "$W/$1.c"
    "$CC" -c -o "$W/$1.o" "$W/$1.c" && rm -f "$W/$1.a" && "$AR" rc "$W/$1.a" "$W/$1.o"
}
verdict() {
    "$CMAKE" -DNM="$NM" -DARCHIVE="$W/$1.a" -P "$SRC/milter/cm_mio_check.cmake" >/dev/null 2>&1
}
archive fit write || exit 1
if ! verdict fit; then
    echo "FAIL an archive calling accept, close, read, poll, writev and write is refused"; fail=1
fi
archive no_writev write "accept close read poll" || exit 1
if verdict no_writev; then
    echo "FAIL an archive that never calls writev keeps the read-ahead"; fail=1
fi
for call in recv recvmmsg __recvfrom_chk pread pread64 preadv2 preadv64 __pread_chk \
            __pread64_chk readv ppoll select epoll_pwait2 ioctl fdopen close_range closefrom \
            dup2 __read_chk __poll_chk send sendmsg sendto pwrite pwritev shutdown \
            __read __recv __poll __select __pread64 aio_read aio_read64 aio_suspend \
            __write __send __sendmmsg __pwrite64 dprintf vdprintf __dprintf_chk \
            __vdprintf_chk sendfile64 copy_file_range tee aio_write aio_write64 lio_listio \
            lio_listio64 syscall __close __dup2; do
    archive "with_$call" "$call" || exit 1
    if verdict "with_$call"; then
        echo "FAIL an archive that calls $call keeps the read-ahead"; fail=1
    fi
done
[ $fail = 0 ] && echo ok
exit $fail
