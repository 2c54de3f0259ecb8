/* cm_confdump - the effective configuration as "Key value" lines (cryptmilter -n). */
#include "cm_config.h"
#include "cm_conftable.h"
#include "cm_buf.h"

#include <stdio.h>
#include <arpa/inet.h>

static void dump_list(cm_buf *b, const cm_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        (void) cm_buf_printf(b, "%s%s", i ? ", " : "", l->v[i]);
}

static void dump_cidrs(cm_buf *b, const cm_cidr_list *l)
{
    char a[64];
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a)) == NULL)
            snprintf(a, sizeof(a), "?");
        (void) cm_buf_printf(b, "%s%s/%u", i ? ", " : "", a, l->v[i].prefix);
    }
}

void cm_confdump(const cm_config *cfg, void (*emit)(const char *line, void *arg), void *arg)
{
    size_t i, j;

    for (i = 0; i < cm_conf_nkeys; i++) {
        const cm_conf_key *k = &cm_conf_table[i];
        const void *field = (const char *) cfg + k->off;
        cm_buf b = CM_BUF_INIT;

        (void) cm_buf_printf(&b, "%s ", k->name);
        switch (k->type) {
        case T_STR:
            (void) cm_buf_puts(&b, *(char *const *) field);
            break;
        case T_BOOL:
            (void) cm_buf_puts(&b, *(const int *) field ? "yes" : "no");
            break;
        case T_SIZE:
        case T_DURATION:
            (void) cm_buf_printf(&b, "%llu%s", (unsigned long long) *(const uint64_t *) field,
                                 k->type == T_DURATION ? "s" : "");
            break;
        case T_ENUM:
            for (j = 0; k->enums[j] != NULL; j++)
                if ((k->enum_vals ? k->enum_vals[j] : (int) j) == *(const int *) field)
                    (void) cm_buf_puts(&b, k->enums[j]);
            break;
        case T_LIST:
            dump_list(&b, field);
            break;
        case T_CIDRS:
            dump_cidrs(&b, field);
            break;
        }
        emit(cm_buf_str(&b), arg);
        cm_buf_free(&b);
    }
}
