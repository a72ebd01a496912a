/* core/sha256.c (which dicom_uid.c hashes with) against FIPS 180-4 test
 * vectors, and the derived
 * UIDs: valid 2.25 form, UUID version 8, reproducible, dependent on the
 * output digest and on the old UID. */
#include "core/sha256.h"
#include "io/dicom/dicom.h"
#include "test_util.h"

#include <string.h>

static void hex(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int sha_is(const char *msg, size_t len, const char *want)
{
    uint8_t d[32];
    char h[65];
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, msg, len);
    sha256_final(&c, d);
    hex(d, h);
    return !strcmp(h, want);
}

static int valid_uid(const char *u)
{
    size_t n = strlen(u);
    if (n > 64 || strncmp(u, "2.25.", 5) != 0 || n < 6 || (u[5] == '0' && n > 6))
        return 0;
    for (size_t i = 5; i < n; i++)
        if (u[i] < '0' || u[i] > '9')
            return 0;
    return 1;
}

static unsigned __int128 uid_value(const char *u)
{
    unsigned __int128 x = 0;
    for (const char *p = u + 5; *p; p++)
        x = x * 10 + (unsigned)(*p - '0');
    return x;
}

int main(void)
{
    CHECK(sha_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "empty");
    CHECK(sha_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "abc");
    const char *m56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha_is(m56, strlen(m56), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), "56 bytes");
    char million[1000];
    memset(million, 'a', sizeof million);
    /* 1000 x 'a' crosses several blocks and the two-block padding path. */
    CHECK(sha_is(million, 1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"), "1000 a");

    char a[DICOM_UID_SIZE], b[DICOM_UID_SIZE], c[DICOM_UID_SIZE], d[DICOM_UID_SIZE];
    const char *old = "1.3.12.2.1107.5.2.19.45152.2013030808110258929186035";
    uint8_t d0[32] = {0}, d1[32] = {0};
    d1[31] = 1; /* digests that differ in their last bit only */
    dicom_uid_derive(old, d0, a);
    dicom_uid_derive(old, d0, b);
    dicom_uid_derive(old, d1, c);
    dicom_uid_derive("1.3.12.2.1107.5.2.19.45152.2013030808110258929186036", d0, d);
    CHECK(valid_uid(a), "%s", a);
    CHECK(valid_uid(c), "%s", c);
    CHECK(!strcmp(a, b), "same digest and UID must give the same new UID");
    CHECK(strcmp(a, c) != 0, "another output digest must give another UID");
    CHECK(strcmp(a, d) != 0, "another old UID must give another UID");
    unsigned __int128 x = uid_value(a);
    CHECK((int)((x >> 76) & 0xf) == 8, "UUID version nibble");
    CHECK((int)((x >> 62) & 0x3) == 2, "UUID variant bits");
    /* A 64-char old UID and NULL still give valid UIDs. */
    char longuid[65];
    memset(longuid, '1', 64);
    longuid[64] = '\0';
    uint8_t ff[32];
    memset(ff, 0xff, sizeof ff);
    dicom_uid_derive(longuid, ff, a);
    CHECK(valid_uid(a), "%s", a);
    dicom_uid_derive(NULL, d0, a);
    CHECK(valid_uid(a), "%s", a);
    return test_finish("test_dicom_uid");
}
