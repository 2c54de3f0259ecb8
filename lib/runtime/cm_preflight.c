/* cm_preflight - what `cryptmilter -n` checks before a daemon runs. */
#include "cm_preflight.h"
#include "cm_archkeys.h"
#include "cm_engines.h"
#include "cm_replay.h"
#include "cm_replayuri.h"
#include "cm_policy.h"
#include "cm_spool.h"
#include "cm_syncstamp.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static void say(cm_preflight *p, int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    (void) vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (level == LOG_ERR)
        p->errors++;
    p->emit(level, line, p->arg);
}

/* A mistake about key's path: "where: Key path: cause; fix: ..." */
__attribute__((format(printf, 5, 6)))
static void mistake(cm_preflight *p, const char *key, const char *path, const char *cause,
                    const char *fixfmt, ...)
{
    char where[PATH_MAX + 32], fix[1024];
    va_list ap;

    va_start(ap, fixfmt);
    (void) vsnprintf(fix, sizeof(fix), fixfmt, ap);
    va_end(ap);
    say(p, LOG_ERR, "%s: %s %s: %s; %s", cm_config_where(p->cfg, key, where, sizeof(where)),
        key, path, cause, fix);
}

/* The directory part of path into dir ("." for a bare name). 0, or -1 if
 * it does not fit. */
static int dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : slash == path ? 1 : (size_t) (slash - path);

    if (n + 1 > len)
        return -1;
    memcpy(dir, slash == NULL ? "." : path, n);
    dir[n] = 0;
    return 0;
}

/* Is dir a directory the process may use with mode (access(2) bits)? 0, or
 * -1 with errno (ENOTDIR for another kind of file). */
