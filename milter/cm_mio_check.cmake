# Whether libmilter's archive may have its socket reads read ahead and its
# writes kept (milter/cm_mio.h): it must call accept, close, read, poll and
# writev, and no other way to read or write a socket, wait on one or make
# a second descriptor for it, or cm_mio would hand bytes over or send them
# out of order, or never wake a session. nm -u lists what the archive's
# objects call.
#
# cm_mio_archive_check(NM ARCHIVE OUT): OUT is "" when the archive is fit,
# else the reasons. As a script (cmake -DNM=nm -DARCHIVE=libmilter.a -P
# cm_mio_check.cmake) it prints "ok" or fails with the reasons.
if(CMAKE_SCRIPT_MODE_FILE)
  cmake_policy(SET CMP0057 NEW)   # if(IN_LIST), as in the project
endif()

function(cm_mio_archive_check nm archive out)
  execute_process(COMMAND ${nm} -u ${archive}
                  OUTPUT_VARIABLE _undef ERROR_QUIET RESULT_VARIABLE _nm_rc)
  string(REGEX MATCHALL "U [A-Za-z0-9_]+" _calls "${_undef}")
  string(REPLACE "U " "" _calls "${_calls}")
  set(_why "")
  foreach(_need accept close read poll writev)
    if(NOT _need IN_LIST _calls)
      string(APPEND _why " it does not call ${_need};")
    endif()
  endforeach()
  # Reads and writes (with their 64-bit, _FORTIFY_SOURCE and libc-internal
  # names, printf to a descriptor, asynchronous and raw system calls),
  # waits, second descriptors, peeks at what the socket holds, stdio over
  # a descriptor, and closes and shutdowns that do not go through close.
  foreach(_other recv recvfrom recvmsg recvmmsg readv pread pread64 preadv preadv64
                 preadv2 preadv64v2 __read_chk __recv_chk __recvfrom_chk __pread_chk
                 __pread64_chk __read __recv __pread64 aio_read aio_read64
                 select pselect ppoll epoll_wait epoll_pwait epoll_pwait2
                 __poll_chk __ppoll_chk __poll __select aio_suspend aio_suspend64
                 accept4 dup dup2 dup3 __dup2 ioctl fdopen
                 close_range closefrom __close splice sendfile sendfile64 copy_file_range tee
                 send sendto sendmsg sendmmsg pwrite pwrite64 pwritev pwritev64 pwritev2
                 pwritev64v2 vmsplice shutdown __write __send __sendmmsg __pwrite64
                 dprintf vdprintf __dprintf_chk __vdprintf_chk aio_write aio_write64
                 lio_listio lio_listio64 syscall)
    if(_other IN_LIST _calls)
      string(APPEND _why " it calls ${_other};")
    endif()
  endforeach()
  if(NOT _nm_rc EQUAL 0)
    set(_why " nm failed;")
  endif()
  set(${out} "${_why}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND DEFINED ARCHIVE)
  cm_mio_archive_check("${NM}" "${ARCHIVE}" _why)
  if(_why STREQUAL "")
    message("ok")
  else()
    message(FATAL_ERROR "refused:${_why}")
  endif()
endif()
