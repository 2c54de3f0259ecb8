/* cm_result - building the core's answer: a refusal, or edits and a body. */
#include "cm_msg_int.h"
#include "cm_rewrite.h"

#include <stdlib.h>
#include <string.h>

void cm_result_free(cm_result *r)
{
    free(r->detail);
    cm_edits_free(&r->edits);
    cm_spool_free(r->body);
    memset(r, 0, sizeof(*r));
}

void cm_result_refuse(cm_result *res, cm_stat st, const char *detail)
{
    cm_edits_free(&res->edits);
    cm_spool_free(res->body);
    res->body = NULL;
    res->refuse = 1;
    res->stat = st;
    res->trace = cm_stat_lookup(st)->name;
    if (detail != NULL)
        res->detail = strdup(detail);   /* a missing detail only shortens the reply */
}

/* Deliver without encrypting, saying why in the trace field. */
void cm_result_pass(const cm_hdrs *h, cm_result *res, const char *trace)
{
    cm_stat st = cm_rewrite_trace(h, trace, &res->edits);

    res->trace = trace;
    if (st != CM_OK)
        cm_result_refuse(res, st, NULL);
}
