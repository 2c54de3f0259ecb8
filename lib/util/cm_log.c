/* cm_log - fixed severities, printf-checked, syslog or stderr. */
#include "cm_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *log_ident = "cryptmilter";
static int log_stderr = 1;
static atomic_int log_level = LOG_INFO;     /* a reload changes it while threads log */

void cm_log_open(const char *ident, int to_stderr)
{
    log_ident = ident;
    log_stderr = to_stderr;
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void cm_log_close(void)
{
    if (!log_stderr)
        closelog();
}

void cm_log_set_level(int level)
{
    log_level = level;
}

int cm_log_level(void)
{
    return log_level;
}

static const char *prio_name(int prio)
{
    switch (prio) {
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

/* Copy in to out with every control byte as \\xNN; cut, and marked
 * "...", where it does not fit. len must be at least 8. */
static void escape_controls(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, room = len - 4;       /* keep room for "..." */

    for (; *in; in++) {
        unsigned char c = (unsigned char) *in;
        int ctl = c < 0x20 || c == 0x7f;

        if (o + (ctl ? 4 : 1) > room)
            break;
        if (ctl) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char) c;
        }
    }
    if (*in) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
}

__attribute__((format(printf, 3, 0)))
static void vlog(int prio, const char *suffix, const char *fmt, va_list ap)
{
    char line[2048], esc[2048];
    int n;

    if (prio > log_level)
        return;
    n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    /* A log line longer than the buffer is cut and marked, never overrun. */
    if ((size_t) n >= sizeof(line))
        memcpy(line + sizeof(line) - 4, "...", 4);
    /* A value from the wire (an address, a header) must not forge lines. */
    escape_controls(line, esc, sizeof(esc));
    if (log_stderr)
        fprintf(stderr, "%s: %s: %s%s%s\n", log_ident, prio_name(prio), esc,
                suffix ? ": " : "", suffix ? suffix : "");
    else
        syslog(prio, "%s%s%s", esc, suffix ? ": " : "", suffix ? suffix : "");
}

#define CM_LOG_FN(fn, prio) \
    void fn(const char *fmt, ...) \
    { \
        va_list ap; \
        va_start(ap, fmt); \
        vlog(prio, NULL, fmt, ap); \
        va_end(ap); \
    }

CM_LOG_FN(cm_log_error, LOG_ERR)
CM_LOG_FN(cm_log_warn, LOG_WARNING)
CM_LOG_FN(cm_log_notice, LOG_NOTICE)
CM_LOG_FN(cm_log_info, LOG_INFO)
CM_LOG_FN(cm_log_debug, LOG_DEBUG)

void cm_log_errno(const char *fmt, ...)
{
    int e = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_ERR, strerror(e), fmt, ap);
    va_end(ap);
    errno = e;
}
