/* cm_nullmilter - the benchmark's ceiling: a milter that does what any
 * body-rewriting milter must (take the whole body, hand a body back) and
 * nothing else. It replaces each message's body with itself. Not
 * installed; tests/bench runs it beside cryptmilter.
 *
 *     cryptmilter-nullmilter [-r] [-a] [-e] [-c A,B,C | -k KEYRINGDIR] SOCKET
 *                                       (e.g. local:/path/null.sock)
 *
 * -r and -a make it a floor under an encrypting milter: two costs that
 * cryptmilter has and the ceiling has not, without the cryptography.
 * -r asks for each RCPT and answers it (as a milter must that decides
 * per recipient); -a adds two headers and hands back the body in the
 * core's base64, lines of 64: as large as the armor of its ciphertext.
 * -c spends an engine's CPU on each message as well: A ms, B ms per MiB
 * of body, C ms per recipient past the first (counted with -r).
 * -k runs the OpenPGP engine itself instead (rnp, on KEYRINGDIR's keys,
 * through cm_nullengine as cryptmilter's engine seam calls it): with -r
 * and -a, each message's body is encrypted to its recipients' keys and
 * the ciphertext handed back in the core's base64. The floor then pays
 * what the engine costs inside a milter beside the MTA's processes, where
 * -c spends what it costs in a loop of its own.
 * -e takes the steps cryptmilter must see besides RCPT and the body:
 * connect, MAIL and each header field (with their macros), unanswered
 * where the MTA allows, as cryptmilter negotiates them; it keeps nothing
 * of them.
 */
#include <libmilter/mfapi.h>

#include "cm_base64.h"
#include "cm_nullengine.h"
#include "cm_testbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define B64_LINE 64     /* characters per line, as gpg's armor */

static int armored;     /* -a */
static int steps;       /* -e */
static double cost[3];  /* -c: ms a message, a MiB, a recipient past the first */
static int engine;      /* -k */

/* Spend ms of this thread's CPU time, as an engine would. */
static void burn(double ms)
{
    struct timespec t0, t;
    volatile unsigned long x = 0;
    int i;

    if (ms <= 0 || clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0) != 0)
        return;
    do {
        for (i = 0; i < 10000; i++)
            x += (unsigned long) i;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
            return;
    } while ((double) (t.tv_sec - t0.tv_sec) * 1e3 + (double) (t.tv_nsec - t0.tv_nsec) / 1e6 < ms);
}

/* One per connection: the body of its current message. */
typedef struct body {
    unsigned char *p;
    size_t len, cap;
    size_t rcpts;       /* RCPTs of the current message (-r) */
    char **addrs;       /* -k: their addresses */
    int failed;         /* a chunk could not be kept: end of message says so */
    int noreply;        /* the MTA sends body chunks without waiting */
    unsigned long nrsteps;  /* -e: the SMFIP_NR_* steps negotiated */
} body;

static body *get(SMFICTX *ctx)
{
    body *b = smfi_getpriv(ctx);

    if (b == NULL && (b = calloc(1, sizeof(*b))) != NULL && smfi_setpriv(ctx, b) != MI_SUCCESS) {
        free(b);
        b = NULL;
    }
    return b;
}

/* The message is done: forget its body, keep the connection's state. */
static void reset(SMFICTX *ctx)
{
    body *b = smfi_getpriv(ctx);

    if (b != NULL) {
        for (size_t i = 0; b->addrs != NULL && i < b->rcpts; i++)
            free(b->addrs[i]);
        free(b->addrs);
        b->addrs = NULL;
        free(b->p);
        b->p = NULL;
        b->len = b->cap = b->rcpts = 0;
        b->failed = 0;
    }
}

static void drop(SMFICTX *ctx)
{
    reset(ctx);
    free(smfi_getpriv(ctx));
    (void) smfi_setpriv(ctx, NULL);
}

/* The ceiling gets what cryptmilter gets: no reply to each body chunk
 * (the steps it has no callback for, libmilter's default skips). */
static sfsistat nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    body *b = get(ctx);

    (void) f2;
    (void) f3;
    if (b == NULL || !(f0 & SMFIF_CHGBODY) || (armored && !(f0 & SMFIF_ADDHDRS)))
        return SMFIS_REJECT;
    *pf0 = SMFIF_CHGBODY | (armored ? SMFIF_ADDHDRS : 0);
    *pf1 |= f1 & (SMFIP_NR_BODY | (steps ? SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR : 0));
    *pf2 = 0;
    *pf3 = 0;
    b->noreply = (*pf1 & SMFIP_NR_BODY) != 0;
    b->nrsteps = *pf1 & (SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR);
    return SMFIS_CONTINUE;
}

/* -e: a step that only goes on, unanswered if negotiated so. */
static sfsistat go_on(SMFICTX *ctx, unsigned long nr)
{
    body *b = smfi_getpriv(ctx);

    return b != NULL && (b->nrsteps & nr) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void) host;
    (void) addr;
    return go_on(ctx, SMFIP_NR_CONN);
}

static sfsistat nm_envfrom(SMFICTX *ctx, char **argv)
{
    (void) argv;
    return go_on(ctx, SMFIP_NR_MAIL);
}

static sfsistat nm_header(SMFICTX *ctx, char *name, char *value)
{
    (void) name;
    (void) value;
    return go_on(ctx, SMFIP_NR_HDR);
}

