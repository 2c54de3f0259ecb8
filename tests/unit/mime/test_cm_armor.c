#include "cm_armor.h"
#include "cm_pgpfake.h"
#include "cm_test.h"

/* Run the armor reader over text, split at every chunk size given. */
static int armor_verdict(const cm_buf *text, size_t chunk)
{
    cm_armor a;
    size_t off;
    int r;

    cm_armor_init(&a);
    for (off = 0; off < text->len; off += chunk)
        ck_assert_int_eq(cm_armor_push(&a, text->data + off,
                                       text->len - off < chunk ? text->len - off : chunk), 0);
    r = cm_armor_finish(&a);
    cm_armor_free(&a);
    return r;
}

START_TEST(crc24_known_value)
{
    /* CRC-24/OPENPGP check value of "123456789". */
    ck_assert_uint_eq(cm_crc24(CM_CRC24_INIT, (const unsigned char *) "123456789", 9), 0x21CF02);
}
END_TEST

START_TEST(encrypted_message_recognised)
{
    static const size_t chunks[] = {1, 3, 64, 100000};
    cm_buf text = CM_BUF_INIT;
    size_t i;

    cm_buf_puts(&text, "\n  \n");
    fake_encrypted(&text, 2, 300);
    cm_buf_puts(&text, "\n\n");
    for (i = 0; i < NELEM(chunks); i++)
        ck_assert_msg(armor_verdict(&text, chunks[i]) == 1, "chunk %zu", chunks[i]);
    cm_buf_free(&text);
}
END_TEST

START_TEST(text_around_block_is_not_whole)
{
    cm_buf text = CM_BUF_INIT;

    cm_buf_puts(&text, "Hi, see below\n");
    fake_encrypted(&text, 1, 50);
    ck_assert_int_eq(armor_verdict(&text, 7), 0);
    cm_buf_reset(&text);
    fake_encrypted(&text, 1, 50);
    cm_buf_puts(&text, "PS: plaintext after the block\n");
    ck_assert_int_eq(armor_verdict(&text, 7), 0);
    cm_buf_free(&text);
}
END_TEST

START_TEST(armor_headers_limited)
{
    static const char *const hdrs[] = {
        "Comment: canary secret text that runs on and on and on far beyond any sane length of a comment\n",
        "Subject: canary\n",
        "Comment: one\nComment: two\n",
        "MessageID: canary\n",
    };
    cm_buf pk = CM_BUF_INIT;
    size_t i;

    fake_packet(&pk, 1, 94);
    fake_packet(&pk, 18, 80);
    for (i = 0; i < NELEM(hdrs); i++) {
        cm_buf text = CM_BUF_INIT, good = CM_BUF_INIT;

        fake_armor(&pk, &good);
        /* Put the extra header lines after "Comment: test". */
        cm_buf_append(&text, good.data, 42);
        cm_buf_puts(&text, hdrs[i]);
        cm_buf_append(&text, good.data + 42, good.len - 42);
        ck_assert_msg(armor_verdict(&text, 1000) == 0, "header %zu", i);
        ck_assert_int_eq(armor_verdict(&good, 1000), 1);
        cm_buf_free(&text);
        cm_buf_free(&good);
    }
    cm_buf_free(&pk);
}
END_TEST

START_TEST(truncated_or_corrupt_block)
{
    cm_buf text = CM_BUF_INIT, cut = CM_BUF_INIT;
    unsigned char *x;

    fake_encrypted(&text, 1, 3000);
    cm_buf_append(&cut, text.data, text.len / 2);
    ck_assert_int_eq(armor_verdict(&cut, 64), 0);
    /* Cut whole lines and add the END line back: the packet is short. */
    cm_buf_reset(&cut);
    cm_buf_append(&cut, text.data, (size_t) ((unsigned char *) memchr(text.data + text.len / 2, '\n',
                                                                      text.len) - text.data) + 1);
    cm_buf_puts(&cut, "-----END PGP MESSAGE-----\n");
    ck_assert_int_eq(armor_verdict(&cut, 64), 0);
    /* One base64 character changed: the CRC no longer matches. */
    x = memchr(text.data + 100, 'A', text.len - 100);
    ck_assert_ptr_nonnull(x);
    *x = 'B';
    ck_assert_int_eq(armor_verdict(&text, 64), 0);
    cm_buf_free(&text);
    cm_buf_free(&cut);
}
END_TEST

