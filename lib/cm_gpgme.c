/* cm_gpgme - the OpenPGP backend: key lookup and encryption through GPGME. */
#include "cm_crypto.h"
#include "cm_boundary.h"
#include "cm_crlf.h"
#include "cm_log.h"
#include "cm_pgpmime.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct cm_crypto_session {
    const cm_config *cfg;
    gpgme_ctx_t ctx;
    gpgme_key_t *keys;      /* NULL-terminated recipient list */
    size_t nkeys;
    int keyring_ok;         /* gpg has listed a key in this session */
};

static cm_stat gpg_init(char *err, size_t errlen)
{
    gpgme_error_t ge;

    if (gpgme_check_version("1.13.0") == NULL) {
        snprintf(err, errlen, "GPGME 1.13.0 or later is required");
        return CM_ERR_ENGINE;
    }
    gpgme_set_locale(NULL, LC_CTYPE, "C");
    if ((ge = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)) != 0) {
        snprintf(err, errlen, "OpenPGP engine (gpg) unusable: %s", gpgme_strerror(ge));
        return CM_ERR_ENGINE;
    }
    return CM_OK;
}

/* The keyring must be there and readable: otherwise gpg just finds no keys,
 * and a missing keyring would look like "no key" and pass mail in plaintext. */
static cm_stat check_keyring(const char *dir)
{
    static const char *const names[] = {"pubring.kbx", "pubring.gpg"};
    struct stat st;
    size_t i;

    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        cm_log_error("KeyringDir %s: %s", dir, errno ? strerror(errno) : "not a directory");
        return CM_ERR_KEYRING;
    }
    for (i = 0; i < 2; i++) {
        char path[4096];
        int fd;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
            cm_log_error("KeyringDir %s: path too long", dir);
            return CM_ERR_KEYRING;
        }
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
            (void) close(fd);
            return CM_OK;
        }
        if (errno != ENOENT) {
            cm_log_errno("keyring %s", path);
            return CM_ERR_KEYRING;
        }
    }
    cm_log_error("KeyringDir %s holds no public keyring (pubring.kbx or pubring.gpg)", dir);
    return CM_ERR_KEYRING;
}

static cm_stat gpg_session_new(const cm_config *cfg, cm_crypto_session **out)
{
    cm_crypto_session *s;
    gpgme_error_t ge;
    cm_stat st;

    *out = NULL;
    if ((st = check_keyring(cfg->keyring_dir)) != CM_OK)
        return st;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return CM_ERR_NOMEM;
    s->cfg = cfg;
    if ((s->keys = calloc(1, sizeof(gpgme_key_t))) == NULL) {
        free(s);
        return CM_ERR_NOMEM;
    }
    if ((ge = gpgme_new(&s->ctx)) != 0
        || (ge = gpgme_set_protocol(s->ctx, GPGME_PROTOCOL_OpenPGP)) != 0
        || (ge = gpgme_ctx_set_engine_info(s->ctx, GPGME_PROTOCOL_OpenPGP, NULL,
                                           cfg->keyring_dir)) != 0
        || (ge = gpgme_set_keylist_mode(s->ctx, GPGME_KEYLIST_MODE_LOCAL)) != 0
        /* Validity is not ours to use (the checks are below), and so gpg
         * never rebuilds the trustdb: that would need write access to
         * KeyringDir and a lock other processes may hold. */
        || (ge = gpgme_set_ctx_flag(s->ctx, "trust-model", "always")) != 0) {
        cm_log_error("GPGME context: %s", gpgme_strerror(ge));
        if (s->ctx != NULL)
            gpgme_release(s->ctx);
        free(s->keys);
        free(s);
        return CM_ERR_ENGINE;
    }
    gpgme_set_armor(s->ctx, 1);
    gpgme_set_offline(s->ctx, 1);
    *out = s;
    return CM_OK;
}

static void gpg_session_free(cm_crypto_session *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nkeys; i++)
        gpgme_key_unref(s->keys[i]);
    free(s->keys);
    gpgme_release(s->ctx);
    free(s);
}

/* Newest creation time of a usable encryption subkey; 0 if none. */
static long usable_encryption_subkey(gpgme_key_t key)
{
    gpgme_subkey_t sk;
    long best = 0;

    for (sk = key->subkeys; sk != NULL; sk = sk->next)
        if (sk->can_encrypt && !sk->revoked && !sk->expired && !sk->disabled && !sk->invalid
            && sk->timestamp > best)
            best = sk->timestamp;
    return best;
}

static int uid_matches(gpgme_key_t key, const char *addr)
{
    gpgme_user_id_t uid;

    for (uid = key->uids; uid != NULL; uid = uid->next)
        if (!uid->revoked && !uid->invalid && uid->email != NULL
            && strcasecmp(uid->email, addr) == 0)
            return 1;
    return 0;
}

