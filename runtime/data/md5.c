/* MD5 (RFC 1321): 64-byte blocks, four rounds of sixteen steps on a 128-bit state; the
 * message is padded with 0x80, zeros and its bit length (little-endian) to a whole block.
 * The step constants are floor(2^32 |sin(i + 1)|), computed once (exact in double). */
#include "md5.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Rotation amounts: four per round, repeated over the round's sixteen steps. */
static const int rotate_by[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

static uint32_t rotl(uint32_t x, int c) { return (x << c) | (x >> (32 - c)); }

static void sine_table(uint32_t k[64])
{
    for (int i = 0; i < 64; i++) k[i] = (uint32_t)floor(fabs(sin(i + 1.0)) * 4294967296.0);
}

/* One 64-byte block into the state h. */
static void md5_block(uint32_t h[4], const unsigned char *p, const uint32_t k[64])
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g, round = i / 16;
        switch (round) {
        case 0: f = (b & c) | (~b & d), g = i; break;
        case 1: f = (d & b) | (~d & c), g = (5 * i + 1) % 16; break;
        case 2: f = b ^ c ^ d, g = (3 * i + 5) % 16; break;
        default: f = c ^ (b | ~d), g = (7 * i) % 16; break;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + k[i] + w[g], rotate_by[round][i % 4]);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

void nn_md5_hex(const void *data, size_t len, char hex[33])
{
    static const char digits[] = "0123456789abcdef";
    uint32_t k[64], h[4] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u};
    sine_table(k);
    const unsigned char *p = data;
    size_t full = len / 64 * 64;
    for (size_t off = 0; off < full; off += 64) md5_block(h, p + off, k);
    unsigned char tail[128] = {0};            /* the rest, 0x80, zeros, the bit length: 1 or 2 blocks */
    size_t rest = len - full, n = rest < 56 ? 64 : 128;
    if (rest) memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[n - 8 + i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < n; off += 64) md5_block(h, tail + off, k);
    for (int i = 0; i < 16; i++) {
        unsigned char byte = (unsigned char)(h[i / 4] >> (8 * (i % 4)));
        hex[2 * i] = digits[byte >> 4];
        hex[2 * i + 1] = digits[byte & 15];
    }
    hex[32] = '\0';
}
