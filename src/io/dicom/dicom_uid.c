/* Deterministic new DICOM UIDs.
 *
 * PS3.5 B.2 allows UIDs under the root 2.25 made from a UUID written as one
 * decimal integer. We build the UUID from a hash of the old UID and a digest
 * of the output (dicom_write.c: everything faceless puts into the files that
 * is not copied from the input, the output pixel data included). So the same
 * output is always given the same UID (a re-send, a resumed batch, a rerun:
 * the PACS recognises the object), while two different outputs of one source
 * (--mode zero and noise, another --brain-margin, another template) never
 * share one (issue 18). SHA-256 is one-way: the old UID cannot be recovered.
 * The UUID is version 8 ("custom", RFC 9562 section 5.8) with the RFC variant
 * bits, so it never collides with a random or time-based UUID. */
#include "io/dicom/dicom.h"

#include "core/sha256.h"

#include <stdio.h>
#include <string.h>

void dicom_uid_derive(const char *old_uid, const uint8_t digest[32], char out[DICOM_UID_SIZE])
{
    char msg[200], hex[65];
    sha256_hex(digest, hex);
    int len = snprintf(msg, sizeof msg, "faceless-dicom-uid-v2 %s %s", hex, old_uid ? old_uid : "");
    if (len < 0)
        len = 0;
    if ((size_t)len >= sizeof msg)
        len = (int)sizeof msg - 1;
    uint8_t d[32];
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, msg, (size_t)len);
    sha256_final(&c, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x80); /* version 8 */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* RFC 9562 variant */
    unsigned __int128 x = 0;
    for (int i = 0; i < 16; i++)
        x = (x << 8) | d[i];
    char digits[48];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x);
    memcpy(out, "2.25.", 5);
    for (int i = 0; i < nd; i++)
        out[5 + i] = digits[nd - 1 - i];
    out[5 + nd] = '\0';
}
