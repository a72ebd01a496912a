/* Key pairs of the face archive (archive.h): X25519 keys in two one-line
 * text files, so they can be mailed, pasted and checked by eye:
 *   PREFIX.pub  "faceless-x25519-public-v1 BASE64\n"  (shareable)
 *   PREFIX.key  "faceless-x25519-secret-v1 BASE64\n"  (mode 0600)
 * A fingerprint names a public key in reports and messages: the first 16
 * bytes of SHA-256("faceless-x25519-v1" || public key), in hex. */
#include "archive/archive.h"

#include "core/sha256.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUB_TAG "faceless-x25519-public-v1"
#define SEC_TAG "faceless-x25519-secret-v1"
#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL
#define KEY_FILE_MAX 4096 /* far more than one line of a key */

faceless_status archive_crypto_init(faceless_ctx *ctx)
{
    /* 0: set up now, 1: already set up; thread-safe in libsodium */
    if (sodium_init() < 0)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "libsodium could not be initialised");
    return FACELESS_OK;
}

void archive_pubkey_fingerprint(archive_pubkey *pub)
{
    static const char domain[] = "faceless-x25519-v1";
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, domain, sizeof domain - 1);
    sha256_update(&c, pub->pk, ARCHIVE_KEY_BYTES);
    uint8_t d[32];
    sha256_final(&c, d);
    memcpy(pub->fpr, d, ARCHIVE_FPR_BYTES);
    sodium_bin2hex(pub->fpr_hex, sizeof pub->fpr_hex, pub->fpr, ARCHIVE_FPR_BYTES);
}

/* "TAG BASE64\n" of the 32 key bytes into line (NUL-terminated). */
static size_t key_line(char *line, size_t cap, const char *tag, const uint8_t key[ARCHIVE_KEY_BYTES])
{
    char b64[sodium_base64_ENCODED_LEN(ARCHIVE_KEY_BYTES, B64_VARIANT)];
    sodium_bin2base64(b64, sizeof b64, key, ARCHIVE_KEY_BYTES, B64_VARIANT);
    int n = snprintf(line, cap, "%s %s\n", tag, b64);
    sodium_memzero(b64, sizeof b64);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The key of a "TAG BASE64" line (trailing white space allowed); 0 on
 * success. */
static int parse_key_line(const char *text, size_t n, const char *tag, uint8_t key[ARCHIVE_KEY_BYTES])
{
    size_t t = strlen(tag);
    if (n < t + 1 || memcmp(text, tag, t) != 0 || text[t] != ' ')
        return -1;
    const char *b = text + t + 1, *end = text + n;
    while (end > b && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t got = 0;
    const char *stop = NULL;
    if (sodium_base642bin(key, ARCHIVE_KEY_BYTES, b, (size_t)(end - b), NULL, &got, &stop, B64_VARIANT) != 0 ||
        got != ARCHIVE_KEY_BYTES || stop != end)
        return -1;
    return 0;
}

/* An existing key file is never replaced without overwrite: a lost
 * private key makes every archive sealed for it unreadable. */
static faceless_status check_new(faceless_ctx *ctx, const char *path, int overwrite)
{
    FILE *f = overwrite ? NULL : fopen(path, "rb");
    if (f) {
        fclose(f);
        return ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: exists; a key is never replaced without --overwrite", path);
    }
    return FACELESS_OK;
}

static char *with_suffix(const char *prefix, const char *suffix)
{
    size_t n = strlen(prefix) + strlen(suffix) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", prefix, suffix);
    return s;
}

faceless_status archive_keygen(faceless_ctx *ctx, const char *prefix, int overwrite, archive_pubkey *pub_out)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    char *pub_path = with_suffix(prefix, ".pub"), *key_path = with_suffix(prefix, ".key");
    if (!pub_path || !key_path) {
        free(pub_path);
        free(key_path);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", prefix);
    }
    /* Both names are checked before either is written: a half-made pair
     * (a new private key beside an old public key) would seal archives for
     * a key nobody holds. */
    s = check_new(ctx, key_path, overwrite);
    if (s == FACELESS_OK)
        s = check_new(ctx, pub_path, overwrite);
    archive_pubkey pub;
    uint8_t sk[ARCHIVE_KEY_BYTES];
    char line[128];
    if (s == FACELESS_OK) {
        crypto_box_keypair(pub.pk, sk);
        archive_pubkey_fingerprint(&pub);
        io_bytes b = {(uint8_t *)line, key_line(line, sizeof line, SEC_TAG, sk)};
        s = b.size ? io_write_private(ctx, key_path, &b, overwrite)
                   : ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: key line too long", key_path);
        sodium_memzero(line, sizeof line);
        sodium_memzero(sk, sizeof sk);
    }
    if (s == FACELESS_OK) {
        io_bytes b = {(uint8_t *)line, key_line(line, sizeof line, PUB_TAG, pub.pk)};
        /* without overwrite, a public key that appeared meanwhile is kept */
        if ((s = check_new(ctx, pub_path, overwrite)) == FACELESS_OK)
            s = io_write_atomic(ctx, pub_path, &b, 1);
        if (s != FACELESS_OK)
            remove(key_path); /* no private key without its public key */
    }
    if (s == FACELESS_OK && pub_out)
        *pub_out = pub;
    free(pub_path);
    free(key_path);
    return s;
}

faceless_status archive_read_public(faceless_ctx *ctx, const char *path, archive_pubkey *out)
{
    io_bytes b = {0};
    faceless_status s = io_read_whole(ctx, path, KEY_FILE_MAX, &b);
    if (s != FACELESS_OK)
        return s == FACELESS_ERR_MEMORY ? ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: too large for a public key", path)
                                        : s;
    int bad = parse_key_line((const char *)b.data, b.size, PUB_TAG, out->pk);
    if (bad && b.size > strlen(SEC_TAG) && !memcmp(b.data, SEC_TAG, strlen(SEC_TAG))) {
        sodium_memzero(b.data, b.size);
        free(b.data);
        /* a private key given where the public one belongs: say so, never
         * echo it */
        return ctx_fail(ctx, FACELESS_ERR_INPUT,
                        "%s: this is a PRIVATE key; give the recipient's PREFIX.pub (and keep this file secret)",
                        path);
    }
    free(b.data);
    if (bad)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a faceless public key (faceless keygen makes one)", path);
    archive_pubkey_fingerprint(out);
    return FACELESS_OK;
}

faceless_status archive_read_secret(faceless_ctx *ctx, const char *path, uint8_t sk[ARCHIVE_KEY_BYTES],
                                    archive_pubkey *pub)
{
    faceless_status s = archive_crypto_init(ctx);
    if (s != FACELESS_OK)
        return s;
    io_bytes b = {0};
    if ((s = io_read_private(ctx, path, KEY_FILE_MAX, &b)) != FACELESS_OK)
        return s;
    int bad = parse_key_line((const char *)b.data, b.size, SEC_TAG, sk);
    sodium_memzero(b.data, b.size);
    free(b.data);
    if (bad) {
        sodium_memzero(sk, ARCHIVE_KEY_BYTES);
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a faceless private key (faceless keygen makes one)", path);
    }
    crypto_scalarmult_base(pub->pk, sk);
    archive_pubkey_fingerprint(pub);
    return FACELESS_OK;
}
