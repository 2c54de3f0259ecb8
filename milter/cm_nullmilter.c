/* cm_nullmilter - the benchmark's ceiling: a milter that does what any
 * body-rewriting milter must (take the whole body, hand a body back) and
 * nothing else. It replaces each message's body with itself. Not
 * installed; tests/bench runs it beside cryptmilter.
 *
 *     cryptmilter-nullmilter SOCKET      (e.g. local:/path/null.sock)
 */
#include <libmilter/mfapi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK 65536

/* One per connection: the body of its current message. */
typedef struct body {
    unsigned char *p;
    size_t len, cap;
    int failed;         /* a chunk could not be kept: end of message says so */
    int noreply;        /* the MTA sends body chunks without waiting */
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
        free(b->p);
        b->p = NULL;
        b->len = b->cap = 0;
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
    if (b == NULL || !(f0 & SMFIF_CHGBODY))
        return SMFIS_REJECT;
    *pf0 = SMFIF_CHGBODY;
    *pf1 |= f1 & SMFIP_NR_BODY;
    *pf2 = 0;
    *pf3 = 0;
    b->noreply = (*pf1 & SMFIP_NR_BODY) != 0;
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

static sfsistat nm_eom(SMFICTX *ctx)
{
    body *b = get(ctx);
    size_t off;

    if (b == NULL || b->failed) {
        reset(ctx);
        return SMFIS_TEMPFAIL;
    }
    for (off = 0; off < b->len; off += CHUNK) {
        size_t n = b->len - off < CHUNK ? b->len - off : CHUNK;

        if (smfi_replacebody(ctx, b->p + off, (int) n) != MI_SUCCESS) {
            reset(ctx);
            return SMFIS_TEMPFAIL;
        }
    }
    reset(ctx);
    return SMFIS_CONTINUE;
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

    if (argc != 2) {
        fprintf(stderr, "usage: %s local:/path/to/socket\n", argv[0]);
        return 64;
    }
    memset(&desc, 0, sizeof(desc));
    desc.xxfi_name = "cryptmilter-nullmilter";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_flags = SMFIF_CHGBODY;
    desc.xxfi_body = nm_body;
    desc.xxfi_eom = nm_eom;
    desc.xxfi_abort = nm_abort;
    desc.xxfi_close = nm_close;
    desc.xxfi_negotiate = nm_negotiate;
    /* The MTA's smtpd runs as another user: a benchmark socket in a
     * private directory may be open to it. */
    umask(0);
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[1]);
        return 71;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 70;
}
