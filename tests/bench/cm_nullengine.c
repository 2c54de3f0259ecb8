/* cm_nullengine - the floor's real engine (see cm_nullengine.h). */
#include "cm_nullengine.h"
#include "cm_config.h"
#include "cm_engine.h"
#include "cm_engines.h"
#include "cm_status.h"

#include <stdio.h>
#include <string.h>

static const cm_engine_ops *ops;
static cm_engine *engine;
static cm_config *cfg;

int cm_nullengine_init(const char *keyring, const char *backend)
{
    cm_engines *engines;
    char err[512];
    cm_stat st;

    if ((cfg = cm_config_new()) == NULL || cm_config_set(cfg, "KeyringDir", keyring, err, sizeof(err)) < 0
        || cm_config_set(cfg, "OpenPGPBackend", backend, err, sizeof(err)) < 0) {
        fprintf(stderr, "configuration: %s\n", cfg == NULL ? "out of memory" : err);
        return -1;
    }
    /* The registry's first engine is the configured OpenPGP one; it lives
     * as long as the process. */
    if ((engines = cm_engines_create(cfg, &st, err, sizeof(err))) == NULL) {
        fprintf(stderr, "engine: %s\n", err);
        return -1;
    }
    ops = engines->v[0].ops;
    engine = engines->v[0].engine;
    return 0;
}

typedef struct src {
    const unsigned char *p;
    size_t len, off;
} src;

static ssize_t src_read(void *arg, void *buf, size_t n)
{
    src *s = arg;
    size_t k = s->len - s->off < n ? s->len - s->off : n;

    memcpy(buf, s->p + s->off, k);
    s->off += k;
    return (ssize_t) k;
}

int cm_nullengine_encrypt(const unsigned char *p, size_t n, char *const *rcpts, size_t nrcpt,
                          cm_writer *out)
{
    char qid[] = "FLOOR";
    cm_msgctx mc = {.cfg = cfg, .qid = qid, .no_gateway_keys = 0};
    cm_engine_session *s = NULL;
    src in = {p, n, 0};
    cm_reader rd = {src_read, NULL, &in};
    cm_stat st;
    size_t i;

    if (ops == NULL || (st = ops->session_new(engine, &mc, &s)) != CM_OK) {
        fprintf(stderr, "session: %s\n", ops == NULL ? "no engine" : cm_stat_lookup(st)->name);
        return -1;
    }
    for (i = 0; i < nrcpt; i++) {
        const cm_key *k = NULL;

        if (ops->lookup(s, rcpts[i], &k) != CM_OK || k == NULL || ops->add_recipient(s, k) != CM_OK) {
            fprintf(stderr, "no key for %s\n", rcpts[i]);
            ops->session_free(s);
            return -1;
        }
    }
    st = ops->encrypt(s, &rd, out);
    ops->session_free(s);
    if (st != CM_OK)
        fprintf(stderr, "encryption: %s\n", cm_stat_lookup(st)->name);
    return st == CM_OK ? 0 : -1;
}
