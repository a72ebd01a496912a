/* SHA-256 through nettle; see sha256.h for why. */
#include "core/sha256.h"

#include <nettle/sha2.h>

/* nettle's names are macros for nettle_-prefixed functions; ours are the
 * functions defined here */
#undef sha256_init
#undef sha256_update

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((sha256_ctx *)0)->opaque),
               "nettle's sha256 context does not fit in sha256_ctx");
_Static_assert(_Alignof(struct sha256_ctx) <= 16, "nettle's sha256 context needs a stronger alignment");

static struct sha256_ctx *state(sha256_ctx *c) { return (struct sha256_ctx *)(void *)c->opaque; }

void sha256_init(sha256_ctx *c) { nettle_sha256_init(state(c)); }

void sha256_update(sha256_ctx *c, const void *data, size_t n)
{
    nettle_sha256_update(state(c), n, (const uint8_t *)data);
}

void sha256_final(sha256_ctx *c, uint8_t digest[32]) { nettle_sha256_digest(state(c), SHA256_DIGEST_SIZE, digest); }

void sha256_hex(const uint8_t digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}
