/* Free-text detectors and the placeholder test: each identifying pattern
 * is found, and the technical text of real headers (UIDs, software
 * versions, echo times, Siemens protocol text) is not. */
#include "scan/scan_internal.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int fires(const char *text, unsigned flags, const char *detector)
{
    scan_hit hits[32];
    size_t n = scan_detect(text, strlen(text), flags, hits, 32);
    for (size_t i = 0; i < n && i < 32; i++)
        if (!strcmp(hits[i].detector, detector))
            return 1;
    return 0;
}

static size_t count(const char *text, unsigned flags)
{
    scan_hit hits[32];
    return scan_detect(text, strlen(text), flags, hits, 32);
}

static size_t count_n(const char *text, size_t n)
{
    scan_hit hits[32];
    return scan_detect(text, n, SCAN_TEXT_WHOLE, hits, 32);
}

/* The matched bytes of the first hit. */
static int first_match_is(const char *text, const char *want)
{
    scan_hit hits[8];
    size_t n = scan_detect(text, strlen(text), SCAN_TEXT_WHOLE, hits, 8);
    return n >= 1 && hits[0].len == strlen(want) && !memcmp(text + hits[0].start, want, hits[0].len);
}

int main(void)
{
    static const struct {
        const char *text, *detector;
        unsigned flags;
    } pos[] = {
        {"DOB: 1987-03-02", "birth-date", 0},
        {"born 02.03.1987", "birth-date", 0},
        {"19870302", "date", SCAN_TEXT_WHOLE},
        {"20130308074224.405000", "date", 0},
        {"scan on 12 March 1987.", "date", 0},
        {"March 12, 1987", "date", 0},
        {"12-Mar-1987", "date", 0},
        {"2013-03-08T08:06:16.162500", "date", 0},
        {"02/03/1987", "date", 0},
        {"Doe^Jane", "person-name", SCAN_TEXT_WHOLE},
        {"DOE^JANE^Q^^", "person-name", 0},
        {"seen by Dr. Smith today", "person-name", 0},
        {"Mrs Jones", "person-name", 0},
        {"Name: John Smith", "person-name", 0},
        {"patient=Doe^Jane", "person-name", 0},
        {"Smith, John", "person-name", SCAN_TEXT_WHOLE},
        {"BERRA,JAMES", "person-name", SCAN_TEXT_WHOLE},
        {"call +44 20 7946 0958", "phone", 0},
        {"(555) 123-4567", "phone", 0},
        {"555-123-4567", "phone", 0},
        {"Tel. 089 1234567", "phone", 0},
        {"fax: 0049-89-12345", "phone", 0},
        {"mail jane.doe@example.org now", "email", 0},
        {"see https://hospital.example.org/x", "url", 0},
        {"www.example.com", "url", 0},
        {"host 192.168.1.20 port", "ip-address", 0},
        {"10.0.0.12", "ip-address", 0},
        {"MRN 12345678", "id-number", 0},
        {"123-45-6789", "id-number", 0},
        {"221B Baker Street", "street-address", 0},
        {"12 Main St.", "street-address", 0},
        {"Hauptstrasse 12", "street-address", 0},
        {"Marchioninistr. 15", "street-address", 0},
        {"/home/jdoe/data/sub01.nii", "user-path", 0},
        {"C:\\Users\\jdoe\\Desktop", "user-path", 0},
        {"/Users/jane.doe/x", "user-path", 0},
        /* inside binary runs the strong detectors still fire */
        {"contact jane.doe@example.org", "email", SCAN_TEXT_BINARY},
        {"DOB 1987-03-02", "birth-date", SCAN_TEXT_BINARY},
    };
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        CHECK(fires(pos[i].text, pos[i].flags, pos[i].detector), "'%s' should fire %s", pos[i].text,
              pos[i].detector);

    /* real header text that is not identifying */
    static const char *const neg[] = {
        "TE=49",
        "TE=2.5;Time=153012.000;phase=1",
        "1.3.12.2.1107.5.2.19.45152.2013030808110258929186035",
        "1.2.840.113845.11.1000000001785349915.20130308061609.6346698",
        "1.3.12.2.1107.5.2.19.45152.1.20130308080352322.0.0.0",
        "1.2.840.10008.5.1.4.1.1.4",
        "N4_VD11D_LATEST_20110129",
        "syngo MR D11",
        "0.859375\\0.859375",
        "76.878009085614\\-112.23715682468\\96.389268465239",
        "http://www.w3.org/2001/XMLSchema",
        "PipeLinkService@MrParc",
        "5.10.2.1",
        "+00032.4-022.0",
        "1000000000",
        "*tfl3d1_16ns",
        "SAG MPRAGE 220 FOV",
        "t1_mprage_sag",
        "ORIGINAL\\PRIMARY\\M\\ND\\NORM",
        "MR-Brain w/o Contrast",
        "<RegExProg>BRAIN\\ROUTINE\\BRAIN SCREEN</RegExProg>",
        "X_1_1_1_1_1_192_1_1_1_1_1_4797",
        "tProtocolName = \"SAG MPRAGE 220 FOV\"",
        "sProtConsistencyInfo.flNominalB0 = 2.893620014",
        "dRefSNR = 188005.3319",
        "v1.0.20220720",
        "AWP45152",
        "",
    };
    for (size_t i = 0; i < sizeof neg / sizeof neg[0]; i++)
        CHECK(count(neg[i], SCAN_TEXT_WHOLE) == 0, "'%s' should not fire", neg[i]);
    CHECK(!fires("20130399", 0, "date") && !fires("19870230", 0, "date"), "invalid dates are not dates");
    CHECK(!fires("Siemens, Erlangen is a city", 0, "person-name"), "Lastname, Firstname only as a whole value");
    CHECK(!fires("41140004", SCAN_TEXT_BINARY, "id-number"), "no bare ID numbers in binary runs");
    CHECK(!fires("1087496152", SCAN_TEXT_NO_IDS, "id-number"), "no bare ID numbers in vendor text");
    CHECK(fires("1087496152", 0, "id-number"), "ID numbers in other text");

    /* the hit covers exactly the identifying text */
    CHECK(first_match_is("Jane Doe DOB 1987-03-02", "1987-03-02"), "birth date span");
    CHECK(first_match_is("contact jane.doe@example.org.", "jane.doe@example.org"), "e-mail span");
    CHECK(first_match_is("x Doe^Jane, y", "Doe^Jane"), "PN span");

    /* placeholders */
    CHECK(scan_is_placeholder("anonymized", 10, "PatientName", SCAN_CLASS_IDENTITY), "anonymized");
    CHECK(scan_is_placeholder("ReferringPhysicianName", 22, "ReferringPhysicianName", SCAN_CLASS_IDENTITY), "own keyword");
    CHECK(scan_is_placeholder("Physician ", 10, "PhysiciansOfRecord", SCAN_CLASS_IDENTITY), "part of keyword");
    CHECK(scan_is_placeholder("Institution", 11, "InstitutionAddress", SCAN_CLASS_INSTITUTION), "generic word");
    CHECK(scan_is_placeholder("1449c1d", 7, "PatientID", SCAN_CLASS_IDENTITY), "hash-like ID");
    CHECK(scan_is_placeholder("XAtest_sub-July11", 17, "PatientName", SCAN_CLASS_IDENTITY), "test subject");
    CHECK(scan_is_placeholder("19000101", 8, "PatientBirthDate", SCAN_CLASS_BIRTH), "impossible date");
    CHECK(scan_is_placeholder("Hospital", 8, "InstitutionName", SCAN_CLASS_INSTITUTION), "generic word alone");
    CHECK(!scan_is_placeholder("General Hospital", 16, "InstitutionName", SCAN_CLASS_INSTITUTION),
          "a real institution name");
    CHECK(!scan_is_placeholder("EG", 2, "PerformingPhysicianName", SCAN_CLASS_IDENTITY), "initials are real");
    CHECK(!scan_is_placeholder("Doe^Jane", 8, "PatientName", SCAN_CLASS_IDENTITY), "a name");
    CHECK(!scan_is_placeholder("4101374", 7, "StudyID", SCAN_CLASS_IDENTITY), "digits are not a hash");
    CHECK(!scan_is_placeholder("20090701", 8, "PatientBirthDate", SCAN_CLASS_BIRTH), "a real date");
    CHECK(!scan_is_placeholder("1449c1d", 7, "PatientName", SCAN_CLASS_IDENTITY), "hash rule only for IDs");

    /* bounds: every prefix and suffix of a dense text, and random bytes
     * (ASan checks that nothing is read outside the text) */
    const char *dense = "DOB 1987-03-02 Doe^Jane +44 20 7946 0958 (555) 123-4567 jane@x.org http://a.b/c "
                        "192.168.1.2 221B Baker Street Hauptstrasse 12 Name: John Smith Dr. Who 12 Mar 1987 "
                        "/home/jdoe Tel 12345678 March 12, 1987 20130308074224.1 Smith, John";
    size_t dn = strlen(dense);
    size_t total = 0;
    for (size_t k = 0; k <= dn; k++) {
        char *buf = malloc(k ? k : 1); /* exactly k bytes, no terminator: ASan sees any overread */
        if (!buf)
            return 1;
        memcpy(buf, dense, k);
        total += count_n(buf, k);
        free(buf);
        total += count(dense + k, 0);
    }
    CHECK(total > 0, "dense text fires");
    uint64_t state = 12345;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(state % 256);
        char *buf = malloc(len ? len : 1);
        if (!buf)
            return 1;
        for (size_t i = 0; i < len; i++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            /* bias towards the characters the detectors look at */
            static const char alphabet[] = "0123456789.-/+@^:()=, abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\\\0\xc3\x9f";
            buf[i] = alphabet[(state >> 33) % (sizeof alphabet - 1)];
        }
        scan_hit hits[4];
        size_t n = scan_detect(buf, len, (unsigned)(round % 8), hits, 4);
        for (size_t i = 0; i < n && i < 4; i++)
            if (hits[i].start + hits[i].len > len || hits[i].len == 0) {
                CHECK(0, "hit outside the text (round %d)", round);
                break;
            }
        free(buf);
        state = state * 6364136223846793005ULL + 1;
    }
    return test_finish("test_scan_detect");
}
