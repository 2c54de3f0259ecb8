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
#include "cm_nullengine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static int one(const unsigned char *body, size_t size, char **rcpts, int nrcpt)
{
    size_t out = 0;
    cm_writer wr = {sink_write, &out};

    if (cm_nullengine_encrypt(body, size, rcpts, (size_t) nrcpt, &wr) < 0)
        return -1;
    return out > size ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned char *body;
    double t0, c0;
    long long m0, m1;
    size_t size, i;
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
    if (cm_nullengine_init(argv[2], argv[1]) < 0)
        return 78;
    if ((body = malloc(size)) == NULL)
        return 71;
    for (i = 0; i < size; i++)          /* text, as mail bodies mostly are */
        body[i] = (unsigned char) ((i % 77) == 76 ? '\n' : 'a' + (char) (i * 7 % 26));
    if (one(body, size, argv + 5, argc - 5) < 0)    /* loads the keyring */
        return 1;
    t0 = now();
    c0 = self_cpu();
    m0 = machine_ticks();
    for (i = 0; i < (size_t) n; i++)
        if (one(body, size, argv + 5, argc - 5) < 0)
            return 1;
    m1 = machine_ticks();
    printf("%s %d rcpt %zu bytes: wall %.3f ms, process CPU %.3f ms, machine CPU %.3f ms per message\n",
           argv[1], argc - 5, size, (now() - t0) * 1000 / (double) n, (self_cpu() - c0) * 1000 / (double) n,
           m0 < 0 || m1 < 0 ? -1.0 : (double) (m1 - m0) * 1000 / (double) sysconf(_SC_CLK_TCK) / (double) n);
    free(body);
    return 0;
}
