/* cryptmilter - the milter daemon: options, config, socket, privileges. */
#define _GNU_SOURCE             /* pthread_setattr_default_np */
#include "cm_confhold.h"
#include "cm_config.h"
#include "cm_gateway.h"
#include "cm_log.h"
#include "cm_milter.h"
#include "cm_preflight.h"
#include "cm_privdrop.h"
#include "cm_reload.h"
#include "cm_statsfile.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONF "/etc/cryptmilter/cryptmilter.conf"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: cryptmilter [-c CONF] [-n] [-f] [-V]\n"
            "       cryptmilter --replay-init [-c CONF]\n"
            "  -c CONF  configuration file (default " DEFAULT_CONF ")\n"
            "  -n       check the configuration, print it and exit\n"
            "           (exit 78 and a line with the fix for each mistake)\n"
            "  -f       stay in the foreground and log to stderr\n"
            "  -V       print the version and exit\n"
            "  --replay-init  create the replay cache's schema where missing and stamp\n"
            "           its epoch: signatures made before now are refused\n");
}

/* cm_preflight's lines: mistakes and warnings to the log (stderr under
 * -n), what was found after the dump as "# " comments. */
static void print_check(int level, const char *line, void *arg)
{
    if (level == LOG_ERR)
        cm_log_error("%s", line);
    else if (level == LOG_WARNING)
        cm_log_warn("%s", line);
    else
        fprintf(arg, "# %s\n", line);
}

/* The user the daemon runs as, for the fixes -n prints: UserID's user
 * part, else the one running the check. */
static void owner_name(const cm_config *cfg, char *buf, size_t len)
{
    struct passwd *pw;

    if (*cfg->user_id) {
        snprintf(buf, len, "%.*s", (int) strcspn(cfg->user_id, ":"), cfg->user_id);
        return;
    }
    pw = getpwuid(geteuid());
    snprintf(buf, len, "%s", pw != NULL ? pw->pw_name : "USER");
}

static void print_line(const char *line, void *arg)
{
    fprintf(arg, "%s\n", line);
}

static int daemonize(void)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0 || chdir("/") < 0)
        return -1;
    if ((fd = open("/dev/null", O_RDWR)) < 0)
        return -1;
    if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
        return -1;
    if (fd > 2)
        (void) close(fd);
    return 0;
}

static int write_pidfile(const char *path)
{
    FILE *fp = fopen(path, "we");

    if (fp == NULL) {
        cm_log_errno("PidFile %s", path);
        return -1;
    }
    fprintf(fp, "%ld\n", (long) getpid());
    if (fclose(fp) != 0) {
        cm_log_errno("PidFile %s", path);
        return -1;
    }
    return 0;
}

/* SIGHUP: the runtime reads the file again (cm_gateway_reload). */
static void reload(void)
{
    (void) cm_gateway_reload(cm_milter_gw);
}

/* glibc hands an arena's free top back to the kernel once it passes a
 * threshold that starts at 128 KiB, and allocations above another are
 * mmapped and unmapped each time: every message's buffers (librnp's
 * among them) then faulted in afresh. perf put page faults and madvise at
 * about 12 % of the daemon's CPU for 10 KiB messages. Keep what was once
 * needed (bounded: 16 MiB of free top per arena; buffers of 4 MiB and
 * more still come from mmap). */
static void tune_malloc(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    if (mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024) != 1
        || mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024) != 1)
        cm_log_warn("mallopt failed: glibc's defaults stay");
#endif
}

/* libmilter starts a thread for each MTA connection, and Postfix opens one
 * per SMTP session: with glibc's default (RLIMIT_STACK, 8 MiB) its cache of
 * 40 MiB keeps four stacks, so under ten sessions most threads got a fresh
 * mapping, faulted in the pages librnp zeroes on the stack for its output
 * buffers, and were unmapped again with a TLB shootdown. 1 MiB stacks stay
 * in the cache, and are four times what the outbound (gpgme and rnp),
 * S/MIME, WKD and filter suites needed: they pass under `ulimit -s 256`,
 * which glibc takes as the default stack. perf and /proc:
 * 10 KiB messages over ten connections, 0.93 against 0.84 ms of the
 * daemon's CPU a message (docs/benchmarks.md). Not under the sanitizers,
 * whose frames are larger. */
