/* cm_crc24 - the CRC-24 of OpenPGP's ASCII armor (RFC 4880 6.1). */
#ifndef CM_CRC24_H
#define CM_CRC24_H

#include <stddef.h>
#include <stdint.h>

/* Start with CM_CRC24_INIT; the CRC of p[0..n) continued from crc. */
#define CM_CRC24_INIT 0xB704CEu
uint32_t cm_crc24(uint32_t crc, const unsigned char *p, size_t n);
/* The same, one table lookup a byte: the reference the fast paths are
 * tested against, and their tail. */
uint32_t cm_crc24_bytes(uint32_t crc, const unsigned char *p, size_t n);

#endif
