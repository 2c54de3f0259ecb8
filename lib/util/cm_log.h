/* cm_log - fixed severities, printf-checked, syslog or stderr. */
#ifndef CM_LOG_H
#define CM_LOG_H

#include <syslog.h>

/* to_stderr: log to stderr (foreground/filter); else syslog(LOG_MAIL). */
void cm_log_open(const char *ident, int to_stderr);
void cm_log_close(void);
/* Messages less severe than level (a LOG_* value) are dropped. */
void cm_log_set_level(int level);
int cm_log_level(void);

void cm_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cm_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cm_log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cm_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cm_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like cm_log_error, with ": strerror(errno)" appended. */
void cm_log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