#define THREAD_STACK (1024 * 1024)
/* Below each thread's stack, inaccessible, as below the pool's stacks
 * (cm_stack.c): librnp has frames of 160 KiB and no stack probes, so a
 * page of guard could be jumped over into the next thread's stack. End of
 * message runs on the pool's stacks; this covers what does not (a reload's
 * keyring loads, end of message when no pool stack could be mapped).
 * Address space only. */
#define THREAD_GUARD (256 * 1024)

static void tune_threads(void)
{
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(CM_SANITIZED)
    pthread_attr_t a;
    int e;

    if ((e = pthread_attr_init(&a)) != 0) {
        cm_log_warn("pthread_attr_init: %s: default thread stacks stay", strerror(e));
        return;
    }
    if ((e = pthread_attr_setstacksize(&a, THREAD_STACK)) != 0
        || (e = pthread_attr_setguardsize(&a, THREAD_GUARD)) != 0
        || (e = pthread_setattr_default_np(&a)) != 0)
        cm_log_warn("thread stack size: %s: the default stays", strerror(e));
    (void) pthread_attr_destroy(&a);
#endif
}

/* cryptmilter --replay-init: as the daemon's user (the files it makes
 * are the daemon's), create the store's schema and stamp its epoch. */
static int init_replay(const cm_config *cfg, const char *user, uid_t uid, gid_t gid)
{
    cm_replay *r;
    char err[1024];
    int rc;

    if (user != NULL && getuid() == 0 && cm_privdrop_drop(user, uid, gid) < 0)
        return EX_OSERR;
    if ((r = cm_replay_new()) == NULL) {
        fprintf(stderr, "cryptmilter: out of memory\n");
        return EX_OSERR;
    }
    cm_replay_configure(r, cfg->replay_node, cfg->replay_timeout);
    rc = cm_replay_init(r, cfg->replay_cache, cfg->replay_cache_size, (int64_t) time(NULL), err,
                        sizeof(err));
    cm_replay_free(r);
    if (rc < 0) {
        fprintf(stderr, "cryptmilter: ReplayCache: %s\n", err);
        return EX_UNAVAILABLE;
    }
    printf("cryptmilter: replay cache initialised; signatures made before now are refused\n");
    return EX_OK;
}

