/* The librnp engine's pool of FFI objects: a message that finds the
 * ring's FFI object busy encrypts on a copy of its public keys instead of
 * queueing; the copies are made only up to the pool's limit, then a
 * message waits for one to be given back; no slot is special (none holds
 * a secret key); and concurrent encryptions all come out whole. */
#include "cm_rnp.h"
#include "cm_rnp_int.h"
#include "cm_buf.h"
#include "cm_testbuf.h"
#include "cm_testkeys.h"
#include "cm_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_qid[] = "TESTQID";

typedef struct sess {
    cm_engine *e;
    cm_config *cfg;
    cm_msgctx mc;
    cm_engine_session *s;
} sess;

static void open_sess(sess *x)
{
    const char *kr = getenv("CM_TEST_KEYRING");
    char dir[512], err[256];

    ck_assert_ptr_nonnull(kr);
    ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/gnupg", kr), (int) sizeof(dir));
    ck_assert_int_eq(cm_rnp_engine.create(&x->e, err, sizeof(err)), CM_OK);
    x->cfg = test_config("pass");
    ck_assert_int_eq(cm_config_set(x->cfg, "KeyringDir", dir, err, sizeof(err)), 0);
    x->mc.cfg = x->cfg;
    x->mc.qid = test_qid;
    x->mc.no_gateway_keys = 0;
    ck_assert_int_eq(cm_rnp_engine.session_new(x->e, &x->mc, &x->s), CM_OK);
}

static void close_sess(sess *x)
{
    cm_rnp_engine.session_free(x->s);
    cm_rnp_engine.destroy(x->e);
    cm_config_free(x->cfg);
}

typedef struct taker {
    cm_rnp_pool *p;
    const cm_msgctx *mc;
    size_t slot;
    volatile int done;
} taker;

static void *take_thread(void *arg)
{
    taker *t = arg;

    ck_assert_int_eq(cm_rnp_pool_take(t->p, t->mc, &t->slot), CM_OK);
    __atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Has t taken a slot within a while? (It may only be slow, so a "no"
 * proves nothing by itself; every caller gives it a reason to wait.) */
static int taken_soon(taker *t)
{
    int i;

    for (i = 0; i < 50 && !__atomic_load_n(&t->done, __ATOMIC_SEQ_CST); i++)
        usleep(2000);
    return __atomic_load_n(&t->done, __ATOMIC_SEQ_CST);
}

START_TEST(a_busy_ffi_gets_a_copy_with_the_same_keys)
{
    cm_rnp_pool *p;
    size_t a, b, n = 0, own = 0;
    sess x;

    open_sess(&x);
    p = &x.s->ring->pool;
    p->max = 2;                 /* whatever this machine's CPUs */
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &a), CM_OK);
    ck_assert_uint_eq(a, 0);
    ck_assert_ptr_eq(p->ffi[0], x.s->ring->ffi);
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &b), CM_OK);
    ck_assert_uint_eq(b, 1);
    ck_assert_ptr_nonnull(p->ffi[1]);
    ck_assert_ptr_ne(p->ffi[1], p->ffi[0]);
    ck_assert_int_eq(rnp_get_public_key_count(p->ffi[0], &own), RNP_SUCCESS);
    ck_assert_int_eq(rnp_get_public_key_count(p->ffi[1], &n), RNP_SUCCESS);
    ck_assert_uint_gt(own, x.s->ring->nkeys);   /* subkeys too */
    ck_assert_uint_eq(n, own);
    ck_assert_uint_eq(p->n, 2);
    cm_rnp_pool_give(p, a);
    cm_rnp_pool_give(p, b);
    /* Given back, they are lent again: no third copy. */
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &a), CM_OK);
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &b), CM_OK);
    ck_assert_uint_eq(p->n, 2);
    cm_rnp_pool_give(p, a);
    cm_rnp_pool_give(p, b);
    close_sess(&x);
}
END_TEST

/* A thread taking a slot still waits a while later, and gets slot "given"
 * once that is given back. */
static void waits_for(cm_rnp_pool *p, const cm_msgctx *mc, size_t given)
{
    taker t = {p, mc, 99, 0};
    pthread_t th;

    ck_assert_int_eq(pthread_create(&th, NULL, take_thread, &t), 0);
    ck_assert(!taken_soon(&t));
    cm_rnp_pool_give(p, given);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_uint_eq(t.slot, given);
    cm_rnp_pool_give(p, t.slot);
}

