/* The GPGME engine's reading of gpg's status lines in a decryption with the
 * gateway key (cm_gpgme_dec.c), against the fixture keyring: whose fault a
 * failure is (the message's 5xx, or the gateway key's 4xx), and a
 * signature verdict that gpg gives by stopping. */
#include "cm_gpgme.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testengine.h"
#include "cm_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A field of the first colon line of a type that gpg lists for who. */
static void colon_field(const char *who, const char *type, int field, char *out, size_t len)
{
    cm_testengine_colons("gnupg", who, type, field, out, len);
}

/* gpg of the sending user's over input (binary output). */
static void sender_gpg(const char *args, const char *input, cm_buf *out)
{
    cm_testengine_sender_gpg(args, 0, input, out);
}

/* Offset and length of the session key packet for keyid in a message gpg
 * wrote (old or new format, fixed lengths); 0 if there is none. */
static int pkesk_for(const cm_buf *m, uint64_t keyid, size_t *off, size_t *len)
{
    const unsigned char *d = m->data;
    size_t i = 0;

    while (i + 2 < m->len) {
        size_t hl, bl, tag;

        if (d[i] & 0x40) {
            tag = d[i] & 0x3F;
            ck_assert(d[i + 1] < 192);
            hl = 2;
            bl = d[i + 1];
        } else {
            static const size_t lens[3] = {1, 2, 4};
            size_t k;

            tag = (d[i] >> 2) & 0x0F;
            ck_assert((d[i] & 3) != 3);
            hl = 1 + lens[d[i] & 3];
            for (bl = 0, k = 1; k < hl; k++)
                bl = bl << 8 | d[i + k];
        }
        if (tag == 1 && bl > 9) {
            uint64_t id = 0;
            size_t k;

            for (k = 0; k < 8; k++)
                id = id << 8 | d[i + hl + 1 + k];
            if (id == keyid) {
                *off = i;
                *len = hl + bl;
                return 1;
            }
        }
        i += hl + bl;
    }
    return 0;
}

static uint64_t gateway_subkey_id(void)
{
    char kid[64];

    colon_field("gateway@gw.example.net", "sub", 4, kid, sizeof(kid));
    return strtoull(kid, NULL, 16);
}

/* A real message to the gateway and to the outsider with the gateway's
 * session key packet damaged: gpg reports NO_SECKEY for the outsider's
 * packet (no secret key here), which is no fault of the gateway's key. */
START_TEST(damaged_gateway_packet_beside_another_recipient_is_the_messages)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    uint64_t gwid = gateway_subkey_id();
    char args[512];
    cm_sigs sigs;
    size_t off, len;
    int yes;

    cm_testsession_open(&f, &cm_gpgme_engine, NULL, NULL);
    snprintf(args, sizeof(args), "--sign -u alice@example.org --encrypt -r %s "
             "-r outsider@example.com", f.gw);
    sender_gpg(args, "Content-Type: text/plain\r\n\r\nsecret\r\n", &ct);
    ck_assert(pkesk_for(&ct, gwid, &off, &len));
    ck_assert(len > 20);
    ck_assert_int_eq(cm_gpgme_engine.gateway_match(f.s, &gwid, 1, &yes), CM_OK);
    ck_assert_int_eq(yes, 1);
    ct.data[off + len - 5] ^= 0x55;     /* inside the wrapped session key */
    ck_assert_int_eq(cm_gpgme_engine.decrypt_verify(f.s, &rd, &wr, &sigs), CM_DECRYPT_FAILED);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

/* The same message whole, with the gateway's secret key gone from the
 * agent: that is the gateway's problem (4xx), another recipient or not. */
START_TEST(gateway_secret_missing_beside_another_recipient_is_ours)
{
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT, out = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    char home[512], cmd[8192], args[512];
    cm_sigs sigs;

    snprintf(home, sizeof(home), "%s/status-nogw-%d", cm_test_tmp(), (int) getpid());
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -m 700 '%s' && cd '%s/gnupg' && "
             "cp -r pubring.kbx trustdb.gpg private-keys-v1.d '%s'/ && "
             "GNUPGHOME='%s' gpg --batch --with-colons --with-keygrip --list-keys "
             "gateway@gw.example.net | awk -F: '$1==\"grp\"{print $10}' | "
             "while read g; do rm -f '%s'/private-keys-v1.d/$g.key; done",
             home, home, getenv("CM_TEST_KEYRING"), home, home, home);
    cm_testengine_run(cmd, &out);
    cm_testsession_open(&f, &cm_gpgme_engine, NULL, home);
    snprintf(args, sizeof(args), "--sign -u alice@example.org --encrypt -r %s "
             "-r outsider@example.com", f.gw);
    sender_gpg(args, "Content-Type: text/plain\r\n\r\nsecret\r\n", &ct);
    ck_assert_int_eq(cm_gpgme_engine.decrypt_verify(f.s, &rd, &wr, &sigs), CM_ERR_GATEWAY_KEY);
    cm_testsession_close(&f);
    snprintf(cmd, sizeof(cmd), "GNUPGHOME='%s' gpgconf --kill all; rm -rf '%s'", home, home);
    cm_testengine_run(cmd, &out);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_buf_free(&out);
}
END_TEST

/* A signature past its own expiration time: gpg (--batch) stops at it,
 * before the MDC, after writing all the data it signs. The engine gives
 * the signature's verdict with that data, not "cannot decrypt". */
START_TEST(expired_signature_is_a_verdict_with_the_data)
{
    static const char text[] = "Content-Type: text/plain\r\n\r\nsigned, then expired\r\n";
    cm_testsession f;
    cm_buf ct = CM_BUF_INIT, plain = CM_BUF_INIT;
    cm_reader rd = {buf_read, NULL, &ct};
    cm_writer wr = {buf_write, &plain};
    char args[512], ago[32], alice[128];
    time_t t = time(NULL) - 600;
    cm_sigs sigs;

    ck_assert(strftime(ago, sizeof(ago), "%Y%m%dT%H%M%S", gmtime(&t)) > 0);
    cm_testsession_open(&f, &cm_gpgme_engine, NULL, NULL);
    colon_field("alice@example.org", "fpr", 9, alice, sizeof(alice));
    snprintf(args, sizeof(args), "--faked-system-time %s --ignore-time-conflict "
             "--default-sig-expire seconds=60 --sign -u alice@example.org --encrypt -r %s",
             ago, f.gw);
    sender_gpg(args, text, &ct);
    ck_assert_int_eq(cm_gpgme_engine.decrypt_verify(f.s, &rd, &wr, &sigs), CM_OK);
    ck_assert_uint_eq(sigs.seen, 1);
    ck_assert_int_eq(sigs.v[0].status, CM_SIG_EXPIRED);
    ck_assert_str_eq(sigs.v[0].fpr, alice);
    ck_assert(sigs.v[0].created >= t - 60 && sigs.v[0].created <= t + 60);
    ck_assert_uint_eq(plain.len, strlen(text));
    ck_assert(memcmp(plain.data, text, plain.len) == 0);
    cm_buf_free(&ct);
    cm_buf_free(&plain);
    cm_testsession_close(&f);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, damaged_gateway_packet_beside_another_recipient_is_the_messages);
    CM_ADD(s, gateway_secret_missing_beside_another_recipient_is_ours);
    CM_ADD(s, expired_signature_is_a_verdict_with_the_data);
}

CM_TEST_MAIN("cm_gpgme_status", add)