static cm_stat add_key(cm_crypto_session *s, gpgme_key_t key)
{
    gpgme_key_t *nk = realloc(s->keys, (s->nkeys + 2) * sizeof(*nk));

    if (nk == NULL)
        return CM_ERR_NOMEM;
    s->keys = nk;
    gpgme_key_ref(key);
    s->keys[s->nkeys++] = key;
    s->keys[s->nkeys] = NULL;
    return CM_OK;
}

/*
 * GPGME reports a key listing that gpg could not do (keyring damaged, gone,
 * gpg killed) as a clean end of list, the same as "no such key". So before
 * "no key" is believed, gpg must show it can list some key from this keyring
 * at all. An empty keyring fails this too, on purpose: it cannot be told from
 * one gpg cannot read.
 *
 * The whole keyring is listed once (to the end: GPGME leaks what an early
 * gpgme_op_keylist_end leaves queued) and its first key's fingerprint kept
 * for the whole process, per keyring; after that, asking for that one key is
 * enough. Only when it has gone is the keyring listed again.
 */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static char *probe_dir, *probe_fpr;

/* A copy of the remembered fingerprint for dir, or NULL. */
static char *probe_get(const char *dir)
{
    char *fpr = NULL;

    if (pthread_mutex_lock(&probe_lock) != 0)
        return NULL;
    if (probe_dir != NULL && strcmp(probe_dir, dir) == 0)
        fpr = strdup(probe_fpr);
    (void) pthread_mutex_unlock(&probe_lock);
    return fpr;
}

/* Remember fpr as the key to ask for in dir. */
static void probe_set(const char *dir, const char *fpr)
{
    char *d, *f;

    if (fpr == NULL || pthread_mutex_lock(&probe_lock) != 0)
        return;
    d = strdup(dir);
    f = strdup(fpr);
    if (d != NULL && f != NULL) {
        free(probe_dir);
        free(probe_fpr);
        probe_dir = d;
        probe_fpr = f;
    } else {
        /* Out of memory: nothing remembered; the next probe lists all. */
        free(d);
        free(f);
    }
    (void) pthread_mutex_unlock(&probe_lock);
}

static cm_stat keyring_lists_a_key(cm_crypto_session *s)
{
    const char *dir = s->cfg->keyring_dir;
    gpgme_key_t key = NULL;
    gpgme_error_t ge;
    char *fpr;

    if (s->keyring_ok)
        return CM_OK;
    if ((fpr = probe_get(dir)) != NULL) {
        ge = gpgme_get_key(s->ctx, fpr, &key, 0);
        free(fpr);
        if (ge == 0) {
            gpgme_key_unref(key);
            s->keyring_ok = 1;
            return CM_OK;
        }
    }
    ge = gpgme_op_keylist_start(s->ctx, NULL, 0);
    while (ge == 0 && (ge = gpgme_op_keylist_next(s->ctx, &key)) == 0) {
        if (!s->keyring_ok)
            probe_set(dir, key->fpr);
        s->keyring_ok = 1;
        gpgme_key_unref(key);
    }
    (void) gpgme_op_keylist_end(s->ctx);
    if (s->keyring_ok && gpg_err_code(ge) == GPG_ERR_EOF)
        return CM_OK;
    s->keyring_ok = 0;
    cm_log_error("KeyringDir %s: gpg lists no key at all (%s): keyring unreadable, damaged "
                 "or empty", dir,
                 gpg_err_code(ge) == GPG_ERR_EOF ? "none found" : gpgme_strerror(ge));
    return CM_ERR_KEYRING;
}

/* The newest usable key for exactly addr into *out, or NULL. */
static cm_stat find_key(cm_crypto_session *s, const char *pattern, const char *addr,
                        gpgme_key_t *out)
{
    gpgme_key_t key, best = NULL;
    gpgme_keylist_result_t res;
    gpgme_error_t ge;
    long best_ts = 0, ts;
    cm_stat st = CM_OK;

    *out = NULL;
    ge = gpgme_op_keylist_start(s->ctx, pattern, 0);
    while (ge == 0 && (ge = gpgme_op_keylist_next(s->ctx, &key)) == 0) {
        s->keyring_ok = 1;
        if (!key->revoked && !key->expired && !key->disabled && !key->invalid
            && key->can_encrypt && uid_matches(key, addr)
            && (ts = usable_encryption_subkey(key)) > best_ts) {
            if (best != NULL)
                gpgme_key_unref(best);
            best = key;
            best_ts = ts;
        } else {
            gpgme_key_unref(key);
        }
    }
    if (gpg_err_code(ge) != GPG_ERR_EOF) {
        cm_log_error("key lookup for <%s>: %s", addr, gpgme_strerror(ge));
        st = CM_ERR_KEYLOOKUP;
    } else if ((res = gpgme_op_keylist_result(s->ctx)) != NULL && res->truncated) {
        cm_log_error("key lookup for <%s>: result truncated", addr);
        st = CM_ERR_KEYLOOKUP;
    }
    (void) gpgme_op_keylist_end(s->ctx);
    if (st == CM_OK)
        *out = best;
    else if (best != NULL)
        gpgme_key_unref(best);
    return st;
}

