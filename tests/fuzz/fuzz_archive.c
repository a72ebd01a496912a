/* libFuzzer target: the face archive's readers (issue 20) must never crash,
 * leak or hit undefined behaviour on any bytes. The first byte picks the
 * layer:
 *   even: the sealed container (archive_parse_header, archive_open with a
 *         fixed key pair): what `faceless restore` reads from disk;
 *   odd:  the payload after decryption (archive_payload_apply on an 8x8x8
 *         int16 volume): the rest is deflated first, so the parser, not
 *         the decompressor, sees the fuzzer's bytes. An authenticated
 *         payload comes from a key holder, but a buggy or hostile sealer
 *         must still not take the reader out of its buffer. */
#include "archive/archive.h"

#include <libdeflate.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || sodium_init() < 0)
        return 0;
    faceless_ctx *ctx = faceless_ctx_new();
    if (data[0] % 2 == 0) {
        /* a fixed key: the seed of crypto_box_seed_keypair */
        uint8_t seed[crypto_box_SEEDBYTES] = {1};
        uint8_t sk[ARCHIVE_KEY_BYTES];
        archive_pubkey me;
        crypto_box_seed_keypair(me.pk, sk, seed);
        archive_pubkey_fingerprint(&me);
        io_bytes a = {(uint8_t *)data + 1, size - 1}, payload = {0};
        archive_header h;
        archive_parse_header(ctx, "fuzz", &a, &h);
        if (archive_open(ctx, "fuzz", &a, sk, &me, &payload) == FACELESS_OK)
            free(payload.data);
    } else {
        const double mm[3] = {1, 1, 1};
        faceless_volume *v = volume_new(8, 8, 8, 1, FACELESS_DT_INT16, mm);
        struct libdeflate_compressor *z = libdeflate_alloc_compressor(1);
        size_t bound = z ? libdeflate_zlib_compress_bound(z, size - 1) : 0;
        uint8_t *buf = z && v ? malloc(8 + bound) : NULL;
        size_t len = buf ? libdeflate_zlib_compress(z, data + 1, size - 1, buf + 8, bound) : 0;
        if (len) {
            for (int i = 0; i < 8; i++)
                buf[i] = (uint8_t)((uint64_t)(size - 1) >> (8 * i));
            io_bytes p = {buf, 8 + len};
            archive_originals orig;
            if (archive_payload_apply(ctx, "fuzz", &p, v, &orig) == FACELESS_OK)
                archive_originals_free(&orig);
        }
        free(buf);
        libdeflate_free_compressor(z);
        faceless_volume_free(v);
    }
    faceless_ctx_free(ctx);
    return 0;
}
