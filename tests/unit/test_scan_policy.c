/* Policies and the Annex E table: the built-in default is the shipped file,
 * the table lookup works (sorted for the binary search), rules resolve
 * most-specific-first, malformed lines are refused with their line number,
 * and an allow-list turns a finding into nothing. */
#include "scan/scan_internal.h"
#include "test_util.h"

#include <stdint.h>
#include <string.h>

static scan_policy *parse(faceless_ctx *ctx, const char *text)
{
    scan_policy *p = NULL;
    if (scan_policy_parse(ctx, "test", text, strlen(text), &p) != FACELESS_OK)
        return NULL;
    return p;
}

/* A tiny explicit VR little endian data set: PatientName, then a private
 * creator and a private element holding a name. */
static size_t build(uint8_t *b)
{
    size_t n = 0;
#define PUT(...)                                                                                             \
    do {                                                                                                     \
        const uint8_t x_[] = {__VA_ARGS__};                                                                  \
        memcpy(b + n, x_, sizeof x_);                                                                        \
        n += sizeof x_;                                                                                      \
    } while (0)
    PUT(0x10, 0x00, 0x10, 0x00, 'P', 'N', 8, 0, 'D', 'o', 'e', '^', 'J', 'a', 'n', 'e');
    PUT(0x29, 0x00, 0x10, 0x00, 'L', 'O', 8, 0, 'A', 'C', 'M', 'E', ' ', 'X', '1', ' ');
    PUT(0x29, 0x00, 0x01, 0x10, 'L', 'O', 8, 0, 'R', 'o', 'e', '^', 'R', 'i', 'c', 'k');
#undef PUT
    return n;
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();

    /* the table: sorted, and found by tag and by keyword */
    int sorted = 1;
    for (size_t i = 1; i < scan_annexe_count(); i++) {
        const scan_annexe_entry *a = scan_annexe_at(i - 1), *b = scan_annexe_at(i);
        if (a->group_mask == 0xFFFF && b->group_mask == 0xFFFF &&
            ((uint32_t)a->group << 16 | a->elem) >= ((uint32_t)b->group << 16 | b->elem))
            sorted = 0;
    }
    CHECK(sorted, "Annex E table sorted by tag");
    CHECK(scan_annexe_count() >= 250, "the table lists the profile's attributes (%zu)", scan_annexe_count());
    const scan_annexe_entry *e = scan_annexe_find(0x0010, 0x0030);
    CHECK(e && !strcmp(e->keyword, "PatientBirthDate") && e->cls == SCAN_CLASS_BIRTH, "birth date entry");
    CHECK(scan_annexe_find(0x0002, 0x0003) && scan_annexe_find(0x0002, 0x0003)->cls == SCAN_CLASS_UID, "first entry");
    CHECK(scan_annexe_find(0x4008, 0x4000) != NULL, "last sorted entry");
    CHECK(scan_annexe_find(0x6002, 0x3000) && !strcmp(scan_annexe_find(0x6002, 0x3000)->keyword, "OverlayData"),
          "repeating group 60xx");
    CHECK(scan_annexe_find(0x0028, 0x0010) == NULL, "Rows is not in the profile");
    CHECK(scan_annexe_find_keyword("InstitutionName", 15) == scan_annexe_find(0x0008, 0x0080), "keyword lookup");

    /* the built-in default is policies/annex-e-basic.txt, byte for byte */
    const char *src = getenv("FACELESS_SOURCE_DIR");
    if (src) {
        char path[4096];
        snprintf(path, sizeof path, "%s/policies/annex-e-basic.txt", src);
        FILE *f = fopen(path, "rb");
        CHECK(f != NULL, "open %s", path);
        if (f) {
            static char text[65536];
            size_t n = fread(text, 1, sizeof text - 1, f);
            fclose(f);
            text[n] = '\0';
            CHECK(!strcmp(text, scan_policy_default_text()),
                  "src/scan/scan_policy_default.c differs from policies/annex-e-basic.txt");
        }
    }
    scan_policy *def = NULL;
    CHECK(scan_policy_default(ctx, &def) == FACELESS_OK, "default parses: %s", faceless_ctx_error(ctx));
    if (def) {
        CHECK(scan_policy_class(def, SCAN_CLASS_BIRTH) == SCAN_ACTION_FLAG, "birth dates flagged");
        CHECK(scan_policy_class(def, SCAN_CLASS_UID) == SCAN_ACTION_INFO, "UIDs listed");
        CHECK(scan_policy_private(def) == SCAN_ACTION_SCAN, "private scanned");
        CHECK(scan_policy_field(def, "nifti:ext:6") == SCAN_ACTION_SCAN, "extension fallback");
    }

    /* malformed lines name their line */
    static const char *const bad[] = {"(0010,001G) keep", "PatientName maybe", "class:foo keep",
                                      "keep", "nifti descrip keep", "(0010,0010 keep"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "# header\n\n%s\n", bad[i]);
        scan_policy *p = parse(ctx, text);
        CHECK(p == NULL && strstr(faceless_ctx_error(ctx), "line 3"), "'%s' refused at line 3: %s", bad[i],
              faceless_ctx_error(ctx));
        scan_policy_free(p);
    }

    /* precedence: exact tag, then wildcards, keyword, private creator */
    scan_policy *p = parse(ctx, "include-default\n(0029,xx10) keep\n(0029,1010) flag  # exact wins\n"
                                "PatientName keep\nprivate:SIEMENS CSA HEADER info\njson:Contact keep\n"
                                "class:uid keep\n");
    CHECK(p != NULL, "policy parses: %s", faceless_ctx_error(ctx));
    if (p) {
        CHECK(scan_policy_tag(p, 0x0029, 0x1010, NULL, NULL, 0) == SCAN_ACTION_FLAG, "exact tag");
        CHECK(scan_policy_tag(p, 0x0029, 0x1110, NULL, NULL, 0) == SCAN_ACTION_KEEP, "x digits");
        CHECK(scan_policy_tag(p, 0x0010, 0x0010, "PatientName", NULL, 0) == SCAN_ACTION_KEEP, "keyword");
        CHECK(scan_policy_tag(p, 0x0029, 0x1020, NULL, "SIEMENS CSA HEADER  ", 20) == SCAN_ACTION_INFO,
              "creator (padding ignored)");
        CHECK(scan_policy_tag(p, 0x0019, 0x1020, NULL, "SIEMENS MR HEADER", 17) == SCAN_ACTION_DEFAULT, "other creator");
        CHECK(scan_policy_field(p, "json:Contact") == SCAN_ACTION_KEEP, "json key");
        CHECK(scan_policy_class(p, SCAN_CLASS_UID) == SCAN_ACTION_KEEP, "later line overrides include-default");
        CHECK(scan_policy_class(p, SCAN_CLASS_BIRTH) == SCAN_ACTION_FLAG, "include-default kept the rest");
    }

    /* end to end: the default finds both names; an allow-list clears them */
    uint8_t buf[256];
    size_t n = build(buf);
    scan_findings *f = scan_findings_new();
    CHECK(scan_dicom_bytes(ctx, "mem.dcm", buf, n, def, f) == FACELESS_OK, "walk: %s", faceless_ctx_error(ctx));
    CHECK(scan_findings_count(f, SCAN_LEVEL_FINDING) == 2, "two findings, got %zu",
          scan_findings_count(f, SCAN_LEVEL_FINDING));
    scan_findings_free(f);
    scan_policy *allow = parse(ctx, "include-default\nPatientName keep\nprivate:ACME X1 keep\n");
    f = scan_findings_new();
    CHECK(allow && scan_dicom_bytes(ctx, "mem.dcm", buf, n, allow, f) == FACELESS_OK, "walk with allow-list");
    CHECK(scan_findings_count(f, SCAN_LEVEL_FINDING) == 0, "allow-list clears, got %zu",
          scan_findings_count(f, SCAN_LEVEL_FINDING));
    scan_findings_free(f);
    scan_policy *strict = parse(ctx, "include-default\nprivate flag\n");
    f = scan_findings_new();
    CHECK(strict && scan_dicom_bytes(ctx, "mem.dcm", buf, n, strict, f) == FACELESS_OK, "walk strict");
    CHECK(scan_findings_count(f, SCAN_LEVEL_FINDING) == 2 && f->count >= 2 &&
              !strcmp(f->items[1].detector, "private"),
          "strict: any private value is a finding");
    /* the JSON writer masks values unless asked */
    char *json = scan_findings_json(f, NULL, "strict");
    CHECK(json && !strstr(json, "Doe^Jane") && strstr(json, "Xxx^Xxxx"), "masked JSON");
    free(json);
    scan_json_options show = {1, 1, 2};
    json = scan_findings_json(f, &show, "strict");
    CHECK(json && strstr(json, "Doe^Jane"), "values shown on request");
    free(json);
    scan_findings_free(f);

    scan_policy_free(strict);
    scan_policy_free(allow);
    scan_policy_free(p);
    scan_policy_free(def);
    faceless_ctx_free(ctx);
    return test_finish("test_scan_policy");
}
