/* cm_session - which of a message's engines its recipients' keys are
 * with. The calls to the engines (sessions, key lookups) are cm_engcall's. */
#include "cm_msg_int.h"

cm_key_class cm_msg_keyed_class(const cm_msg *m)
{
    return cm_engcall_class(&m->eng, cm_msg_engine(m->nkeyed));
}

int cm_msg_engine(const size_t nkeyed[CM_ENGINES_MAX])
{
    size_t e;

    for (e = 0; e < CM_ENGINES_MAX; e++)
        if (nkeyed[e] > 0)
            return (int) e;
    return -1;
}
