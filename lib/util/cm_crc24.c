/* cm_crc24 - the CRC-24 of OpenPGP's ASCII armor (RFC 4880 6.1): it runs
 * over every armored byte, both directions. On x86-64 with PCLMULQDQ the
 * message is folded 64 bytes a step by carry-less multiplication (Intel,
 * "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", 2009:
 * what libgcrypt does for this CRC); elsewhere slicing by eight. */
#include "cm_crc24.h"

#include <pthread.h>

#define CRC24_POLY 0x1864CFBu   /* x^24 + ..., RFC 4880 6.1 */

/* CRC-24 of each byte value, for the byte-at-a-time loop. */
static const uint32_t crc24_table[256] = {
    0x000000u, 0x864cfbu, 0x8ad50du, 0x0c99f6u, 0x93e6e1u, 0x15aa1au,
    0x1933ecu, 0x9f7f17u, 0xa18139u, 0x27cdc2u, 0x2b5434u, 0xad18cfu,
    0x3267d8u, 0xb42b23u, 0xb8b2d5u, 0x3efe2eu, 0xc54e89u, 0x430272u,
    0x4f9b84u, 0xc9d77fu, 0x56a868u, 0xd0e493u, 0xdc7d65u, 0x5a319eu,
    0x64cfb0u, 0xe2834bu, 0xee1abdu, 0x685646u, 0xf72951u, 0x7165aau,
    0x7dfc5cu, 0xfbb0a7u, 0x0cd1e9u, 0x8a9d12u, 0x8604e4u, 0x00481fu,
    0x9f3708u, 0x197bf3u, 0x15e205u, 0x93aefeu, 0xad50d0u, 0x2b1c2bu,
    0x2785ddu, 0xa1c926u, 0x3eb631u, 0xb8facau, 0xb4633cu, 0x322fc7u,
    0xc99f60u, 0x4fd39bu, 0x434a6du, 0xc50696u, 0x5a7981u, 0xdc357au,
    0xd0ac8cu, 0x56e077u, 0x681e59u, 0xee52a2u, 0xe2cb54u, 0x6487afu,
    0xfbf8b8u, 0x7db443u, 0x712db5u, 0xf7614eu, 0x19a3d2u, 0x9fef29u,
    0x9376dfu, 0x153a24u, 0x8a4533u, 0x0c09c8u, 0x00903eu, 0x86dcc5u,
    0xb822ebu, 0x3e6e10u, 0x32f7e6u, 0xb4bb1du, 0x2bc40au, 0xad88f1u,
    0xa11107u, 0x275dfcu, 0xdced5bu, 0x5aa1a0u, 0x563856u, 0xd074adu,
    0x4f0bbau, 0xc94741u, 0xc5deb7u, 0x43924cu, 0x7d6c62u, 0xfb2099u,
    0xf7b96fu, 0x71f594u, 0xee8a83u, 0x68c678u, 0x645f8eu, 0xe21375u,
    0x15723bu, 0x933ec0u, 0x9fa736u, 0x19ebcdu, 0x8694dau, 0x00d821u,
    0x0c41d7u, 0x8a0d2cu, 0xb4f302u, 0x32bff9u, 0x3e260fu, 0xb86af4u,
    0x2715e3u, 0xa15918u, 0xadc0eeu, 0x2b8c15u, 0xd03cb2u, 0x567049u,
    0x5ae9bfu, 0xdca544u, 0x43da53u, 0xc596a8u, 0xc90f5eu, 0x4f43a5u,
    0x71bd8bu, 0xf7f170u, 0xfb6886u, 0x7d247du, 0xe25b6au, 0x641791u,
    0x688e67u, 0xeec29cu, 0x3347a4u, 0xb50b5fu, 0xb992a9u, 0x3fde52u,
    0xa0a145u, 0x26edbeu, 0x2a7448u, 0xac38b3u, 0x92c69du, 0x148a66u,
    0x181390u, 0x9e5f6bu, 0x01207cu, 0x876c87u, 0x8bf571u, 0x0db98au,
    0xf6092du, 0x7045d6u, 0x7cdc20u, 0xfa90dbu, 0x65efccu, 0xe3a337u,
    0xef3ac1u, 0x69763au, 0x578814u, 0xd1c4efu, 0xdd5d19u, 0x5b11e2u,
    0xc46ef5u, 0x42220eu, 0x4ebbf8u, 0xc8f703u, 0x3f964du, 0xb9dab6u,
    0xb54340u, 0x330fbbu, 0xac70acu, 0x2a3c57u, 0x26a5a1u, 0xa0e95au,
    0x9e1774u, 0x185b8fu, 0x14c279u, 0x928e82u, 0x0df195u, 0x8bbd6eu,
    0x872498u, 0x016863u, 0xfad8c4u, 0x7c943fu, 0x700dc9u, 0xf64132u,
    0x693e25u, 0xef72deu, 0xe3eb28u, 0x65a7d3u, 0x5b59fdu, 0xdd1506u,
    0xd18cf0u, 0x57c00bu, 0xc8bf1cu, 0x4ef3e7u, 0x426a11u, 0xc426eau,
    0x2ae476u, 0xaca88du, 0xa0317bu, 0x267d80u, 0xb90297u, 0x3f4e6cu,
    0x33d79au, 0xb59b61u, 0x8b654fu, 0x0d29b4u, 0x01b042u, 0x87fcb9u,
    0x1883aeu, 0x9ecf55u, 0x9256a3u, 0x141a58u, 0xefaaffu, 0x69e604u,
    0x657ff2u, 0xe33309u, 0x7c4c1eu, 0xfa00e5u, 0xf69913u, 0x70d5e8u,
    0x4e2bc6u, 0xc8673du, 0xc4fecbu, 0x42b230u, 0xddcd27u, 0x5b81dcu,
    0x57182au, 0xd154d1u, 0x26359fu, 0xa07964u, 0xace092u, 0x2aac69u,
    0xb5d37eu, 0x339f85u, 0x3f0673u, 0xb94a88u, 0x87b4a6u, 0x01f85du,
    0x0d61abu, 0x8b2d50u, 0x145247u, 0x921ebcu, 0x9e874au, 0x18cbb1u,
    0xe37b16u, 0x6537edu, 0x69ae1bu, 0xefe2e0u, 0x709df7u, 0xf6d10cu,
    0xfa48fau, 0x7c0401u, 0x42fa2fu, 0xc4b6d4u, 0xc82f22u, 0x4e63d9u,
    0xd11cceu, 0x575035u, 0x5bc9c3u, 0xdd8538u,
};

