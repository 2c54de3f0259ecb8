/* cm_keyring - the public keyring file of a GnuPG home, checked by us. */
#include "cm_keyring.h"
#include "cm_digest.h"
#include "cm_file.h"
#include "cm_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYRING ((off_t) 1 << 30)

static const char *const names[] = {"pubring.kbx", "pubring.gpg"};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static cm_keyring_status check_kbx(const unsigned char *p, size_t n, size_t *nkeys,
                                   char *err, size_t errlen)
{
    size_t off = 0;

    while (off < n) {
        uint32_t len;
        int type;

        if (n - off < 5 || (len = be32(p + off)) < 5 || len > n - off) {
            snprintf(err, errlen, "keybox blob at offset %zu runs past the end of the file", off);
            return CM_KEYRING_DAMAGED;
        }
        type = p[off + 4];
        if ((off == 0) != (type == 1) || (off == 0 && (len < 12 || memcmp(p + 8, "KBXf", 4) != 0))) {
            snprintf(err, errlen, "keybox header blob missing or misplaced at offset %zu", off);
            return CM_KEYRING_DAMAGED;
        }
        if (type == 2) {
            const unsigned char *b = p + off;

            /* SHA-1 over the blob but its last 20 bytes; before GnuPG 2.1,
             * MD5 right-aligned after four zero bytes. */
            if (len < 40 || (!cm_digest_legacy_is(1, b, len - 20, b + len - 20, 20)
                             && !(be32(b + len - 20) == 0
                                  && cm_digest_legacy_is(0, b, len - 20, b + len - 16, 16)))) {
                snprintf(err, errlen, "keybox blob at offset %zu fails its checksum", off);
                return CM_KEYRING_DAMAGED;
            }
            ++*nkeys;
        } else if (type > 3) {
            snprintf(err, errlen, "keybox blob of unknown type %d at offset %zu", type, off);
            return CM_KEYRING_DAMAGED;
        }
        off += len;
    }
    if (n == 0) {
        snprintf(err, errlen, "keybox is empty");
        return CM_KEYRING_DAMAGED;
    }
    return CM_KEYRING_OK;
}

/* Does a user ID read as one address whoever reads it? gpg (its
 * import filter's mbox) takes the first <...>, GPGME the first <...> not
 * inside parentheses: "M (<a@x>) <b@y>" is a@x to one, b@y to the other,
 * so a key kept for a@x would serve b@y. With at most one '<' and no NUL
 * (which ends the text for one reader and not another) they agree. */
static int uid_one_address(const unsigned char *u, size_t n)
{
    size_t i, lt = 0;

    for (i = 0; i < n; i++) {
        if (u[i] == 0)
            return 0;
        lt += u[i] == '<';
    }
    return lt <= 1;
}

/* A legacy keyring: OpenPGP packets with definite lengths to the end;
 * with public_only, no secret key packet among them. */
static cm_keyring_status check_gpg(const unsigned char *p, size_t n, int public_only,
                                   size_t *nkeys, char *err, size_t errlen)
{
    size_t off = 0;

    while (off < n) {
        size_t hl, bl;
        int tag;
        unsigned char c = p[off];

        if (!(c & 0x80) || n - off < 2)
            goto bad;
        if (c & 0x40) {
            tag = c & 0x3f;
            if (p[off + 1] < 192) {
                hl = 2;
                bl = p[off + 1];
            } else if (p[off + 1] < 224) {
                if (n - off < 3)
                    goto bad;
                hl = 3;
                bl = ((size_t) (p[off + 1] - 192) << 8) + p[off + 2] + 192;
            } else if (p[off + 1] == 255) {
                if (n - off < 6)
                    goto bad;
                hl = 6;
                bl = be32(p + off + 2);
            } else {
                goto bad;       /* no partial lengths in a keyring */
            }
        } else {
            static const size_t lens[4] = {1, 2, 4, 0};
            size_t k, ll = lens[c & 3];

            tag = (c >> 2) & 0x0f;
            if (ll == 0 || n - off < 1 + ll)
                goto bad;
            hl = 1 + ll;
            for (bl = 0, k = 0; k < ll; k++)
                bl = bl << 8 | p[off + 1 + k];
        }
        if (bl > n - off - hl)
            goto bad;
        if (public_only && (tag == 5 || tag == 7)) {
            snprintf(err, errlen, "packet at offset %zu is a secret key", off);
            return CM_KEYRING_DAMAGED;
        }
        if (public_only && tag == 13 && !uid_one_address(p + off + hl, bl)) {
            snprintf(err, errlen, "user ID at offset %zu may be read as two addresses", off);
            return CM_KEYRING_DAMAGED;
        }
        if (tag == 6)
            ++*nkeys;
        off += hl + bl;
    }
    return CM_KEYRING_OK;
bad:
    snprintf(err, errlen, "keyring packet at offset %zu is malformed or cut short", off);
    return CM_KEYRING_DAMAGED;
}

