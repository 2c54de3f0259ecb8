/* cm_statsfile - StatsFile: the counters (cm_stats) written in the
 * Prometheus text format every StatsInterval by one thread of the daemon,
 * and once more when it stops, for node_exporter's textfile collector. The
 * file is replaced atomically (a temporary file beside it, renamed), so the
 * collector never reads half of one. The thread reads StatsFile and
 * StatsInterval from the configuration in use each time: a reload moves
 * it. */
#ifndef CM_STATSFILE_H
#define CM_STATSFILE_H

#include <stddef.h>

#include "cm_gateway.h"

/* Replace path with the n bytes of text: a temporary file in the same
 * directory (mode 0644), renamed over it. 0, or -1 with errno (the
 * temporary file removed). */
int cm_statsfile_replace(const char *path, const char *text, size_t n);
/* Write the counters to path now. 0, or -1 (logged). */
int cm_statsfile_write(const char *path);
/* The summary line to the log (SIGUSR1). */
void cm_statsfile_log(void);

typedef struct cm_statsfile cm_statsfile;

/* Start the writer thread over gw's configuration (gw outlives it). NULL
 * (logged) if it cannot be started. */
cm_statsfile *cm_statsfile_start(cm_gateway *gw);
/* Stop the thread, write the file a last time (if StatsFile is set) and
 * free w. NULL is ignored. */
void cm_statsfile_stop(cm_statsfile *w);

#endif
