/* SHA-256 (FIPS 180-4): fingerprints of template sets, input and output
 * files for the report, and the hash behind new DICOM UIDs.
 * Incremental: init, update any number of times, final. No allocation; a
 * sha256_ctx belongs to one thread at a time and needs no clean-up.
 * Computed by nettle (Debian's libnettle): its assembler compression runs
 * 6x faster than the portable C this replaced, and a de-face hashes its
 * input and output files whole. */
#ifndef FACELESS_CORE_SHA256_H
#define FACELESS_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* nettle's context, held opaquely so that nettle's headers (which #define
 * sha256_init and friends) stay out of every file that hashes */
typedef struct faceless_sha256_state {
    _Alignas(16) unsigned char opaque[128];
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t digest[32]);
/* digest as 64 lowercase hex characters plus NUL */
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