uint32_t cm_crc24_bytes(uint32_t crc, const unsigned char *p, size_t n)
{
    uint32_t c = (crc & 0xFFFFFFu) << 8;

    for (; n > 0; p++, n--)
        c = c << 8 ^ crc24_table[(c >> 24 ^ *p) & 0xff] << 8;
    return c >> 8;
}

/* Slicing by eight (Intel's "slicing-by-N"): the CRC held in the top 24
 * bits of a 32-bit word, eight bytes folded in per step through eight
 * tables, slice[k][b] being slice[k-1][b] advanced by one zero byte. */
static uint32_t slice[8][256];

/* -DCM_CRC24_NO_FOLD builds the portable path alone, to test it. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(CM_CRC24_NO_FOLD)
#include <immintrin.h>

#define CRC24_FOLD 1

/* x^d mod P, the polynomials' coefficients as bits. */
static uint32_t xpow_mod(unsigned d)
{
    uint32_t r = 1;

    while (d-- > 0)
        if ((r <<= 1) & 0x1000000u)
            r ^= CRC24_POLY;
    return r;
}
static int have_clmul;
/* Folding constants, {x^d mod P, x^(d+64) mod P} for d = 512 (four
 * blocks ahead), 384, 256 and 128. */
static __m128i k512, k384, k256, k128;

