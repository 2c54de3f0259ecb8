/* cm_stack - run a function on a stack the process keeps.
 *
 * libmilter's worker pool ends a thread whenever more than one is idle
 * and starts one when none is, and glibc hands every ended thread's used
 * stack back to the kernel (MADV_DONTNEED). End of message is where the
 * engines run, and librnp clears stream structures of 32 KiB each on the
 * stack: on a new thread every page of that faults in again. A stack from
 * this pool is mapped once and never given back, so its pages stay. */
#ifndef CM_STACK_H
#define CM_STACK_H

#include <stddef.h>

/* Calls fn(arg) on a stack from the pool, in the calling thread, and
 * returns when fn does. fn must return (no longjmp or thread exit out of
 * it). Without a pool stack (out of memory, or a build with sanitizers,
 * which do not follow a switch of stacks) fn runs on the thread's own. */
void cm_stack_run(void (*fn)(void *), void *arg);

/* How many stacks the pool keeps idle: above it, a stack given back is
 * unmapped. */
#define CM_STACK_KEEP 32

/* For tests: stacks mapped now (idle and in use), and whether the last
 * cm_stack_run in this thread ran on a pool stack. */
size_t cm_stack_mapped(void);
int cm_stack_last_pooled(void);

#endif
