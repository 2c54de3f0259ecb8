#include "cm_digest.h"
#include "cm_pgpdecrypt.h"
#include "cm_pgpfake.h"
#include "cm_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* A mock engine: which calls it got, and what it answers. */
#define GW_KEYID 0x1122334455667788ULL
#define PLAIN "Content-Type: text/plain\n\nhello\n"

static struct {
    int cut_spool;          /* gateway_match cuts the spilled body short */
    int decrypt_calls;
    int midstream;          /* answer CM_ERR_ENGINE_MIDSTREAM this many times */
    size_t ct_bytes;        /* ciphertext bytes the last decrypt read */
} mock;

/* Cut the spilled (unlinked) spool file of this process short, as a disk
 * fault would between detection and decryption. */
static void cut_spool_file(void)
{
    char path[300], target[PATH_MAX];
    const char *tmp = cm_test_tmp();
    struct dirent *de;
    DIR *d = opendir("/proc/self/fd");
    int cut = 0;
    ssize_t n;

    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
        if ((n = readlink(path, target, sizeof(target) - 1)) <= 0)
            continue;
        target[n] = 0;
        if (strncmp(target, tmp, strlen(tmp)) == 0 && strstr(target, "(deleted)") != NULL) {
            ck_assert_int_eq(ftruncate(atoi(de->d_name), 20), 0);
            cut++;
        }
    }
    closedir(d);
    ck_assert_int_eq(cut, 1);
}

static cm_stat mock_gateway_match(cm_engine_session *s, const uint64_t *ids, size_t n, int *yes)
{
    size_t i;

    (void) s;
    if (mock.cut_spool)
        cut_spool_file();
    *yes = 0;
    for (i = 0; i < n; i++)
        if (ids[i] == GW_KEYID)
            *yes = 1;
    return CM_OK;
}

static cm_stat mock_decrypt(cm_engine_session *s, cm_reader *in, cm_writer *out, cm_sigs *sigs)
{
    char buf[4096];
    ssize_t n;

    (void) s;
    mock.decrypt_calls++;
    mock.ct_bytes = 0;
    while ((n = in->read(in->arg, buf, sizeof(buf))) > 0)
        mock.ct_bytes += (size_t) n;
    memset(sigs, 0, sizeof(*sigs));
    if (n < 0)              /* input cut short: what gpg says of a damaged message */
        return CM_DECRYPT_FAILED;
    if (out->write(out->arg, PLAIN, strlen(PLAIN)) < 0)
        return CM_ERR_SPOOL;
    if (mock.midstream > 0) {
        mock.midstream--;
        return CM_ERR_ENGINE_MIDSTREAM;
    }
    sigs->n = sigs->seen = 1;
    sigs->v[0].status = CM_SIG_GOOD;
    strcpy(sigs->v[0].fpr, "AB");
    return CM_OK;
}

static cm_engine_ops mock_ops;

static void setup(void)
{
    memset(&mock, 0, sizeof(mock));
    memset(&mock_ops, 0, sizeof(mock_ops));
    mock_ops.name = "mock";
    mock_ops.gateway_match = mock_gateway_match;
    mock_ops.decrypt_verify = mock_decrypt;
}

/* PKESK v3 for keyid, then an encrypted-data packet with tag. */
static void message(uint64_t keyid, int tag, cm_buf *armor)
{
    cm_buf pk = CM_BUF_INIT;
    int i;

    cm_buf_putc(&pk, 0xc0 | 1);
    cm_buf_putc(&pk, 20);
    cm_buf_putc(&pk, 3);
    for (i = 7; i >= 0; i--)
        cm_buf_putc(&pk, (int) (keyid >> (8 * i) & 0xff));
    cm_buf_putc(&pk, 18);
    for (i = 0; i < 10; i++)
        cm_buf_putc(&pk, 0x5a);
    fake_packet(&pk, tag, 300);
    fake_armor(&pk, armor);
    cm_buf_free(&pk);
}

