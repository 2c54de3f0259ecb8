/* cm_keys_out - how cryptmilter-keys writes one key: a text line
 * (address class id expiry state) or a JSON object. */
#ifndef CM_KEYS_OUT_H
#define CM_KEYS_OUT_H
#include <stdio.h>
#include "cm_engine.h"

const char *cm_keys_out_state(cm_key_state st);
/* expires as an ISO date (UTC), or "never" for 0; out holds 11 bytes. */
void cm_keys_out_date(int64_t expires, char out[32]);
/* s as a JSON string, quotes included. -1 on a write error. */
int cm_keys_out_json_str(FILE *fp, const char *s);
/* One key: a line (its address one word: white space, control bytes and
 * backslashes as \HH), or (json) an object, after a ',' unless first. -1 on a
 * write error. */
int cm_keys_out_write(FILE *fp, const char *cls, const cm_keyinfo *k, int json, int first);
#endif
