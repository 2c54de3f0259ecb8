/* libFuzzer: the message core end to end (recipients, header fields, body,
 * end of message) over an engine of the fuzzer's own: no gpg. The first
 * input byte chooses the configuration, the rest is the message. */
#include "cm_config.h"
#include "cm_crypto.h"
#include "cm_header.h"
#include "cm_log.h"
#include "cm_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cm_crypto_session {
    int nkeys;
};

static cm_stat f_init(char *err, size_t errlen)
{
    (void) err;
    (void) errlen;
    return CM_OK;
}

static cm_stat f_new(const cm_config *cfg, cm_crypto_session **out)
{
    (void) cfg;
    *out = calloc(1, sizeof(**out));
    return *out ? CM_OK : CM_ERR_NOMEM;
}

static void f_free(cm_crypto_session *s)
{
    free(s);
}

/* Addresses at example.org have a key. */
static cm_stat f_add(cm_crypto_session *s, const char *addr, int *found)
{
    size_t n = strlen(addr);

    *found = n > 12 && strcmp(addr + n - 12, "@example.org") == 0;
    s->nkeys += *found;
    return CM_OK;
}

static cm_stat f_encrypt(cm_crypto_session *s, cm_entity *in, cm_spool *out, cm_envelope *env)
{
    unsigned char buf[4096];
    ssize_t r;

    (void) s;
    while ((r = cm_entity_read(in, buf, sizeof(buf))) > 0)
        if (cm_spool_write(out, "x", 1) < 0)
            return CM_ERR_SPOOL;
    if (r < 0)
        return CM_ERR_INTERNAL;
    if ((env->content_type = strdup("multipart/encrypted; boundary=x")) == NULL)
        return CM_ERR_NOMEM;
    env->trace = "encrypted fake";
    return CM_OK;
}

static const cm_crypto_ops fake_ops = {"fake", f_init, f_new, f_free, f_add, f_encrypt};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const actions[] = {"split", "pass", "tempfail", "reject"};
    static const char *const rcpts[] = {"<alice@example.org>", "<\"bob\"@Example.ORG.>",
                                        "<nobody@ext.example>", "<a+b@example.org>"};
    cm_config *cfg;
    cm_msg *m;
    cm_result res;
    cm_hdrs h;
    size_t off, i;
    cm_stat st;
    char err[256];
    unsigned sel;

    if (size < 1)
        return 0;
    sel = data[0];
    data++;
    size--;
    cm_log_set_level(-1);
    if ((cfg = cm_config_new()) == NULL)
        return 0;
    (void) cm_config_set(cfg, "MissingKeyAction", actions[sel & 3], err, sizeof(err));
    (void) cm_config_set(cfg, "MemoryBufferSize", "4K", err, sizeof(err));
    (void) cm_config_set(cfg, "SpoolDir", "/tmp", err, sizeof(err));
    (void) cm_config_set(cfg, "MaxMessageSize", (sel & 4) ? "1K" : "64M", err, sizeof(err));
    (void) cm_config_set(cfg, "RecipientDelimiter", "+", err, sizeof(err));
    if ((m = cm_msg_new(cfg, &fake_ops, "FUZZ")) != NULL) {
        cm_msg_set_direction(m, (sel & 8) ? CM_DIR_OUTBOUND : CM_DIR_INBOUND, "fuzz");
        (void) cm_msg_sender(m, "<s@ext.example>");
        for (i = 0; i < 4; i++)
            if (sel & (16u << i))
                (void) cm_msg_rcpt(m, rcpts[i]);
        cm_hdrs_init(&h, 200, 64 * 1024);
        if (cm_hdrs_parse(&h, data, size, 1, &off, &st) == CM_HPARSE_DONE) {
            for (i = 0; i < h.n; i++)
                (void) cm_msg_header(m, h.v[i].name, h.v[i].value, strlen(h.v[i].value));
            (void) cm_msg_body(m, data + off, size - off);
            cm_msg_eom(m, &res);
            cm_result_free(&res);
        }
        cm_hdrs_free(&h);
        cm_msg_free(m);
    }
    cm_config_free(cfg);
    return 0;
}