__attribute__((target("pclmul,ssse3"))) static __m128i fold(__m128i x, __m128i k)
{
    /* x's 128 bits times x^d: its high half by x^(d+64), its low by x^d. */
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), _mm_clmulepi64_si128(x, k, 0x00));
}

__attribute__((target("pclmul,ssse3"))) static __m128i load_be(const unsigned char *p)
{
    /* The first byte the highest coefficients, as the CRC reads them. */
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (const void *) p), rev);
}

/* n >= 64, a multiple of 16. Folds p into one 128-bit remainder V with
 * V = crc x^(8n-24) + M(x) mod P (degree < 128), written big-endian to
 * out: the CRC of those 16 bytes from 0 is then the CRC of p from crc. */
__attribute__((target("pclmul,ssse3"))) static void fold_blocks(uint32_t crc,
                                                                 const unsigned char *p, size_t n,
                                                                 unsigned char out[16])
{
    const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m128i x0 = load_be(p), x1 = load_be(p + 16), x2 = load_be(p + 32), x3 = load_be(p + 48);

    x0 = _mm_xor_si128(x0, _mm_set_epi32((int) (crc << 8), 0, 0, 0));
    for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
        x0 = _mm_xor_si128(fold(x0, k512), load_be(p));
        x1 = _mm_xor_si128(fold(x1, k512), load_be(p + 16));
        x2 = _mm_xor_si128(fold(x2, k512), load_be(p + 32));
        x3 = _mm_xor_si128(fold(x3, k512), load_be(p + 48));
    }
    x0 = _mm_xor_si128(_mm_xor_si128(fold(x0, k384), fold(x1, k256)),
                       _mm_xor_si128(fold(x2, k128), x3));
    for (; n >= 16; p += 16, n -= 16)
        x0 = _mm_xor_si128(fold(x0, k128), load_be(p));
    _mm_storeu_si128((__m128i *) (void *) out, _mm_shuffle_epi8(x0, rev));
}

static __m128i konst(unsigned d)
{
    return _mm_set_epi64x((long long) xpow_mod(d + 64), (long long) xpow_mod(d));
}
#endif

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void)
{
    int b, k;

    for (b = 0; b < 256; b++)
        slice[0][b] = crc24_table[b] << 8;
    for (k = 1; k < 8; k++)
        for (b = 0; b < 256; b++)
            slice[k][b] = slice[k - 1][b] << 8 ^ slice[0][slice[k - 1][b] >> 24];
#ifdef CRC24_FOLD
    k512 = konst(512);
    k384 = konst(384);
    k256 = konst(256);
    k128 = konst(128);
    __builtin_cpu_init();
    have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("ssse3");
#endif
}

static uint32_t crc24_sliced(uint32_t crc, const unsigned char *p, size_t n)
{
    uint32_t c = (crc & 0xFFFFFFu) << 8;

    for (; n >= 8; p += 8, n -= 8) {
        c ^= (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
        c = slice[7][c >> 24] ^ slice[6][c >> 16 & 0xff] ^ slice[5][c >> 8 & 0xff]
            ^ slice[4][c & 0xff] ^ slice[3][p[4]] ^ slice[2][p[5]] ^ slice[1][p[6]]
            ^ slice[0][p[7]];
    }
    return cm_crc24_bytes(c >> 8, p, n);
}

uint32_t cm_crc24(uint32_t crc, const unsigned char *p, size_t n)
{
    if (n < 16 || pthread_once(&tables_once, tables_init) != 0)
        return cm_crc24_bytes(crc, p, n);
#ifdef CRC24_FOLD
    if (have_clmul && n >= 128) {
        unsigned char v[16];
        size_t whole = n / 16 * 16;

        fold_blocks(crc, p, whole, v);
        return crc24_sliced(crc24_sliced(0, v, sizeof(v)), p + whole, n - whole);
    }
#endif
    return crc24_sliced(crc, p, n);
}
