/* libFuzzer: the message core end to end (recipients, header fields, body,
 * end of message) over the unit tests' fake engine: no gpg. The first
 * input byte chooses the configuration, the rest is the message. */
#include "cm_config.h"
#include "cm_fakeengine.h"
#include "cm_header.h"
#include "cm_log.h"
#include "cm_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Addresses with a key in the fake engine. */
static const char *const keyed[] = {"alice@example.org", "bob@example.org", "a@example.org", NULL};

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
    fake_reset(keyed);
    if ((m = cm_msg_new(cfg, fake_engines(), "FUZZ")) != NULL) {
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
            cm_msg_report(m, &res);
            cm_result_free(&res);
        }
        cm_hdrs_free(&h);
        cm_msg_free(m);
    }
    cm_config_free(cfg);
    cm_buf_free(&fake.seen);
    return 0;
}
