/* cm_gpgme_ctx - a GPGME context set up for the configuration's gpg and
 * KeyringDir, and a deadline over the gpg runs made through it: what the
 * engine (cm_gpgme.c), its keyring index (cm_gpgme_index.c) and the
 * outbound operations all start from. Below all of them, so none calls
 * back up into another. */
#include "cm_gpgme_int.h"
#include "cm_log.h"
#include "cm_watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* GPGME runs "gpg --version" whenever engine info is set (1.18 does it
 * even when nothing changes): set per context, that was a process and
 * ~10 ms of CPU per message. So the process-wide engine info is set to
 * the configuration's gpg and KeyringDir, once per change, and a new
 * context copies it. The info is process-wide in GPGME, so its mirror here
 * is too. A message on an older snapshot (during a reload) sets it back
 * for itself: correct, only slower, and only while old messages finish. */
static pthread_mutex_t info_lock = PTHREAD_MUTEX_INITIALIZER;
static char *info_prog, *info_home;     /* what GPGME's engine info says */
static int info_set;

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static gpgme_error_t new_context(const char *prog, const char *home, gpgme_ctx_t *ctx)
{
    gpgme_error_t ge = 0;

    if (pthread_mutex_lock(&info_lock) != 0)
        return gpg_error(GPG_ERR_GENERAL);
    if (!info_set || !same(prog, info_prog) || !same(home, info_home)) {
        free(info_prog);
        free(info_home);
        info_prog = prog ? strdup(prog) : NULL;
        info_home = strdup(home);
        info_set = (prog == NULL || info_prog != NULL) && info_home != NULL;
        ge = gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP, prog, home);
        if (ge != 0)
            info_set = 0;
    }
    if (ge == 0)
        ge = gpgme_new(ctx);
    (void) pthread_mutex_unlock(&info_lock);
    return ge;
}

cm_stat cm_gpgme_ctx_new(const cm_msgctx *mc, gpgme_ctx_t *out)
{
    const cm_config *cfg = mc->cfg;
    const char *prog = cfg->gpg_program && *cfg->gpg_program ? cfg->gpg_program : NULL;
    gpgme_engine_info_t info;
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t ge;

    *out = NULL;
    if ((ge = new_context(prog, cfg->keyring_dir, &ctx)) != 0
        || (ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0
        || (ge = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL)) != 0
        /* Validity is not ours to use (the checks are ours), and so gpg
         * never rebuilds the trustdb: that would need write access to
         * KeyringDir and a lock other processes may hold. */
        || (ge = gpgme_set_ctx_flag(ctx, "trust-model", "always")) != 0
        /* Every status line to our callback: END_ENCRYPTION and ERROR. */
        || (ge = gpgme_set_ctx_flag(ctx, "full-status", "1")) != 0) {
        cm_log_error("%s: GPGME context: %s", CM_QID(mc), gpgme_strerror(ge));
        if (ctx != NULL)
            gpgme_release(ctx);
        return CM_ERR_ENGINE;
    }
    /* gpg missing at run time is "engine unavailable", not a keyring fault. */
    info = gpgme_ctx_get_engine_info(ctx);
    if (info == NULL || info->file_name == NULL || access(info->file_name, X_OK) < 0) {
        cm_log_error("%s: OpenPGP engine %s: %s", CM_QID(mc),
                     info && info->file_name ? info->file_name : "(none)",
                     strerror(errno ? errno : ENOENT));
        gpgme_release(ctx);
        return CM_ERR_ENGINE;
    }
    gpgme_set_armor(ctx, 0);        /* binary: cm_pgpmime armors what it checked */
    gpgme_set_offline(ctx, 1);
    *out = ctx;
    return CM_OK;
}

static void cancel_cb(void *ctx)
{
    (void) gpgme_cancel_async(ctx);
}

cm_watch *cm_gpgme_ctx_watch(const cm_msgctx *mc, gpgme_ctx_t ctx)
{
    cm_watch *w = cm_watch_start(mc->cfg->engine_timeout, cancel_cb, ctx, CM_QID(mc));

    if (w == NULL)
        cm_log_errno("%s: engine watchdog", CM_QID(mc));
    return w;
}

void cm_gpgme_ctx_reset(void)
{
    (void) pthread_mutex_lock(&info_lock);
    free(info_prog);
    free(info_home);
    info_prog = info_home = NULL;
    info_set = 0;
    (void) pthread_mutex_unlock(&info_lock);
}

gpgme_error_t cm_gpgme_ctx_home(const cm_config *cfg, const char *home, gpgme_ctx_t *out)
{
    const char *prog = cfg->gpg_program && *cfg->gpg_program ? cfg->gpg_program : NULL;
    gpgme_ctx_t ctx = NULL;
    gpgme_error_t ge;

    *out = NULL;
    if ((ge = gpgme_new(&ctx)) != 0)
        return ge;
    if ((ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0
        || (ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, prog, home)) != 0
        || (ge = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL)) != 0
        || (ge = gpgme_set_ctx_flag(ctx, "trust-model", "always")) != 0) {
        gpgme_release(ctx);
        return ge;
    }
    gpgme_set_armor(ctx, 0);
    gpgme_set_offline(ctx, 1);
    *out = ctx;
    return 0;
}