START_TEST(bad_base64_rejected)
{
    cm_buf text = CM_BUF_INIT;

    cm_buf_puts(&text, "-----BEGIN PGP MESSAGE-----\n\nThis is not base64!\n-----END PGP MESSAGE-----\n");
    ck_assert_int_eq(armor_verdict(&text, 1000), 0);
    cm_buf_free(&text);
}
END_TEST

static int walk(const unsigned char *p, size_t n)
{
    cm_pgppkt w;

    cm_pgppkt_init(&w);
    cm_pgppkt_push(&w, p, n);
    return cm_pgppkt_finish(&w);
}

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
        {{1, 18, 11, 0}, 0},    /* plaintext after the ciphertext */
        {{1, 18, 18, 0}, 0},    /* two encrypted packets */
    };
    size_t i, j;

    for (i = 0; i < NELEM(seqs); i++) {
        cm_buf p = CM_BUF_INIT;

        for (j = 0; seqs[i].tags[j]; j++)
            fake_packet(&p, seqs[i].tags[j], 40);
        ck_assert_msg(walk(p.data, p.len) == seqs[i].want, "sequence %zu", i);
        cm_buf_free(&p);
    }
}
END_TEST

START_TEST(pkesk_count_and_key_ids)
{
    unsigned char pk[] = {0xc1, 10, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1,
                          0xc1, 10, 3, 0xaa, 0, 0, 0, 0, 0, 0, 0xbb, 1,
                          0xd2, 2, 1, 0};
    cm_pgppkt w;
    size_t i;

    cm_pgppkt_init(&w);
    for (i = 0; i < sizeof(pk); i++)
        cm_pgppkt_push(&w, pk + i, 1);
    ck_assert_int_eq(cm_pgppkt_finish(&w), 1);
    ck_assert_uint_eq(w.npkesk, 2);
    ck_assert_uint_eq(w.nkeyids, 2);
    ck_assert(w.keyids[0] == 0x0102030405060708ULL);
    ck_assert(w.keyids[1] == 0xaa000000000000bbULL);
    ck_assert_int_eq(w.enc_tag, CM_PKT_SEIPD);
}
END_TEST

START_TEST(partial_lengths)
{
    /* PKESK, then SEIPD in a 512-byte partial chunk and a final 3-byte one. */
    cm_buf p = CM_BUF_INIT;
    size_t i;

    fake_packet(&p, 1, 20);
    cm_buf_putc(&p, 0xc0 | 18);
    cm_buf_putc(&p, 224 + 9);
    for (i = 0; i < 512; i++)
        cm_buf_putc(&p, 7);
    cm_buf_putc(&p, 3);
    cm_buf_append(&p, "abc", 3);
    ck_assert_int_eq(walk(p.data, p.len), 1);
    ck_assert_int_eq(walk(p.data, p.len - 1), 0);     /* last chunk short */
    cm_buf_putc(&p, 0xcb);                            /* a packet after it */
    ck_assert_int_eq(walk(p.data, p.len), 0);
    cm_buf_free(&p);
}
END_TEST

START_TEST(old_format_and_garbage)
{
    unsigned char old[] = {0x84, 2, 0xaa, 0xbb, 0xa4, 1, 0xcc};
    unsigned char indeterminate[] = {0x84, 2, 0xaa, 0xbb, 0xa7, 1, 2, 3};
    unsigned char garbage[] = {0x00, 0x01, 0x02};
    unsigned char truncated[] = {0xc1, 100, 1, 2, 3};

    ck_assert_int_eq(walk(old, sizeof(old)), 1);
    ck_assert_int_eq(walk(indeterminate, sizeof(indeterminate)), 1);
    ck_assert_int_eq(walk(garbage, sizeof(garbage)), 0);
    ck_assert_int_eq(walk(truncated, sizeof(truncated)), 0);
    ck_assert_int_eq(walk(old, 0), 0);
}
END_TEST

static void add(Suite *s)
{
    CM_ADD(s, crc24_known_value);
    CM_ADD(s, encrypted_message_recognised);
    CM_ADD(s, text_around_block_is_not_whole);
    CM_ADD(s, armor_headers_limited);
    CM_ADD(s, truncated_or_corrupt_block);
    CM_ADD(s, bad_base64_rejected);
    CM_ADD(s, packet_sequences);
    CM_ADD(s, pkesk_count_and_key_ids);
    CM_ADD(s, partial_lengths);
    CM_ADD(s, old_format_and_garbage);
}

CM_TEST_MAIN("cm_armor", add)
