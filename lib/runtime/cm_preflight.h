/* cm_preflight - what `cryptmilter -n` checks before a daemon runs on a
 * configuration: the directories it names and the keyring, each as the
 * process that runs the check (cryptmilter -n drops to UserID first, as
 * the daemon does), so that what would fail at start or with the first
 * message fails here. Each mistake is one line that names where the key
 * was set (file:line), the path, the cause (errno) and the fix. */
#ifndef CM_PREFLIGHT_H
#define CM_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cm_config.h"

/* How many seconds ahead a key that stops encrypting counts as expiring. */
#define CM_PREFLIGHT_EXPIRY_WINDOW (30 * 86400)

typedef struct cm_preflight {
    const cm_config *cfg;
    const char *owner;      /* the daemon's user, named in the fixes */
    /* One line: level LOG_ERR (a mistake), LOG_WARNING, or LOG_INFO (what
     * was found). */
    void (*emit)(int level, const char *line, void *arg);
    void *arg;
    size_t errors;          /* LOG_ERR lines emitted */
} cm_preflight;

/* The path of a "local:", "unix:" or absolute socket; NULL for inet. */
const char *cm_preflight_socket_path(const char *sock);
/* Can a unix socket sock be made (its directory there, writable)? 0 (also
 * for inet sockets), or -1 with "DIR: cause" in why. */
int cm_preflight_socket_dir(const char *sock, char *why, size_t len);

/* Socket: its directory. Before the privilege drop: the daemon opens the
 * socket before it drops too. */
void cm_preflight_socket(cm_preflight *p);
/* The group a socket made in dir gets: dir's when it is setgid, else egid. */
gid_t cm_preflight_socket_gid(const char *dir, gid_t egid);
/* The socket's group against gid, UserID's: a daemon that is not root
 * cannot give it (it never calls chown: the unit's system-call filter
 * kills a process that does), so it must come from a setgid directory or
 * be the process's own. root: the check runs as root (a daemon started as
 * root chowns; only a warning for a start as the user). */
void cm_preflight_socket_group(cm_preflight *p, gid_t gid, int root);
/* KeyringDir (there, readable), SpoolDir (a file can be made in it),
 * ReplayCache (when outbound decryption is configured: it can be made),
 * PidFile's and StatsFile's directories (writable), then what a reload
 * would refuse. */
void cm_preflight_dirs(cm_preflight *p);
/* EncryptionPolicy and KeyAliases read again as the daemon reads them on
 * a reload (after the drop to UserID): a mistake if it cannot, else a line
 * "EncryptionPolicy: N rules" / "KeyAliases: N aliases". */
void cm_preflight_maps(cm_preflight *p);
/* KeyringDir read by the configured OpenPGPBackend's engine: a line "KeyringDir:
 * N keys, M addresses, K expiring within 30 days", a warning for a
 * keyring without keys, a mistake for one that cannot be read. now: the
 * time the expiry window starts. */
void cm_preflight_keyring(cm_preflight *p, int64_t now);
/* EncryptToSelf, as a message would find it at now: a line "EncryptToSelf:
 * ID usable until DATE" for each archive key (a warning if it stops
 * within the expiry window), a mistake for one that is missing (not in
 * KeyringDir, or the certificate file unreadable), expired, revoked,
 * disabled or cannot encrypt. */
void cm_preflight_archive(cm_preflight *p, int64_t now);

#endif
