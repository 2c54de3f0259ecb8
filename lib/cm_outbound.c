/* cm_outbound - the outbound pipeline (SPEC §4). Not built yet: outbound
 * mail passes unchanged. */
#include "cm_msg_int.h"

void cm_outbound_eom(cm_msg *m, cm_result *res)
{
    (void) m;
    res->trace = "outbound passed";
}
