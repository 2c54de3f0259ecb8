/* cm_statsfile - StatsFile, written by one thread of the daemon. */
#include "cm_statsfile.h"
#include "cm_buf.h"
#include "cm_log.h"
#include "cm_stats.h"
#include "cm_statstext.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cm_statsfile {
    cm_gateway *gw;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;    /* signalled to stop; on CLOCK_MONOTONIC */
    int stop;
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

int cm_statsfile_replace(const char *path, const char *text, size_t n)
{
    cm_buf tmp = CM_BUF_INIT;
    int fd, e;

    /* Beside path, so rename stays in one file system; not ending in
     * .prom, so the collector never reads it. No fsync: after a crash the
     * file may be empty until the next interval rewrites it, which costs
     * one scrape of counters that restart from zero anyway; a disk flush
     * every StatsInterval on a mail server's spool disk costs more. */
    if (cm_buf_printf(&tmp, "%s.XXXXXX", path) < 0)
        return -1;
    if ((fd = mkstemp((char *) tmp.data)) < 0) {
        e = errno;
        cm_buf_free(&tmp);
        errno = e;
        return -1;
    }
    if (fchmod(fd, 0644) < 0 || write_all(fd, text, n) < 0) {
        e = errno;
        (void) close(fd);
        goto failed;
    }
    if (close(fd) < 0 || rename((char *) tmp.data, path) < 0) {
        e = errno;
        goto failed;
    }
    cm_buf_free(&tmp);
    return 0;
failed:
    (void) unlink((char *) tmp.data);
    cm_buf_free(&tmp);
    errno = e;
    return -1;
}

int cm_statsfile_write(const char *path)
{
    cm_stats_snap s;
    cm_buf text = CM_BUF_INIT;
    int rc = 0;

    cm_stats_read(&s);
    if (cm_statstext_prom(&s, (int64_t) time(NULL), &text) < 0) {
        cm_log_error("StatsFile %s: out of memory", path);
        rc = -1;
    } else if (cm_statsfile_replace(path, cm_buf_str(&text), text.len) < 0) {
        cm_log_errno("StatsFile %s", path);
        rc = -1;
    }
    cm_buf_free(&text);
    return rc;
}

void cm_statsfile_log(void)
{
    cm_stats_snap s;
    char line[512];

    cm_stats_read(&s);
    cm_statstext_summary(&s, (int64_t) time(NULL), line, sizeof(line));
    cm_log_notice("%s", line);
}

/* Write if StatsFile is set; the seconds until the next time. */
static uint64_t write_now(cm_gateway *gw)
{
    const cm_config *cfg = cm_confhold_get(gw->conf);
    uint64_t interval = cfg->stats_interval;

    if (*cfg->stats_file)
        (void) cm_statsfile_write(cfg->stats_file);
    cm_confhold_put(gw->conf, cfg);
    return interval > 0 ? interval : 1;
}

static void *run(void *arg)
{
    cm_statsfile *w = arg;
    struct timespec until;

    (void) pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        uint64_t interval;

        (void) pthread_mutex_unlock(&w->lock);
        interval = write_now(w->gw);
        (void) pthread_mutex_lock(&w->lock);
        if (clock_gettime(CLOCK_MONOTONIC, &until) < 0)
            break;      /* cannot happen with CLOCK_MONOTONIC; never spin */
        until.tv_sec += (time_t) interval;
        while (!w->stop && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT)
            ;
    }
    (void) pthread_mutex_unlock(&w->lock);
    return NULL;
}

cm_statsfile *cm_statsfile_start(cm_gateway *gw)
{
    cm_statsfile *w = calloc(1, sizeof(*w));
    pthread_condattr_t ca;
    int e;

    if (w == NULL) {
        cm_log_error("StatsFile writer: out of memory");
        return NULL;
    }
    w->gw = gw;
    if ((e = pthread_condattr_init(&ca)) != 0) {
        free(w);
        cm_log_error("StatsFile writer: %s", strerror(e));
        return NULL;
    }
    if ((e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) == 0
        && (e = pthread_cond_init(&w->cond, &ca)) == 0) {
        if ((e = pthread_mutex_init(&w->lock, NULL)) != 0)
            (void) pthread_cond_destroy(&w->cond);
        else if ((e = pthread_create(&w->thread, NULL, run, w)) != 0) {
            (void) pthread_mutex_destroy(&w->lock);
            (void) pthread_cond_destroy(&w->cond);
        }
    }
    (void) pthread_condattr_destroy(&ca);
    if (e != 0) {
        free(w);
        cm_log_error("StatsFile writer: %s", strerror(e));
        return NULL;
    }
    return w;
}

void cm_statsfile_stop(cm_statsfile *w)
{
    if (w == NULL)
        return;
    (void) pthread_mutex_lock(&w->lock);
    w->stop = 1;
    (void) pthread_cond_signal(&w->cond);
    (void) pthread_mutex_unlock(&w->lock);
    (void) pthread_join(w->thread, NULL);
    (void) write_now(w->gw);
    (void) pthread_mutex_destroy(&w->lock);
    (void) pthread_cond_destroy(&w->cond);
    free(w);
}