static cm_stat run(const cm_buf *body_text, cm_pgp_plain *pp)
{
    cm_armor a;
    /* Spilled to a file from the first byte, when a test cuts it short. */
    cm_spool *body = mock.cut_spool ? cm_spool_new(16, cm_test_tmp()) : cm_spool_new(1 << 20, NULL);
    cm_config *cfg = cm_config_new();
    cm_msgctx mc = {cfg, NULL, 0};
    cm_detect_where w;
    cm_stat st;

    ck_assert(body != NULL && cfg != NULL);
    ck_assert_int_eq(cm_spool_write(body, "preamble", 8), 0);
    ck_assert_int_eq(cm_spool_write(body, body_text->data, body_text->len), 0);
    ck_assert_int_eq(cm_spool_write(body, "epilogue", 8), 0);
    w.off = 8;
    w.len = body_text->len;
    w.cte = CM_CTE_IDENTITY;
    /* What detection's armor and packet walk would have found. */
    cm_armor_init(&a);
    ck_assert_int_eq(cm_armor_push(&a, body_text->data, body_text->len), 0);
    ck_assert_int_eq(cm_armor_finish(&a), 1);
    w.pkt = a.pkt;
    cm_armor_free(&a);
    memset(pp, 0, sizeof(*pp));
    pp->plain = cm_spool_new(1 << 20, NULL);
    st = cm_pgp_decrypt(&mock_ops, NULL, &mc, body, &w, pp);
    cm_spool_free(body);
    cm_config_free(cfg);
    return st;
}

static void check_plain(cm_pgp_plain *pp)
{
    const char *want = "Content-Type: text/plain\r\n\r\nhello\r\n";
    unsigned char dg[CM_DIGEST_LEN];
    char buf[128];
    ssize_t n = cm_spool_read_at(pp->plain, 0, buf, sizeof(buf));

    ck_assert_int_eq(n, (ssize_t) strlen(want));
    ck_assert(memcmp(buf, want, strlen(want)) == 0);
    /* The digest is of what was signed: the bytes as the engine wrote them. */
    ck_assert_int_eq(cm_digest_once(PLAIN, strlen(PLAIN), dg), 0);
    ck_assert(memcmp(dg, pp->digest, CM_DIGEST_LEN) == 0);
}

START_TEST(for_the_gateway_is_decrypted)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    message(GW_KEYID, 18, &a);
    ck_assert_int_eq(run(&a, &pp), CM_OK);
    ck_assert_int_eq(pp.ours, 1);
    ck_assert_int_eq(mock.decrypt_calls, 1);
    ck_assert_uint_eq(mock.ct_bytes, a.len);
    ck_assert_uint_eq(pp.sigs.n, 1);
    check_plain(&pp);
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

START_TEST(for_others_is_never_given_to_the_engine)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    message(0x0102030405060708ULL, 18, &a);
    ck_assert_int_eq(run(&a, &pp), CM_OK);
    ck_assert_int_eq(pp.ours, 0);
    ck_assert_int_eq(mock.decrypt_calls, 0);
    ck_assert_uint_eq(cm_spool_size(pp.plain), 0);
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

START_TEST(no_integrity_protection_is_refused_undecrypted)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    message(GW_KEYID, 9, &a);
    ck_assert_int_eq(run(&a, &pp), CM_DECRYPT_FAILED);
    ck_assert_int_eq(pp.ours, 1);
    ck_assert_int_eq(mock.decrypt_calls, 0);
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

START_TEST(engine_stopping_once_is_retried)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    mock.midstream = 1;
    message(GW_KEYID, 20, &a);
    ck_assert_int_eq(run(&a, &pp), CM_OK);
    ck_assert_int_eq(mock.decrypt_calls, 2);
    check_plain(&pp);       /* the first run's bytes are gone */
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

START_TEST(engine_stopping_twice_is_the_message)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    mock.midstream = 2;
    message(GW_KEYID, 18, &a);
    ck_assert_int_eq(run(&a, &pp), CM_DECRYPT_FAILED);
    ck_assert_int_eq(mock.decrypt_calls, 2);
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

/* A spool read failing under the engine is the gateway's fault (4xx),
 * not "this message is damaged" (5xx), whatever the engine says. */
START_TEST(spool_failure_is_ours_not_the_message)
{
    cm_buf a = CM_BUF_INIT;
    cm_pgp_plain pp;

    setup();
    mock.cut_spool = 1;
    message(GW_KEYID, 18, &a);
    ck_assert_int_eq(run(&a, &pp), CM_ERR_SPOOL);
    ck_assert_int_eq(mock.decrypt_calls, 1);
    cm_spool_free(pp.plain);
    cm_buf_free(&a);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, for_the_gateway_is_decrypted);
    CM_ADD(s, for_others_is_never_given_to_the_engine);
    CM_ADD(s, no_integrity_protection_is_refused_undecrypted);
    CM_ADD(s, engine_stopping_once_is_retried);
    CM_ADD(s, engine_stopping_twice_is_the_message);
    CM_ADD(s, spool_failure_is_ours_not_the_message);
}

CM_TEST_MAIN("cm_pgpdecrypt", add)
