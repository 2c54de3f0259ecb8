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

typedef struct body {
    unsigned char *p;
    size_t len, cap;
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

static void drop(SMFICTX *ctx)
{
    body *b = smfi_getpriv(ctx);

    if (b != NULL) {
        free(b->p);
        free(b);
        (void) smfi_setpriv(ctx, NULL);
    }
}

static sfsistat nm_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
    body *b = get(ctx);

    if (b == NULL)
        return SMFIS_TEMPFAIL;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : CHUNK;
        unsigned char *np;

        while (cap - b->len < n) {
            if (cap > (size_t) -1 / 2)
                return SMFIS_TEMPFAIL;
            cap *= 2;
        }
        if ((np = realloc(b->p, cap)) == NULL)
            return SMFIS_TEMPFAIL;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return SMFIS_CONTINUE;
}

static sfsistat nm_eom(SMFICTX *ctx)
{
    body *b = get(ctx);
    size_t off;

    if (b == NULL)
        return SMFIS_TEMPFAIL;
    for (off = 0; off < b->len; off += CHUNK) {
        size_t n = b->len - off < CHUNK ? b->len - off : CHUNK;

        if (smfi_replacebody(ctx, b->p + off, (int) n) != MI_SUCCESS) {
            drop(ctx);
            return SMFIS_TEMPFAIL;
        }
    }
    drop(ctx);
    return SMFIS_CONTINUE;
}

static sfsistat nm_abort(SMFICTX *ctx)
{
    drop(ctx);
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