START_TEST(a_full_pool_waits_for_a_slot_given_back)
{
    cm_rnp_pool *p;
    size_t a;
    sess x;

    open_sess(&x);
    p = &x.s->ring->pool;
    p->max = 1;
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &a), CM_OK);
    waits_for(p, &x.mc, a);
    ck_assert_uint_eq(p->n, 1);
    close_sess(&x);
}
END_TEST

/* Every slot holds the same public keys: with the ring's own busy, a
 * signature check (or an encryption) takes a free copy at once. */
START_TEST(any_free_ffi_serves)
{
    cm_rnp_pool *p;
    size_t a, b, c;
    sess x;

    open_sess(&x);
    p = &x.s->ring->pool;
    p->max = 2;
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &a), CM_OK);
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &b), CM_OK);
    ck_assert_uint_eq(a, 0);
    cm_rnp_pool_give(p, b);     /* slot 1 free, slot 0 busy */
    ck_assert_int_eq(cm_rnp_pool_take(p, &x.mc, &c), CM_OK);
    ck_assert_uint_eq(c, b);
    cm_rnp_pool_give(p, c);
    cm_rnp_pool_give(p, a);
    close_sess(&x);
}
END_TEST

#define THREADS 6

typedef struct job {
    sess *x;
    cm_engine_session *s;
    cm_buf in, out;
    cm_stat st;
} job;

static void *encrypt_thread(void *arg)
{
    job *j = arg;
    cm_reader rd = {buf_read, NULL, &j->in};
    cm_writer wr = {buf_write, &j->out};

    j->st = cm_rnp_engine.encrypt(j->s, &rd, &wr);
    return NULL;
}

/* Each output decrypts, with gpg, to its own message. */
START_TEST(concurrent_encryptions_are_whole)
{
    const char *kr = getenv("CM_TEST_KEYRING");
    pthread_t th[THREADS];
    job j[THREADS];
    const cm_key *k;
    char path[700], cmd[2048], text[64];
    size_t i, n;
    sess x;

    open_sess(&x);
    x.s->ring->pool.max = 3;    /* copies made, and waits for them */
    for (i = 0; i < THREADS; i++) {
        memset(&j[i], 0, sizeof(j[i]));
        j[i].x = &x;
        ck_assert_int_eq(cm_rnp_engine.session_new(x.e, &x.mc, &j[i].s), CM_OK);
        ck_assert_int_eq(cm_rnp_engine.lookup(j[i].s, "alice@example.org", &k), CM_OK);
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(cm_rnp_engine.add_recipient(j[i].s, k), CM_OK);
        n = (size_t) snprintf(text, sizeof(text), "message number %zu\n", i);
        for (int r = 0; r < 2000; r++)
            ck_assert_int_eq(cm_buf_append(&j[i].in, text, n), 0);
    }
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, encrypt_thread, &j[i]), 0);
    for (i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (i = 0; i < THREADS; i++) {
        FILE *fp;

        ck_assert_int_eq(j[i].st, CM_OK);
        ck_assert_ptr_nonnull(fp = fopen(cm_test_path(path, sizeof(path), "pool-ct"), "wb"));
        ck_assert_uint_eq(fwrite(j[i].out.data, 1, j[i].out.len, fp), j[i].out.len);
        ck_assert_int_eq(fclose(fp), 0);
        snprintf(text, sizeof(text), "message number %zu", i);
        snprintf(cmd, sizeof(cmd),
                 "GNUPGHOME='%s/gnupg' gpg --batch --quiet -d '%s' 2>/dev/null "
                 "| sort | uniq -c | grep -qx ' *2000 %s'", kr, path, text);
        ck_assert_msg(system(cmd) == 0, "output %zu does not decrypt to its message", i);
        unlink(path);
        cm_rnp_engine.session_free(j[i].s);
        cm_buf_free(&j[i].in);
        cm_buf_free(&j[i].out);
    }
    ck_assert_uint_le(x.s->ring->pool.n, 3);
    close_sess(&x);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, a_busy_ffi_gets_a_copy_with_the_same_keys);
    CM_ADD(s, a_full_pool_waits_for_a_slot_given_back);
    CM_ADD(s, any_free_ffi_serves);
    CM_ADD(s, concurrent_encryptions_are_whole);
}

CM_TEST_MAIN("cm_rnp_pool", add_cases)
