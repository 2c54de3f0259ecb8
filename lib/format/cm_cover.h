/* cm_cover - is a decrypted outbound entity exactly what its signature
 * covers (SPEC §4.2)? What leaves the gateway after decryption must be the
 * signed structure and nothing more: a sender's key proves only the bytes
 * it signed, and S/MIME CBC lets anyone who holds the ciphertext append
 * blocks of their choosing after what the sender wrote.
 *
 * Asked only when no signature was made with the encryption itself (an
 * OpenPGP sign+encrypt signature covers the whole plaintext). Then:
 * - an inner multipart/signed: its header holds wrapper fields with no room
 *   for words (cm_wrapfield: one Content-Type of the parameters RFC 1847
 *   and RFC 9788 name, an identity transfer encoding), and protected header
 *   fields (RFC 9788) that
 *   its signed part carries too, with the same values; its epilogue is
 *   empty or whitespace, and so is its preamble but for the one sentence
 *   mail programs write there for readers without MIME ("This is an S/MIME
 *   signed message"); its signature part holds wrapper fields (a signature
 *   type, a transfer encoding, a disposition and a description of the
 *   kinds mail programs write) and the signature with nothing around it:
 *   whitespace, then one armor of known headers, radix 64 and its
 *   checksum, or exactly one BER element;
 * - S/MIME opaque signed data: its header holds the S/MIME wrapper's own
 *   fields in the same form, and its body is exactly one BER element in
 *   valid base64 (or binary), nothing after it.
 * Everything is relayed byte for byte: nothing is rewritten, so what a
 * reader shows is what the sender's client wrote, or the message is
 * refused. */
#ifndef CM_COVER_H
#define CM_COVER_H

#include <stddef.h>

#include "cm_spool.h"
#include "cm_status.h"
#include "cm_strip.h"

/* CM_OK if everything in x is covered (or x has no signed structure: the
 * gate then refuses it as unsigned); CM_GATE_UNCOVERED with the unsigned
 * content named in why; CM_ERR_NOMEM or CM_ERR_SPOOL. */
cm_stat cm_cover_check(const cm_stripped *x, cm_spool *plain, char *why, size_t len);

#endif