int main(int argc, char **argv)
{
    const char *conf = DEFAULT_CONF, *sockpath;
    int c, check = 0, foreground = 0, rc, idle;
    char err[1024], conf_path[PATH_MAX], *user = NULL;
    cm_stat st;
    uid_t uid = 0;
    gid_t gid = 0;
    cm_config *cfg;
    const cm_config *held = NULL;
    cm_statsfile *stats;

    static const struct option longopts[] = {
        {"replay-init", no_argument, NULL, 'I'},
        {NULL, 0, NULL, 0},
    };
    int replay_init = 0;

    while ((c = getopt_long(argc, argv, "c:nfhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'I': replay_init = 1; break;
        case 'c': conf = optarg; break;
        case 'n': check = 1; break;
        case 'f': foreground = 1; break;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("cryptmilter %s\n", CM_VERSION); return EX_OK;
        default: usage(stderr); return EX_USAGE;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return EX_USAGE;
    }
    /* libmilter's signal thread sigwaits for these once smfi_main runs; block
     * them now, so one that comes earlier waits for it (a clean stop) instead
     * of killing the process. Threads inherit the mask. */
    {
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);   /* the summary line (cm_reload.c) */
        if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
            fprintf(stderr, "cryptmilter: cannot block signals\n");
            return EX_OSERR;
        }
    }
    cm_log_open("cryptmilter", 1);
    if ((cfg = cm_config_load(conf, err, sizeof(err))) == NULL) {
        fprintf(stderr, "cryptmilter: %s\n", err);
        return EX_CONFIG;
    }
    if (*cfg->user_id && cm_privdrop_lookup(cfg->user_id, &uid, &gid, &user) < 0) {
        char where[PATH_MAX + 32];

        cm_log_error("%s: UserID %s: fix: name an existing user (and group), or create it: "
                     "adduser --system --group %.*s", cm_config_where(cfg, "UserID", where,
                     sizeof(where)), cfg->user_id, (int) strcspn(cfg->user_id, ":"),
                     cfg->user_id);
        cm_config_free(cfg);
        return EX_CONFIG;
    }
    if (replay_init) {
        rc = init_replay(cfg, user, uid, gid);
        free(user);
        cm_config_free(cfg);
        return rc;
    }
    if (check) {
        char report[4096], owner[256];
        cm_preflight pf = {cfg, owner, print_check, stdout, 0};

        owner_name(cfg, owner, sizeof(owner));
        cm_gateway_warn(cfg);
        cm_confdump(cfg, print_line, stdout);
        /* The socket as the daemon opens it: before the drop. */
        cm_preflight_socket(&pf);
        if (user != NULL)
            cm_preflight_socket_group(&pf, gid, getuid() == 0);
        /* The key stores are read as the daemon will read them. */
        if (user != NULL && getuid() == 0 && cm_privdrop_drop(user, uid, gid) < 0) {
            free(user);
            cm_config_free(cfg);
            return EX_OSERR;
        }
        if (user != NULL && getuid() == uid)
            printf("# checked as user %s\n", user);
        cm_preflight_dirs(&pf);
        cm_preflight_maps(&pf);
        cm_preflight_keyring(&pf, (int64_t) time(NULL));
        cm_preflight_archive(&pf, (int64_t) time(NULL));
        st = cm_engines_check(cfg, report, sizeof(report));
        for (char *line = strtok(report, "\n"); line != NULL; line = strtok(NULL, "\n"))
            printf("# %s\n", line);
        free(user);
        cm_config_free(cfg);
        return st == CM_OK && pf.errors == 0 ? EX_OK : EX_CONFIG;
    }
    cm_log_set_level(cfg->log_level);
    tune_malloc();
    tune_threads();
    if (!foreground && cfg->syslog)
        cm_log_open("cryptmilter", 0);
    /* Absolute: the daemon runs in /, and a reload reads it again. */
    if (realpath(conf, conf_path) == NULL) {
        cm_log_errno("%s", conf);
        rc = EX_CONFIG;
        goto out;
    }
    if ((cm_milter_gw = cm_gateway_new(conf_path, cfg, CM_GATEWAY_DAEMON, &st, err,
                                       sizeof(err))) == NULL) {
        cm_log_error("%s", err);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    cm_gateway_warn(cfg);
    if (smfi_setconn(cfg->socket) != MI_SUCCESS || smfi_register(cm_milter_desc) != MI_SUCCESS) {
        cm_log_error("cannot register the milter on %s", cfg->socket);
        rc = EX_SOFTWARE;
        goto out;
    }
    (void) umask(007);          /* socket: owner and group (the MTA's) only */
    errno = 0;
    if (smfi_opensocket(1) != MI_SUCCESS) {
        int e = errno;
        char where[PATH_MAX + 32];

        /* libmilter says why only to syslog, if at all: its errno, or the
         * directory's state, says it here. */
        if (cm_preflight_socket_dir(cfg->socket, err, sizeof(err)) == 0)
            snprintf(err, sizeof(err), "%s", e != 0 ? strerror(e) : "libmilter gave no reason");
        cm_log_error("%s: cannot open milter socket %s: %s", cm_config_where(cfg, "Socket", where,
                     sizeof(where)), cfg->socket, err);
        rc = EX_UNAVAILABLE;
        goto out;
    }
    /* UserID's user and group on the socket (the group is the MTA's). Root
     * gives them; a daemon that is already the user (systemd's User=)
     * never calls chown, which the unit's system-call filter answers by
     * killing it: the group must come from a setgid directory. */
    if ((sockpath = cm_preflight_socket_path(cfg->socket)) != NULL && user != NULL) {
        struct stat sst;

        if (stat(sockpath, &sst) < 0) {
            cm_log_errno("stat %s", sockpath);
            rc = EX_UNAVAILABLE;
            goto out;
        }
        if (sst.st_uid == uid && sst.st_gid == gid) {
            /* as it should be */
        } else if (geteuid() == 0) {
            if (chown(sockpath, uid, gid) < 0) {
                cm_log_errno("chown %s to UserID %s", sockpath, cfg->user_id);
                rc = EX_OSERR;
                goto out;
            }
        } else if (sst.st_gid != gid) {
            char where[PATH_MAX + 32];

            cm_log_error("%s: Socket %s has group %ld, not UserID's %ld, and a daemon started as "
                         "%s does not chown it; fix: make its directory setgid to that group "
                         "(chgrp %ld DIR && chmod g+s DIR)", cm_config_where(cfg, "Socket", where,
                         sizeof(where)), sockpath, (long) sst.st_gid, (long) gid, user,
                         (long) gid);
            rc = EX_CONFIG;
            goto out;
        }
    }
    if (user != NULL && cm_privdrop_drop(user, uid, gid) < 0) {
        rc = EX_NOPERM;
        goto out;
    }
    if (user == NULL && geteuid() == 0)
        cm_log_warn("running as root: set UserID");
    /* As the user that will read them for every message. */
    if (cm_engines_check_gateway(cfg, err, sizeof(err)) != CM_OK) {
        cm_log_error("%s", err);
        rc = EX_CONFIG;
        goto out;
    }
    if (!foreground && daemonize() < 0) {
        cm_log_errno("cannot become a daemon");
        rc = EX_OSERR;
        goto out;
    }
    if (*cfg->pid_file && write_pidfile(cfg->pid_file) < 0) {
        rc = EX_CANTCREAT;
        goto out;
    }
    (void) umask(077);          /* spool files are 0600 */
    /* From here the holder owns cfg; main holds the start-up snapshot (its
     * Socket and PidFile) until the end, whatever reloads replace. */
    if (cm_gateway_hold(cm_milter_gw, cfg) < 0) {
        cfg = NULL;
        cm_log_error("out of memory");
        rc = EX_OSERR;
        goto out;
    }
    cfg = NULL;
    held = cm_confhold_get(cm_milter_gw->conf);
    cm_reload_install(reload);
    cm_log_notice("cryptmilter %s starting on %s", CM_VERSION, held->socket);
    stats = cm_statsfile_start(cm_milter_gw);
    rc = smfi_main() == MI_SUCCESS || cm_reload_stop_requested() ? EX_OK : EX_SOFTWARE;
    cm_log_notice("cryptmilter stopping");
    if (*held->pid_file)
        (void) unlink(held->pid_file);
    cm_confhold_put(cm_milter_gw->conf, held);
    /* libmilter's session threads are detached and may still be inside a
     * callback (a slow keyring load, an engine at its deadline): freeing
     * the gateway under them crashed them, and the MTA would then apply
     * its default action. It is freed once they are gone, else left to
     * the exit. */
    idle = cm_milter_wait_idle(10);
    cm_statsfile_stop(stats);   /* StatsFile a last time, the last sessions counted */
    if (!idle) {
        cm_log_notice("connections still open at exit: the gateway is left to the exit");
        free(user);
        return rc;
    }
out:
    cm_gateway_free(cm_milter_gw);
    cm_milter_gw = NULL;
    free(user);
    cm_config_free(cfg);
    return rc;
}