cm_keyring_status cm_keyring_check(const unsigned char *p, size_t n, int kbx, size_t *nkeys,
                                   char *err, size_t errlen)
{
    *nkeys = 0;
    return kbx ? check_kbx(p, n, nkeys, err, errlen) : check_gpg(p, n, 0, nkeys, err, errlen);
}

cm_keyring_status cm_keyring_check_public(const unsigned char *p, size_t n, size_t *nkeys,
                                          char *err, size_t errlen)
{
    *nkeys = 0;
    return check_gpg(p, n, 1, nkeys, err, errlen);
}

/* The path of dir's keyring number i (names[]), suffix after its name
 * ("" the keyring, "~" gpg's backup of it); -1 if too long. */
static int keyring_path(const char *dir, size_t i, const char *suffix, char *path, size_t size)
{
    return (size_t) snprintf(path, size, "%s/%s%s", dir, names[i], suffix) >= size ? -1 : 0;
}

/* Is gpg between its two renames: a backup (pubring.kbx~ or pubring.gpg~)
 * there, where the keyring itself was not found? */
static int mid_rename(const char *dir)
{
    char path[4096];
    struct stat st;
    size_t i;

    for (i = 0; i < 2; i++)
        if (keyring_path(dir, i, "~", path, sizeof(path)) == 0 && lstat(path, &st) == 0)
            return 1;
    return 0;
}

/* One look for dir's keyring (pubring.kbx first, as gpg does): its fd with
 * *which and *st; -1 with *why and err; -2 if there is none. */
static int open_once(const char *dir, int *which, struct stat *st, cm_keyring_status *why,
                     char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < 2; i++) {
        char path[4096];
        int fd;

        if (keyring_path(dir, i, "", path, sizeof(path)) < 0) {
            snprintf(err, errlen, "KeyringDir %s: path too long", dir);
            *why = CM_KEYRING_MISSING;
            return -1;
        }
        if ((fd = cm_file_open_regular(path, st)) >= 0) {
            *which = (int) i;
            return fd;
        }
        if (fd == -2 || errno != ENOENT) {
            snprintf(err, errlen, "keyring %s: %s", path,
                     fd == -2 ? "not a regular file" : strerror(errno));
            *why = CM_KEYRING_UNREADABLE;
            return -1;
        }
    }
    return -2;
}

/* Open dir's keyring; *which = index, *st its fstat. gpg replaces it by
 * two renames (pubring.kbx to pubring.kbx~, then pubring.kbx.tmp to
 * pubring.kbx): found missing with a backup there, it is looked for again,
 * CM_KEYRING_RENAME_TRIES times CM_KEYRING_RENAME_WAIT_NS apart at most,
 * before "no public keyring" (the caller's 4xx). */
static int open_keyring(const char *dir, int *which, struct stat *st, cm_keyring_status *why,
                        char *err, size_t errlen)
{
    const struct timespec wait = {0, CM_KEYRING_RENAME_WAIT_NS};
    int r = stat(dir, st), tries;

    if (r < 0 || !S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "KeyringDir %s: %s", dir, r < 0 ? strerror(errno) : "not a directory");
        *why = CM_KEYRING_MISSING;
        return -1;
    }
    for (tries = 0;; tries++) {
        if ((r = open_once(dir, which, st, why, err, errlen)) != -2)
            return r;
        if (tries == CM_KEYRING_RENAME_TRIES || !mid_rename(dir))
            break;
        (void) nanosleep(&wait, NULL);
    }
    snprintf(err, errlen, "KeyringDir %s holds no public keyring (pubring.kbx or pubring.gpg)", dir);
    *why = CM_KEYRING_MISSING;
    return -1;
}

cm_keyring_status cm_keyring_stat(const char *dir, cm_snapshot_file *id, char *err, size_t errlen)
{
    cm_keyring_status why = CM_KEYRING_OK;
    struct stat st;
    int which, fd = open_keyring(dir, &which, &st, &why, err, errlen);

    if (fd < 0)
        return why;
    cm_snapshot_file_of(&st, id);
    (void) close(fd);
    return why;
}