static cm_stat gpg_add_recipient(cm_crypto_session *s, const char *addr, int *found)
{
    gpgme_key_t best = NULL;
    char *pattern;
    cm_stat st;

    *found = 0;
    /* "<addr>" asks gpg for an exact mail address match; we check it again. */
    if (strpbrk(addr, "<>\n\r") != NULL || *addr == 0)
        return CM_OK;
    if ((pattern = malloc(strlen(addr) + 3)) == NULL)
        return CM_ERR_NOMEM;
    sprintf(pattern, "<%s>", addr);
    st = find_key(s, pattern, addr, &best);
    /* Not found: only believed if the keyring answers at all, and then
     * asked once more, as the first gpg may have died without a word. */
    if (st == CM_OK && best == NULL && (st = keyring_lists_a_key(s)) == CM_OK)
        st = find_key(s, pattern, addr, &best);
    free(pattern);
    if (st == CM_OK && best != NULL) {
        cm_log_debug("key for <%s>: %s", addr, best->fpr ? best->fpr : "?");
        if ((st = add_key(s, best)) == CM_OK)
            *found = 1;
    }
    if (best != NULL)
        gpgme_key_unref(best);
    return st;
}

/* GPGME data callbacks. */
static ssize_t entity_read_cb(void *handle, void *buf, size_t size)
{
    return cm_entity_read(handle, buf, size);
}

typedef struct armor_sink {
    cm_spool *out;
    cm_crlf crlf;
    cm_buf tmp;
} armor_sink;

static ssize_t armor_write_cb(void *handle, const void *buf, size_t size)
{
    armor_sink *a = handle;

    cm_buf_reset(&a->tmp);
    if (cm_crlf_push(&a->crlf, buf, size, &a->tmp) < 0) {
        errno = ENOMEM;
        return -1;
    }
    if (cm_spool_write(a->out, a->tmp.data, a->tmp.len) < 0)
        return -1;
    return (ssize_t) size;
}

static cm_stat gpg_encrypt(cm_crypto_session *s, cm_entity *in, cm_spool *out, cm_envelope *env)
{
    struct gpgme_data_cbs in_cbs = {entity_read_cb, NULL, NULL, NULL};
    struct gpgme_data_cbs out_cbs = {NULL, armor_write_cb, NULL, NULL};
    gpgme_data_t din = NULL, dout = NULL;
    gpgme_encrypt_result_t res;
    gpgme_error_t ge;
    armor_sink sink;
    char boundary[CM_BOUNDARY_LEN];
    cm_stat st = CM_OK;

    memset(env, 0, sizeof(*env));
    if (s->nkeys == 0)
        return CM_ERR_INTERNAL;
    sink.out = out;
    cm_crlf_init(&sink.crlf);
    cm_buf_init(&sink.tmp);
    if (cm_boundary_new(boundary) < 0)
        return CM_ERR_INTERNAL;
    if (cm_pgpmime_begin(boundary, out) < 0)
        return errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
    if ((ge = gpgme_data_new_from_cbs(&din, &in_cbs, in)) != 0
        || (ge = gpgme_data_new_from_cbs(&dout, &out_cbs, &sink)) != 0) {
        cm_log_error("GPGME data: %s", gpgme_strerror(ge));
        st = CM_ERR_ENGINE;
        goto done;
    }
    ge = gpgme_op_encrypt(s->ctx, s->keys, GPGME_ENCRYPT_ALWAYS_TRUST, din, dout);
    res = gpgme_op_encrypt_result(s->ctx);
    if (res != NULL && res->invalid_recipients != NULL) {
        cm_log_error("encryption refused key %s: %s",
                     res->invalid_recipients->fpr ? res->invalid_recipients->fpr : "?",
                     gpgme_strerror(res->invalid_recipients->reason));
        st = CM_ERR_ENCRYPT;
        goto done;
    }
    if (ge != 0) {
        cm_log_error("encryption failed: %s", gpgme_strerror(ge));
        st = gpg_err_code(ge) == GPG_ERR_ENOMEM ? CM_ERR_NOMEM : CM_ERR_ENCRYPT;
        goto done;
    }
    if (cm_pgpmime_end(boundary, out) < 0) {
        st = errno == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
        goto done;
    }
    if ((env->content_type = cm_pgpmime_content_type(boundary)) == NULL) {
        st = CM_ERR_NOMEM;
        goto done;
    }
    env->trace = "encrypted pgp-mime";

done:
    gpgme_data_release(din);
    gpgme_data_release(dout);
    cm_buf_free(&sink.tmp);
    return st;
}

const cm_crypto_ops cm_gpgme_ops = {
    "openpgp",
    gpg_init,
    gpg_session_new,
    gpg_session_free,
    gpg_add_recipient,
    gpg_encrypt,
};

