/* cm_replayuri - what a ReplayCache value names: a directory (LMDB, this
 * host) or a PostgreSQL server (a libpq URI, postgresql:// or
 * postgres://), and whether that URI is one the configuration may hold. */
#ifndef CM_REPLAYURI_H
#define CM_REPLAYURI_H

#include <stddef.h>

/* 1 if v is a PostgreSQL URI, else 0 (a path). */
int cm_replayuri_is_pg(const char *v);

/* 0, or -1 with err: a URI with a password (user:password@, or a
 * password= parameter): passwords belong in libpq's passfile (PGPASSFILE,
 * ~/.pgpass) or a client certificate, never in cryptmilter.conf. A path is
 * always 0. */
int cm_replayuri_check(const char *v, char *err, size_t errlen);

/* 0, or -1 with err: a URI that names a server by a host name (in its
 * host list or a host= parameter) without hostaddr=, or that takes its
 * hosts from a service= entry the configuration cannot see. libpq
 * resolves a name with getaddrinfo before its connect_timeout starts and
 * without any bound: a dead DNS server would hold a milter thread past
 * ReplayTimeout. Numeric addresses (IPv4, [IPv6]) and Unix socket paths
 * (an empty host, or one starting with '/' or '@', percent-encoded or
 * not) need no lookup. A path is always 0. */
int cm_replayuri_check_host(const char *v, char *err, size_t errlen);

#endif