static int usable_dir(const char *dir, int mode)
{
    struct stat st;

    if (stat(dir, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return access(dir, mode);
}

const char *cm_preflight_socket_path(const char *sock)
{
    if (strncmp(sock, "local:", 6) == 0)
        return sock + 6;
    if (strncmp(sock, "unix:", 5) == 0)
        return sock + 5;
    if (*sock == '/')
        return sock;
    return NULL;
}

int cm_preflight_socket_dir(const char *sock, char *why, size_t len)
{
    const char *path = cm_preflight_socket_path(sock);
    char dir[PATH_MAX];

    if (path == NULL)
        return 0;
    if (dir_of(path, dir, sizeof(dir)) < 0) {
        snprintf(why, len, "%s: %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    if (usable_dir(dir, W_OK | X_OK) < 0) {
        snprintf(why, len, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void cm_preflight_socket(cm_preflight *p)
{
    const char *path = cm_preflight_socket_path(p->cfg->socket);
    char dir[PATH_MAX];

    if (path == NULL)
        return;
    if (dir_of(path, dir, sizeof(dir)) < 0)
        mistake(p, "Socket", p->cfg->socket, strerror(ENAMETOOLONG), "fix: a shorter path");
    else if (usable_dir(dir, W_OK | X_OK) < 0)
        mistake(p, "Socket", p->cfg->socket, strerror(errno),
                "fix: the socket's directory must exist and be writable: install -d -o %s "
                "-g GROUP -m 2750 %s (GROUP: the MTA's, e.g. postfix, so that it may connect)",
                p->owner, dir);
}

gid_t cm_preflight_socket_gid(const char *dir, gid_t egid)
{
    struct stat st;

    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISGID))
        return st.st_gid;
    return egid;
}

void cm_preflight_socket_group(cm_preflight *p, gid_t gid, int root)
{
    const char *path = cm_preflight_socket_path(p->cfg->socket);
    char dir[PATH_MAX], cause[128];
    gid_t made;

    if (path == NULL || dir_of(path, dir, sizeof(dir)) < 0)
        return;
    if ((made = cm_preflight_socket_gid(dir, getegid())) == gid)
        return;
    snprintf(cause, sizeof(cause), "a socket made there by %s would have group %ld, not "
             "UserID's %ld", p->owner, (long) made, (long) gid);
    if (root) {
        /* Root gives the socket its group at start; a daemon started as
         * the user (systemd's User=) cannot (its filter forbids chown). */
        say(p, LOG_WARNING, "Socket %s: started as %s (systemd's User=), %s; fix: chgrp %ld %s "
            "&& chmod g+s %s", p->cfg->socket, p->owner, "it could not give the socket "
            "UserID's group", (long) gid, dir, dir);
        return;
    }
    mistake(p, "Socket", p->cfg->socket, cause, "fix: make its directory setgid to that group "
            "(the daemon does not chown as a user, and the unit forbids it): chgrp %ld %s && "
            "chmod g+s %s", (long) gid, dir, dir);
}

static void check_keyring_dir(cm_preflight *p)
{
    const char *dir = p->cfg->keyring_dir;

    if (!cm_config_has_keyring(p->cfg) || usable_dir(dir, R_OK | X_OK) == 0)
        return;
    if (errno == ENOENT)
        mistake(p, "KeyringDir", dir, strerror(errno), "create it: install -d -o %s -m 0700 %s, "
                "then import the recipients' keys: gpg --homedir %s --import KEYS", p->owner,
                dir, dir);
    else
        mistake(p, "KeyringDir", dir, strerror(errno), "fix: it must be a directory %s may "
                "read: chown -R %s %s", p->owner, p->owner, dir);
}

/* A body spilled to SpoolDir, as the daemon spills one. */
static void check_spool(cm_preflight *p)
{
    const char *dir = p->cfg->spool_dir;
    cm_spool *s = cm_spool_new(0, dir);
    int e;

    if (s == NULL) {
        say(p, LOG_ERR, "SpoolDir: out of memory");
        return;
    }
    e = cm_spool_write(s, "x", 1) < 0 ? errno : 0;
    cm_spool_free(s);
    if (e == ENOENT)
        mistake(p, "SpoolDir", dir, strerror(e), "create it: install -d -o %s -m 0700 %s",
                p->owner, dir);
    else if (e != 0)
        mistake(p, "SpoolDir", dir, strerror(e), "fix: %s must be able to create files in it: "
                "chown %s %s; chmod 0700 %s", p->owner, p->owner, dir, dir);
}

/* A shared replay cache (PostgreSQL): connected to, and asked whether it
 * is a writable primary that commits synchronously, with the schema and
 * the epoch stamp; no synchronous standby is a loud warning. */
static void check_replay_server(cm_preflight *p)
{
    char err[1024], warn[512], where[PATH_MAX + 32];
    cm_replay *r = cm_replay_new();

    if (r == NULL) {
        say(p, LOG_ERR, "ReplayCache: out of memory");
        return;
    }
    cm_replay_configure(r, p->cfg->replay_node, p->cfg->replay_timeout);
    if (cm_replay_check(r, p->cfg->replay_cache, p->cfg->replay_cache_size, err, sizeof(err),
                        warn, sizeof(warn)) < 0)
        say(p, LOG_ERR, "%s: ReplayCache: %s", cm_config_where(p->cfg, "ReplayCache", where,
            sizeof(where)), err);
    else if (!warn[0])
        say(p, LOG_INFO, "ReplayCache: the PostgreSQL server is a writable primary, "
            "initialised");
    if (warn[0])
        say(p, LOG_WARNING, "%s: ReplayCache: %s", cm_config_where(p->cfg, "ReplayCache",
            where, sizeof(where)), warn);
    cm_replay_free(r);
}

/* A directory of the daemon's state, made by it on first use if its
 * parent is there (or is made_in, itself made first; NULL: none): a
 * mistake unless it is there and writable or can be made. */
static void check_state_dir(cm_preflight *p, const char *key, const char *dir, const char *made_in)
{
    char parent[PATH_MAX], grand[PATH_MAX];

    if (usable_dir(dir, W_OK | X_OK) == 0)
        return;
    if (errno == ENOENT && dir_of(dir, parent, sizeof(parent)) == 0) {
        if (usable_dir(parent, W_OK | X_OK) == 0)
            return;
        if (errno == ENOENT && made_in != NULL && strcmp(parent, made_in) == 0
            && dir_of(parent, grand, sizeof(grand)) == 0 && usable_dir(grand, W_OK | X_OK) == 0)
            return;
        mistake(p, key, dir, strerror(errno), "it cannot be created (%s); create it: "
                "install -d -o %s -m 0700 %s", parent, p->owner, dir);
        return;
    }
    mistake(p, key, dir, strerror(errno), "fix: it must be a directory %s may "
            "write: chown %s %s", p->owner, p->owner, dir);
}

/* The replay cache's directory (LMDB's): only used to decrypt outbound
 * mail. */
static void check_replay(cm_preflight *p)
{
    const char *dir = p->cfg->replay_cache;

    if (p->cfg->gateway_keys.n == 0 && p->cfg->gateway_certificates.n == 0)
        return;
    if (cm_replayuri_is_pg(dir)) {
        check_replay_server(p);
        return;
    }
    check_state_dir(p, "ReplayCache", dir, NULL);
}

/* KeyDiscovery wkd: the discovered keyring and the cache of answers, both
 * written by the daemon (the cache, by default, inside the keyring's
 * directory, which is made first). */
static void check_discovery(cm_preflight *p)
{
    if (p->cfg->key_discovery != CM_DISCOVERY_WKD || !p->cfg->opportunistic)
        return;
    check_state_dir(p, "KeyDiscoveryDir", p->cfg->key_discovery_dir, NULL);
    check_state_dir(p, "KeyDiscoveryCache", p->cfg->key_discovery_cache,
                    p->cfg->key_discovery_dir);
}

static void check_pid_file(cm_preflight *p)
{
    char dir[PATH_MAX];

    if (*p->cfg->pid_file == 0)
        return;
    if (dir_of(p->cfg->pid_file, dir, sizeof(dir)) < 0)
        mistake(p, "PidFile", p->cfg->pid_file, strerror(ENAMETOOLONG), "fix: a shorter path");
    else if (usable_dir(dir, W_OK | X_OK) < 0)
        mistake(p, "PidFile", p->cfg->pid_file, strerror(errno), "the daemon writes it as %s "
                "once it has dropped root; create its directory: install -d -o %s -m 0755 %s",
                p->owner, p->owner, dir);
}

/* StatsFile is replaced by rename: its directory must take a new file. */
static void check_stats_file(cm_preflight *p)
{
    char dir[PATH_MAX];

    if (*p->cfg->stats_file == 0)
        return;
    if (dir_of(p->cfg->stats_file, dir, sizeof(dir)) < 0)
        mistake(p, "StatsFile", p->cfg->stats_file, strerror(ENAMETOOLONG), "fix: a shorter path");
    else if (usable_dir(dir, W_OK | X_OK) < 0)
        mistake(p, "StatsFile", p->cfg->stats_file, strerror(errno), "the daemon writes a new "
                "file beside it as %s and renames it; let it write the directory: setfacl -m "
                "u:%s:rwx %s (under systemd also ReadWritePaths=%s, in a drop-in: systemctl "
                "edit cryptmilter)", p->owner, p->owner, dir, dir);
}

void cm_preflight_dirs(cm_preflight *p)
{
    size_t before = p->errors;
    char err[1024];

    check_keyring_dir(p);
    check_spool(p);
    check_replay(p);
    check_discovery(p);
    check_pid_file(p);
    check_stats_file(p);
    /* Whatever a SIGHUP with this file would refuse, -n refuses too. */
    if (p->errors == before && cm_config_check_reload(p->cfg, p->cfg->path ? p->cfg->path : "",
                                                      err, sizeof(err)) < 0)
        say(p, LOG_ERR, "%s; a reload would refuse this file too", err);
}

/* KeyringMaxAge set and keysync's stamp missing or too old: the daemon
 * would defer every recipient. Not a mistake in the file (a directory
 * outage looks the same), so a warning. */
static void check_sync_stamp(cm_preflight *p, int64_t now)
{
    const cm_config *cfg = p->cfg;
    int64_t stamp = -1;

    if (cfg->keyring_max_age == 0)
        return;
    if (!cm_config_has_keyring(cfg)) {
        /* keysync's stamp lives in KeyringDir: with none there is nothing
         * to measure, and a setting that does nothing is said aloud. */
        say(p, LOG_WARNING, "KeyringMaxAge has no effect with KeyringDir none (the stamp"
            " cryptmilter-keysync writes is kept in KeyringDir)");
        return;
    }
    if (cm_syncstamp_read(cfg->keyring_dir, &stamp) < 0)
        stamp = -1;
    if (cm_policy_keyring_fresh(cfg->keyring_max_age, stamp, now) == CM_OK)
        return;
    if (stamp < 0)
        say(p, LOG_WARNING, "KeyringMaxAge %llus: %s/%s is missing: every recipient is deferred"
            " (451) until cryptmilter-keysync has run once", (unsigned long long)
            cfg->keyring_max_age, cfg->keyring_dir, CM_SYNCSTAMP_NAME);
    else
        say(p, LOG_WARNING, "KeyringMaxAge %llus: KeyringDir was last synchronised %llds ago:"
            " every recipient is deferred (451) until cryptmilter-keysync succeeds",
            (unsigned long long) cfg->keyring_max_age, (long long) (now - stamp));
}

void cm_preflight_keyring(cm_preflight *p, int64_t now)
{
    const char *dir = p->cfg->keyring_dir;
    cm_keyring_summary sum;
    char err[1024];
    cm_stat st;

    if (!cm_config_has_keyring(p->cfg)) {
        say(p, LOG_INFO, "KeyringDir none: no OpenPGP recipients");
        check_sync_stamp(p, now);
        return;
    }
    if (usable_dir(dir, R_OK | X_OK) < 0)
        return;                 /* cm_preflight_dirs said why */
    st = cm_engines_check_keyring(p->cfg, now, CM_PREFLIGHT_EXPIRY_WINDOW, &sum, err,
                                  sizeof(err));
    if (st != CM_OK)
        mistake(p, "KeyringDir", dir, err, "fix: restore the keyring from a backup, or import "
                "the keys again into a new, empty directory (gpg --homedir NEWDIR --import "
                "KEYS) and point KeyringDir at it");
    else if (sum.keys == 0)
        say(p, LOG_WARNING, "KeyringDir %s holds no keys: until they are imported, mail that "
            "needs a key lookup is deferred (4xx); import them: gpg --homedir %s --import KEYS",
            dir, dir);
    else
        say(p, LOG_INFO, "KeyringDir: %zu keys, %zu addresses, %zu expiring within %d days",
            sum.keys, sum.addrs, sum.expiring, CM_PREFLIGHT_EXPIRY_WINDOW / 86400);
    check_sync_stamp(p, now);
}

void cm_preflight_maps(cm_preflight *p)
{
    const cm_config *cfg = p->cfg;
    char err[1024];
    cm_addrpol *pol;
    cm_alias *al;

    if (*cfg->encryption_policy) {
        if ((pol = cm_addrpol_load(cfg->encryption_policy, err, sizeof(err))) == NULL)
            mistake(p, "EncryptionPolicy", cfg->encryption_policy, err, "fix: make it readable "
                    "by %s, who reads it again on every reload", p->owner);
        else
            say(p, LOG_INFO, "EncryptionPolicy: %zu rules", cm_addrpol_count(pol));
        cm_addrpol_free(pol);
    }
    if (*cfg->key_aliases) {
        if ((al = cm_alias_load(cfg->key_aliases, err, sizeof(err))) == NULL)
            mistake(p, "KeyAliases", cfg->key_aliases, err, "fix: make it readable by %s, who "
                    "reads it again on every reload", p->owner);
        else
            say(p, LOG_INFO, "KeyAliases: %zu aliases", cm_alias_count(al));
        cm_alias_free(al);
    }
}

/* What archive_one needs besides the key. */
typedef struct archive_arg {
    cm_preflight *p;
    int64_t now;
} archive_arg;

/* t as a date (UTC), "never" for 0. */
static void date_of(int64_t t, char out[32])
{
    time_t tt = (time_t) t;
    struct tm tm;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%d", &tm) == 0)
        snprintf(out, 32, "%s", t <= 0 ? "never" : "unknown");
}

/* One archive key: a line if it can encrypt, else a mistake: with it,
 * every message the gateway would encrypt is deferred. */
static int archive_one(void *arg, const cm_keyinfo *k)
{
    archive_arg *a = arg;
    cm_preflight *p = a->p;
    const char *dir = p->cfg->keyring_dir;
    int cert = cm_archkeys_is_cert(k->id);
    char date[32];

    date_of(k->expires, date);
    switch (k->state) {
    case CM_KEY_USABLE:
        say(p, LOG_INFO, "EncryptToSelf: %s usable until %s", k->id, date);
        if (k->expires > 0 && k->expires - a->now < CM_PREFLIGHT_EXPIRY_WINDOW)
            say(p, LOG_WARNING, "EncryptToSelf: %s expires within %d days: from then on every "
                "message the gateway would encrypt is deferred until it is renewed", k->id,
                CM_PREFLIGHT_EXPIRY_WINDOW / 86400);
        break;
    case CM_KEY_MISSING:
        if (cert)
            mistake(p, "EncryptToSelf", k->id, access(k->id, R_OK) < 0 ? strerror(errno)
                    : "no PEM certificate in it", "fix: put the archive certificate there (PEM) "
                    "readable by %s", p->owner);
        else
            mistake(p, "EncryptToSelf", k->id, "not in KeyringDir", "fix: import the archive "
                    "key's public part: gpg --homedir %s --import ARCHIVE-KEY.asc", dir);
        break;
    default:
        mistake(p, "EncryptToSelf", k->id, k->state == CM_KEY_EXPIRED ? "expired"
                : k->state == CM_KEY_REVOKED ? "revoked" : k->state == CM_KEY_DISABLED
                ? "disabled" : "cannot encrypt", "fix: %s, or name another archive key: every "
                "message the gateway would encrypt is deferred until then", cert
                ? "replace the certificate with a valid one that allows encryption"
                : "extend or replace the key and import it again");
        break;
    }
    return 0;
}

void cm_preflight_archive(cm_preflight *p, int64_t now)
{
    archive_arg a = {p, now};
    char err[1024];

    if (p->cfg->encrypt_to_self.n == 0)
        return;
    if (cm_archkeys_count(&p->cfg->encrypt_to_self, 0) > 0 && cm_config_has_keyring(p->cfg)
        && usable_dir(p->cfg->keyring_dir, R_OK | X_OK) < 0)
        return;                 /* cm_preflight_dirs said why */
    if (cm_engines_list_archive(p->cfg, now, archive_one, &a, err, sizeof(err)) != CM_OK)
        mistake(p, "EncryptToSelf", p->cfg->keyring_dir, err, "fix: see KeyringDir above");
}
