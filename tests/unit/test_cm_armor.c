#include "cm_armor.h"
#include "cm_pgpfake.h"
#include "cm_test.h"

static int whole(const cm_buf *text, int complete, cm_buf *raw)
{
    return cm_armor_message(text->data, text->len, complete, 1 << 20, raw);
}

START_TEST(encrypted_message_recognised)
{
    cm_buf text = CM_BUF_INIT, raw = CM_BUF_INIT;

    cm_buf_puts(&text, "\n  \n");
    fake_encrypted(&text, 2, 300);
    ck_assert_int_eq(whole(&text, 1, &raw), 1);
    ck_assert_uint_eq(raw.len, 2 * (2 + 94) + (3 + 300));  /* 300 needs a two-octet length */
    ck_assert_int_eq(cm_pgp_is_encrypted(raw.data, raw.len), 1);
    cm_buf_free(&text);
    cm_buf_free(&raw);
}
END_TEST

START_TEST(text_around_block_is_not_whole)
{
    cm_buf text = CM_BUF_INIT, raw = CM_BUF_INIT;

    cm_buf_puts(&text, "Hi, see below\n");
    fake_encrypted(&text, 1, 50);
    ck_assert_int_eq(whole(&text, 1, &raw), 0);
    cm_buf_reset(&text);
    fake_encrypted(&text, 1, 50);
    cm_buf_puts(&text, "PS: plaintext after the block\n");
    ck_assert_int_eq(whole(&text, 1, &raw), 0);
    cm_buf_free(&text);
    cm_buf_free(&raw);
}
END_TEST

START_TEST(truncated_block)
{
    cm_buf text = CM_BUF_INIT, raw = CM_BUF_INIT;

    fake_encrypted(&text, 1, 3000);
    text.len /= 2;      /* cut mid-way */
    ck_assert_int_eq(whole(&text, 1, &raw), 0);
    cm_buf_reset(&raw);
    ck_assert_int_eq(whole(&text, 0, &raw), 1);
    ck_assert_int_eq(cm_pgp_is_encrypted(raw.data, raw.len), 1);
    cm_buf_free(&text);
    cm_buf_free(&raw);
}
END_TEST

START_TEST(bad_base64_rejected)
{
    cm_buf text = CM_BUF_INIT, raw = CM_BUF_INIT;

    cm_buf_puts(&text, "-----BEGIN PGP MESSAGE-----\n\nThis is not base64!\n-----END PGP MESSAGE-----\n");
    ck_assert_int_eq(whole(&text, 1, &raw), 0);
    cm_buf_free(&text);
    cm_buf_free(&raw);
}
END_TEST

/* Packet sequences: which ones count as an encrypted message. */
START_TEST(packet_sequences)
{
    static const struct {
        int tags[4];
        int want;
    } seqs[] = {
        {{1, 18, 0}, 1},        /* PKESK, SEIPD */
        {{3, 18, 0}, 1},        /* SKESK, SEIPD */
        {{1, 1, 20, 0}, 1},     /* two PKESKs, AEAD */
        {{1, 9, 0}, 1},         /* PKESK, legacy SED */
        {{18, 0}, 0},           /* data without session key */
        {{11, 0}, 0},           /* literal data: plaintext */
        {{8, 0}, 0},            /* compressed data: plaintext */
        {{4, 11, 2, 0}, 0},     /* one-pass signed message */
        {{1, 0}, 0},            /* PKESK and nothing else */
    };
    size_t i, j;

    for (i = 0; i < NELEM(seqs); i++) {
        cm_buf p = CM_BUF_INIT;

        for (j = 0; seqs[i].tags[j]; j++)
            fake_packet(&p, seqs[i].tags[j], 40);
        ck_assert_msg(cm_pgp_is_encrypted(p.data, p.len) == seqs[i].want, "sequence %zu", i);
        cm_buf_free(&p);
    }
}
END_TEST

START_TEST(old_format_and_garbage)
{
    /* Old-format PKESK (tag 1, one-octet length) then old-format SEIPD... tag 18
     * cannot be old format, so use SED (tag 9). */
    unsigned char old[] = {0x84, 2, 0xaa, 0xbb, 0xa4, 1, 0xcc};
    unsigned char garbage[] = {0x00, 0x01, 0x02};
    unsigned char truncated[] = {0xc1, 100, 1, 2, 3};

    ck_assert_int_eq(cm_pgp_is_encrypted(old, sizeof(old)), 1);
    ck_assert_int_eq(cm_pgp_is_encrypted(garbage, sizeof(garbage)), 0);
    ck_assert_int_eq(cm_pgp_is_encrypted(truncated, sizeof(truncated)), 0);
    ck_assert_int_eq(cm_pgp_is_encrypted(old, 0), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, encrypted_message_recognised);
    CM_ADD(s, text_around_block_is_not_whole);
    CM_ADD(s, truncated_block);
    CM_ADD(s, bad_base64_rejected);
    CM_ADD(s, packet_sequences);
    CM_ADD(s, old_format_and_garbage);
}

CM_TEST_MAIN("cm_armor", add)