cm_keyring_status cm_keyring_read(const char *dir, cm_snapshot_file *id, unsigned char **out,
                                  size_t *len, int *kbx, size_t *nkeys, char *err, size_t errlen)
{
    cm_keyring_status why = CM_KEYRING_OK;
    unsigned char *buf = NULL;
    struct stat st;
    size_t got = 0;
    int which, fd = open_keyring(dir, &which, &st, &why, err, errlen);

    *nkeys = 0;
    *out = NULL;
    *len = 0;
    if (fd < 0)
        return why;
    if (st.st_size > MAX_KEYRING || (buf = malloc((size_t) st.st_size + 1)) == NULL) {
        snprintf(err, errlen, "keyring in %s: %s", dir,
                 st.st_size > MAX_KEYRING ? "larger than 1 GiB" : strerror(errno));
        (void) close(fd);
        return CM_KEYRING_UNREADABLE;
    }
    cm_snapshot_file_of(&st, id);
    while (got < (size_t) st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t) st.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "keyring in %s: %s", dir,
                     r < 0 ? strerror(errno) : "shorter than its size: being rewritten");
            why = r < 0 ? CM_KEYRING_UNREADABLE : CM_KEYRING_DAMAGED;
            break;
        }
        got += (size_t) r;
    }
    if (why == CM_KEYRING_OK) {
        why = cm_keyring_check(buf, got, which == 0, nkeys, err, errlen);
        if (why != CM_KEYRING_OK) {
            char e2[512];

            snprintf(e2, sizeof(e2), "%s/%s: %s", dir, names[which], err);
            snprintf(err, errlen, "%s", e2);
        }
    }
    (void) close(fd);
    if (why != CM_KEYRING_OK) {
        free(buf);
        return why;
    }
    *out = buf;
    *len = got;
    *kbx = which == 0;
    return CM_KEYRING_OK;
}

cm_keyring_status cm_keyring_scan(const char *dir, cm_snapshot_file *id, size_t *nkeys,
                                  char *err, size_t errlen)
{
    unsigned char *buf;
    size_t len;
    int kbx;
    cm_keyring_status why = cm_keyring_read(dir, id, &buf, &len, &kbx, nkeys, err, errlen);

    free(buf);
    return why;
}

cm_stat cm_keyring_error(const char *qid, cm_keyring_status ks, const char *err)
{
    cm_log_error("%s: %s", qid, err);
    return ks == CM_KEYRING_DAMAGED ? CM_ERR_KEYRING_DAMAGED : CM_ERR_KEYRING;
}

/* dir's keyring by stat alone, as cm_keyring_stat would find it: 0 if
 * pubring.kbx (or, with none, pubring.gpg) is a regular file; -1 for all
 * else, which cm_keyring_stat then opens, tells apart and names. */
static int quick_stat(const char *dir, cm_snapshot_file *id)
{
    char path[4096];
    struct stat st;
    size_t i;

    for (i = 0; i < 2; i++) {
        if (keyring_path(dir, i, "", path, sizeof(path)) < 0)
            return -1;
        if (stat(path, &st) == 0) {
            if (!S_ISREG(st.st_mode))
                return -1;
            cm_snapshot_file_of(&st, id);
            return 0;
        }
        if (errno != ENOENT)
            return -1;
    }
    return -1;
}

/* Before every message: one stat for a keyring that is there, instead of
 * the directory's stat, an open, an fstat and a close. What the open would
 * add (can we read it?) needs no asking here: an identity equal to the one
 * the held snapshot was read from is that file in that state (chmod, chown
 * and ACLs change its ctime), and a changed one is loaded, opening it. */
cm_stat cm_keyring_stamp(const char *dir, const char *qid, cm_snapshot_stamp *stamp)
{
    char err[1024];
    cm_keyring_status ks;

    if (quick_stat(dir, &stamp->file[0]) == 0)
        return CM_OK;
    ks = cm_keyring_stat(dir, &stamp->file[0], err, sizeof(err));
    return ks == CM_KEYRING_OK ? CM_OK : cm_keyring_error(qid, ks, err);
}

void cm_keyring_wait_quiet(const cm_snapshot_file *id)
{
    struct timespec now;
    long age;

    if (clock_gettime(CLOCK_REALTIME, &now) < 0)
        return;
    age = (long) (now.tv_sec - id->mtim.tv_sec) * 1000000000L + (now.tv_nsec - id->mtim.tv_nsec);
    if (age >= 0 && age < CM_KEYRING_QUIET_NS) {
        struct timespec d = {0, CM_KEYRING_QUIET_NS - age};

        (void) nanosleep(&d, NULL);
    }
}

cm_stat cm_keyring_trustdb_stamp(const char *dir, const char *qid, cm_snapshot_file *f)
{
    char path[4096];

    if ((size_t) snprintf(path, sizeof(path), "%s/trustdb.gpg", dir) >= sizeof(path))
        errno = ENAMETOOLONG;
    else if (cm_snapshot_file_stat(path, f) == 0)
        return CM_OK;
    cm_log_errno("%s: KeyringDir %s", qid, dir);
    return CM_ERR_KEYRING;
}
