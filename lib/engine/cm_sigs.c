/* cm_sigs - signatures as engines report them, for the log. */
#include "cm_sigs.h"
#include "cm_log.h"

const char *cm_sig_status_name(cm_sig_status st)
{
    static const char *const names[] = {"good", "bad", "no-key", "key-expired", "key-revoked",
                                        "expired", "error"};

    return (unsigned) st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

void cm_sigs_log(const cm_msgctx *mc, const cm_sigs *sigs)
{
    size_t i;

    for (i = 0; i < sigs->n; i++)
        cm_log_debug("%s: signature %zu: %s by %s (key %s) at %lld", CM_QID(mc), i,
                     cm_sig_status_name(sigs->v[i].status),
                     sigs->v[i].fpr[0] ? sigs->v[i].fpr : "?",
                     sigs->v[i].keyid[0] ? sigs->v[i].keyid : "?", (long long) sigs->v[i].created);
}
