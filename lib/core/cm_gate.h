/* cm_gate - the outbound signature gate (SPEC §4.2), as a pure function:
 * may the gateway let this decrypted message out? The replay cache is
 * asked afterwards (cm_replay), with the identities of the signatures. */
#ifndef CM_GATE_H
#define CM_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "cm_engine.h"
#include "cm_status.h"

/* Signatures dated this far ahead of our clock are still accepted. */
#define CM_GATE_FUTURE_SLACK 300

typedef struct cm_gate_in {
    const cm_sigs *sigs;
    const int *owns;        /* per kept signature: its key has a user ID = sender */
    const char *sender;     /* envelope sender, bare */
    const char *from;       /* the From: address, bare; NULL if none or several */
    int64_t now;
    uint64_t max_age;       /* SignatureMaxAge, seconds */
} cm_gate_in;

/* CM_OK, or the refusal (CM_GATE_*), with a reason for the sender in
 * detail (e.g. "signature is 2h old; the limit is 1h"). */
cm_stat cm_gate_check(const cm_gate_in *in, char *detail, size_t dlen);

/* "2h", "90m", "45s", "3d": a short human duration. */
void cm_gate_duration(uint64_t secs, char *out, size_t outlen);

#endif