static sfsistat nm_envrcpt(SMFICTX *ctx, char **argv)
{
    body *b = get(ctx);

    if (b == NULL)
        return SMFIS_TEMPFAIL;
    if (engine) {
        /* "<local@domain>": the address between the brackets. */
        const char *a = argv[0] + (argv[0][0] == '<');
        size_t n = strcspn(a, ">");
        char **na = realloc(b->addrs, (b->rcpts + 1) * sizeof(*na));

        if (na == NULL)
            return SMFIS_TEMPFAIL;
        b->addrs = na;
        if ((b->addrs[b->rcpts] = strndup(a, n)) == NULL)
            return SMFIS_TEMPFAIL;
    }
    b->rcpts++;
    return SMFIS_CONTINUE;
}

static sfsistat nm_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
    body *b = get(ctx);

    if (b == NULL)              /* only without negotiation: a reply is due */
        return SMFIS_TEMPFAIL;
    if (!b->failed && n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : CHUNK;
        unsigned char *np = NULL;

        while (cap - b->len < n && cap <= (size_t) -1 / 2)
            cap *= 2;
        if (cap - b->len < n || (np = realloc(b->p, cap)) == NULL)
            b->failed = 1;
        else {
            b->p = np;
            b->cap = cap;
        }
    }
    if (b->failed)
        return b->noreply ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return b->noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static int replace(SMFICTX *ctx, const unsigned char *p, size_t len)
{
    size_t off;

    for (off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;

        if (smfi_replacebody(ctx, (unsigned char *) p + off, (int) n) != MI_SUCCESS)
            return -1;
    }
    return 0;
}

static sfsistat nm_eom(SMFICTX *ctx)
{
    body *b = get(ctx);
    int rc;

    if (b == NULL || b->failed) {
        reset(ctx);
        return SMFIS_TEMPFAIL;
    }
    burn(cost[0] + cost[1] * (double) b->len / (1 << 20)
         + cost[2] * (double) (b->rcpts > 1 ? b->rcpts - 1 : 0));
    if (armored) {
        /* cryptmilter's own encoder, in lines as long as its armor's, on
         * the body or (-k) its ciphertext. */
        cm_buf e = CM_BUF_INIT, ct = CM_BUF_INIT;
        cm_writer w = {buf_write, &ct};
        cm_b64enc enc;

        if (engine && cm_nullengine_encrypt(b->p, b->len, b->addrs, b->rcpts, &w) < 0) {
            cm_buf_free(&ct);
            reset(ctx);
            return SMFIS_TEMPFAIL;
        }
        cm_b64enc_init_line(&enc, B64_LINE);
        rc = cm_b64enc_push(&enc, engine ? ct.data : b->p, engine ? ct.len : b->len, &e) < 0
             || cm_b64enc_finish(&enc, &e) < 0
             || smfi_addheader(ctx, "MIME-Version", " 1.0") != MI_SUCCESS
             || smfi_addheader(ctx, "Content-Type", " application/octet-stream") != MI_SUCCESS
             || replace(ctx, e.data, e.len) < 0;
        cm_buf_free(&e);
        cm_buf_free(&ct);
    } else
        rc = replace(ctx, b->p, b->len) < 0;
    reset(ctx);
    return rc ? SMFIS_TEMPFAIL : SMFIS_CONTINUE;
}

static sfsistat nm_abort(SMFICTX *ctx)
{
    reset(ctx);
    return SMFIS_CONTINUE;
}

static sfsistat nm_close(SMFICTX *ctx)
{
    drop(ctx);
    return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
    struct smfiDesc desc;
    int rcpt = 0, bad = 0, opt;

    const char *keyring = NULL;

    while ((opt = getopt(argc, argv, "aerc:k:")) != -1) {
        if (opt == 'a')
            armored = 1;
        else if (opt == 'k')
            keyring = optarg;
        else if (opt == 'e')
            steps = 1;
        else if (opt == 'r')
            rcpt = 1;
        else if (opt != 'c' || sscanf(optarg, "%lf,%lf,%lf", &cost[0], &cost[1], &cost[2]) != 3)
            bad = 1;
    }
    if (bad || optind != argc - 1 || (keyring != NULL && (!rcpt || !armored))) {
        fprintf(stderr, "usage: %s [-r] [-a] [-e] [-c A,B,C | -r -a -k KEYRINGDIR] "
                "local:/path/to/socket\n", argv[0]);
        return 64;
    }
    if (keyring != NULL) {
        if (cm_nullengine_init(keyring, "rnp") < 0)
            return 78;
        engine = 1;
    }
    memset(&desc, 0, sizeof(desc));
    desc.xxfi_name = "cryptmilter-nullmilter";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_CHGBODY | (armored ? SMFIF_ADDHDRS : 0);
    desc.xxfi_connect = steps ? nm_connect : NULL;
    desc.xxfi_envfrom = steps ? nm_envfrom : NULL;
    desc.xxfi_header = steps ? nm_header : NULL;
    desc.xxfi_envrcpt = rcpt ? nm_envrcpt : NULL;
    desc.xxfi_body = nm_body;
    desc.xxfi_eom = nm_eom;
    desc.xxfi_abort = nm_abort;
    desc.xxfi_close = nm_close;
    desc.xxfi_negotiate = nm_negotiate;
    /* The MTA's smtpd runs as another user: a benchmark socket in a
     * private directory may be open to it. */
    umask(0);
    if (smfi_setconn(argv[optind]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[optind]);
        return 71;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 70;
}
