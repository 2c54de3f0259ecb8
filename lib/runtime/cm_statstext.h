/* cm_statstext - the counters as text: the Prometheus text exposition
 * format (for StatsFile and node_exporter's textfile collector), and the
 * one summary line SIGUSR1 logs. Pure: a copy of the counters and the time
 * in, text out. */
#ifndef CM_STATSTEXT_H
#define CM_STATSTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "cm_buf.h"
#include "cm_stats.h"

/* Append s in the text exposition format to out; now: seconds since the
 * epoch, for the keyring's age. 0, or -1 (out of memory). */
int cm_statstext_prom(const cm_stats_snap *s, int64_t now, cm_buf *out);
/* The summary line ("stats: encrypted=N (pgpmime=..., smime=...) ...")
 * into buf, always NUL-terminated (truncated if len is too small). */
void cm_statstext_summary(const cm_stats_snap *s, int64_t now, char *buf, size_t len);

#endif
