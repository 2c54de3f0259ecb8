/* engine_cost - what an OpenPGP engine alone costs to encrypt one message:
 * no MTA, no milter protocol, no MIME; the engine's own session, lookups
 * and encryption, one message at a time, as the daemon calls them.
 *
 *     cryptmilter-enginecost ENGINE KEYRINGDIR SIZE N RCPT...
 *
 * ENGINE is gpgme or rnp, SIZE the plaintext's bytes, N the messages timed
 * (after one untimed). Prints one line: wall time, this process's CPU and
 * the machine's CPU (all processes: gpg's too), each per message. Run on
 * an idle machine; tests/bench/engine_cost.py drives it. Asserts nothing
 * about speed. */
#include "cm_config.h"
#include "cm_engine.h"
#include "cm_engines.h"
#include "cm_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static int sink_write(void *arg, const void *buf, size_t n)
{
    (void) buf;
    *(size_t *) arg += n;
    return 0;
}

static double now(void)
{
    struct timespec t;

    return clock_gettime(CLOCK_MONOTONIC, &t) == 0 ? (double) t.tv_sec + (double) t.tv_nsec / 1e9 : 0;
}

static double self_cpu(void)
{
    struct rusage u;

    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double) u.ru_utime.tv_sec + (double) u.ru_utime.tv_usec / 1e6
           + (double) u.ru_stime.tv_sec + (double) u.ru_stime.tv_usec / 1e6;
}

/* Busy time of all CPUs, in clock ticks (user nice system irq softirq steal). */
static long long machine_ticks(void)
{
    long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int n;

    if (f == NULL)
        return -1;
    n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]);
    (void) fclose(f);
    return n == 8 ? v[0] + v[1] + v[2] + v[5] + v[6] + v[7] : -1;
}

static int one(const cm_engine_ops *ops, cm_engine *e, const cm_msgctx *mc, const unsigned char *body,
               size_t size, char **rcpts, int nrcpt)
{
    cm_engine_session *s = NULL;
    src in = {body, size, 0};
    size_t out = 0;
    cm_reader rd = {src_read, NULL, &in};
    cm_writer wr = {sink_write, &out};
    cm_stat st;
    int i;

    if ((st = ops->session_new(e, mc, &s)) != CM_OK) {
        fprintf(stderr, "session: %s\n", cm_stat_lookup(st)->name);
        return -1;
    }
    for (i = 0; i < nrcpt; i++) {
        const cm_key *k = NULL;

        if ((st = ops->lookup(s, rcpts[i], &k)) != CM_OK || k == NULL
            || (st = ops->add_recipient(s, k)) != CM_OK) {
            fprintf(stderr, "no key for %s\n", rcpts[i]);
            ops->session_free(s);
            return -1;
        }
    }
    st = ops->encrypt(s, &rd, &wr);
    ops->session_free(s);
    if (st != CM_OK || out <= size) {
        fprintf(stderr, "encryption: %s\n", cm_stat_lookup(st)->name);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const cm_engine_ops *ops;
    unsigned char *body;
    cm_engines *engines;
    cm_engine *e;
    cm_config *cfg;
    cm_msgctx mc;
    char err[512], qid[] = "BENCH";
    double t0, c0;
    long long m0, m1;
    size_t size, i;
    cm_stat st;
    long n;

    if (argc < 6) {
        fprintf(stderr, "usage: %s gpgme|rnp KEYRINGDIR SIZE N RCPT...\n", argv[0]);
        return 64;
    }
    size = strtoul(argv[3], NULL, 10);
    n = strtol(argv[4], NULL, 10);
    if (size == 0 || n <= 0) {
        fprintf(stderr, "%s: SIZE and N above 0\n", argv[0]);
        return 64;
    }
    if ((cfg = cm_config_new()) == NULL || cm_config_set(cfg, "KeyringDir", argv[2], err, sizeof(err)) < 0
        || cm_config_set(cfg, "OpenPGPBackend", argv[1], err, sizeof(err)) < 0) {
        fprintf(stderr, "configuration: %s\n", cfg == NULL ? "out of memory" : err);
        return 78;
    }
    if ((body = malloc(size)) == NULL)
        return 71;
    for (i = 0; i < size; i++)          /* text, as mail bodies mostly are */
        body[i] = (unsigned char) ((i % 77) == 76 ? '\n' : 'a' + (char) (i * 7 % 26));
    mc.cfg = cfg;
    mc.qid = qid;
    mc.no_gateway_keys = 0;
    /* The registry's first engine is the configured OpenPGP one. */
    if ((engines = cm_engines_create(cfg, &st, err, sizeof(err))) == NULL) {
        fprintf(stderr, "engine: %s\n", err);
        return 71;
    }
    ops = engines->v[0].ops;
    e = engines->v[0].engine;
    if (one(ops, e, &mc, body, size, argv + 5, argc - 5) < 0)    /* loads the keyring */
        return 1;
    t0 = now();
    c0 = self_cpu();
    m0 = machine_ticks();
    for (i = 0; i < (size_t) n; i++)
        if (one(ops, e, &mc, body, size, argv + 5, argc - 5) < 0)
            return 1;
    m1 = machine_ticks();
    printf("%s %d rcpt %zu bytes: wall %.3f ms, process CPU %.3f ms, machine CPU %.3f ms per message\n",
           ops->name, argc - 5, size, (now() - t0) * 1000 / (double) n, (self_cpu() - c0) * 1000 / (double) n,
           m0 < 0 || m1 < 0 ? -1.0 : (double) (m1 - m0) * 1000 / (double) sysconf(_SC_CLK_TCK) / (double) n);
    cm_engines_destroy(engines);
    cm_config_free(cfg);
    free(body);
    return 0;
}
