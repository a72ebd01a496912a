/* Deterministic new DICOM UIDs.
 *
 * PS3.5 B.2 allows UIDs under the root 2.25 made from a UUID written as one
 * decimal integer. We build the UUID from a hash of the old UID and the run's
 * seed, so a rerun with the same seed gives the same UIDs (reproducible
 * output, resumable batches) while different seeds give unrelated UIDs. The
 * UUID is version 8 ("custom", RFC 9562 section 5.8) with the RFC variant
 * bits, so it never collides with a random or time-based UUID. */
#include "io/dicom/dicom.h"

#include "core/sha256.h"

#include <stdio.h>
#include <string.h>

void dicom_uid_derive(const char *old_uid, uint64_t seed, char out[DICOM_UID_SIZE])
{
    char msg[160];
    int len = snprintf(msg, sizeof msg, "faceless-dicom-uid-v1 %016llx %s", (unsigned long long)seed,
                       old_uid ? old_uid : "");
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
