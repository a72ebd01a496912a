/* SHA-256 (FIPS 180-4), used to fingerprint template sets for the report.
 * Incremental: init, update any number of times, final. No allocation;
 * a sha256_ctx belongs to one thread at a time. */
#ifndef FACELESS_CORE_SHA256_H
#define FACELESS_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;       /* message length so far */
    uint8_t block[64];    /* pending partial block */
    size_t fill;          /* bytes used in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t digest[32]);
/* digest as 64 lowercase hex characters plus NUL */
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
