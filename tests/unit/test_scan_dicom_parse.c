/* The DICOM element walker and the JSON tokenizer on hand-built inputs:
 * every encoding (explicit/implicit LE, explicit BE, deflated), defined and
 * undefined lengths, nested sequences, implicit sequences in UN, skipped
 * encapsulated pixel data; then hostile inputs (every truncation, random
 * mutations, nesting bombs, absurd lengths) must end in a clean error,
 * never a crash (this test runs under ASan+UBSan in the sanitizer tier). */
#include "scan/scan_internal.h"
#include "test_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct out {
    uint8_t *b;
    size_t n;
    int be, implicit;
} out;

static void put(out *o, const void *p, size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
static void u16(out *o, uint16_t v)
{
    uint8_t b[2] = {o->be ? (uint8_t)(v >> 8) : (uint8_t)v, o->be ? (uint8_t)v : (uint8_t)(v >> 8)};
    put(o, b, 2);
}
static void u32(out *o, uint32_t v)
{
    if (o->be) {
        u16(o, (uint16_t)(v >> 16));
        u16(o, (uint16_t)v);
    } else {
        u16(o, (uint16_t)v);
        u16(o, (uint16_t)(v >> 16));
    }
}
static void elem(out *o, uint16_t g, uint16_t e, const char *vr, const void *v, uint32_t len)
{
    u16(o, g);
    u16(o, e);
    int lng = !strcmp(vr, "SQ") || !strcmp(vr, "OB") || !strcmp(vr, "UN") || !strcmp(vr, "UT") || !strcmp(vr, "OW");
    if (o->implicit) {
        u32(o, len);
    } else {
        put(o, vr, 2);
        if (lng) {
            u16(o, 0);
            u32(o, len);
        } else {
            u16(o, (uint16_t)len);
        }
    }
    if (v && len != 0xFFFFFFFFu)
        put(o, v, len);
}
static void tag(out *o, uint16_t g, uint16_t e, uint32_t len)
{
    u16(o, g);
    u16(o, e);
    u32(o, len);
}

/* A data set: PatientName, an undefined-length sequence with an undefined
 * item holding a defined-length sequence with a PN, a private element,
 * encapsulated pixel data, and trailing padding with text. */
static void dataset(out *o)
{
    elem(o, 0x0008, 0x0020, "DA", "19870302", 8);
    elem(o, 0x0010, 0x0010, "PN", "Doe^Jane", 8);
    elem(o, 0x0040, 0xA730, "SQ", NULL, 0xFFFFFFFFu);
    tag(o, 0xFFFE, 0xE000, 0xFFFFFFFFu);
    /* inner defined-length sequence: item of 16 bytes = one PN element */
    elem(o, 0x0040, 0xA730, "SQ", NULL, 8 + 16);
    tag(o, 0xFFFE, 0xE000, 16);
    elem(o, 0x0040, 0xA123, "PN", "Roe^Rick", 8);
    tag(o, 0xFFFE, 0xE00D, 0);
    tag(o, 0xFFFE, 0xE0DD, 0);
    elem(o, 0x0011, 0x0010, "LO", "ACME 1.0", 8);
    elem(o, 0x0011, 0x1001, "OB", "\x01\x02jane@example.org\x00\x00", 20);
    if (!o->implicit) {
        elem(o, 0x7FE0, 0x0010, "OB", NULL, 0xFFFFFFFFu);
        tag(o, 0xFFFE, 0xE000, 0);
        tag(o, 0xFFFE, 0xE000, 4);
        put(o, "\xff\xd8\xff\xd9", 4);
        tag(o, 0xFFFE, 0xE0DD, 0);
    }
    elem(o, 0xFFFC, 0xFFFC, "OB", "call +44 20 7946 0958 ", 22);
}

static void meta(out *o, const char *ts)
{
    memset(o->b, 0, 128);
    o->n = 128;
    put(o, "DICM", 4);
    int be = o->be, imp = o->implicit;
    o->be = 0;
    o->implicit = 0;
    size_t tl = strlen(ts) + (strlen(ts) & 1);
    char tsb[72] = {0};
    memcpy(tsb, ts, strlen(ts));
    elem(o, 0x0002, 0x0010, "UI", tsb, (uint32_t)tl);
    o->be = be;
    o->implicit = imp;
}

typedef struct seen {
    int pn, private_ob, padding, depth_max, pixel;
    int count;
} seen;

static void visit(void *user, const scan_dcm_elem *e)
{
    seen *s = user;
    s->count++;
    if (e->group == 0x0040 && e->elem == 0xA123 && e->depth == 2 && e->len == 8 && !memcmp(e->value, "Roe^Rick", 8))
        s->pn++;
    if (e->group == 0x0011 && e->elem == 0x1001 && e->creator && !memcmp(e->creator, "ACME 1.0", 8))
        s->private_ob++;
    if (e->group == 0xFFFC)
        s->padding++;
    if (e->group == 0x7FE0)
        s->pixel++;
    if (e->depth > s->depth_max)
        s->depth_max = e->depth;
}

static size_t findings_of(faceless_ctx *ctx, const scan_policy *p, const uint8_t *b, size_t n, faceless_status *st)
{
    scan_findings *f = scan_findings_new();
    *st = scan_dicom_bytes(ctx, "t.dcm", b, n, p, f);
    size_t k = scan_findings_count(f, SCAN_LEVEL_FINDING);
    scan_findings_free(f);
    return k;
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Every prefix and 2000 mutations must end cleanly (ASan watches). */
static void hostile(faceless_ctx *ctx, const scan_policy *p, const uint8_t *b, size_t n, const char *what)
{
    int bad_status = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t *c = malloc(k ? k : 1);
        memcpy(c, b, k);
        faceless_status st;
        findings_of(ctx, p, c, k, &st);
        bad_status |= st != FACELESS_OK && st != FACELESS_ERR_INPUT;
        free(c);
    }
    for (int r = 0; r < 2000; r++) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        int flips = 1 + (int)(next() % 4);
        for (int i = 0; i < flips; i++) {
            size_t at = next() % n;
            uint32_t kind = next() % 4;
            c[at] = kind == 0 ? 0xFF : kind == 1 ? 0x00 : (uint8_t)next();
        }
        faceless_status st;
        findings_of(ctx, p, c, n, &st);
        bad_status |= st != FACELESS_OK && st != FACELESS_ERR_INPUT && st != FACELESS_ERR_MEMORY;
        free(c);
    }
    CHECK(!bad_status, "%s: hostile inputs end in OK or an input error", what);
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    scan_policy *pol = NULL;
    scan_policy_default(ctx, &pol);
    uint8_t *mem = calloc(1, 1 << 16);
    static const struct {
        const char *name, *ts;
        int be, implicit;
    } kinds[] = {{"explicit LE", "1.2.840.10008.1.2.1", 0, 0},
                 {"implicit LE", "1.2.840.10008.1.2", 0, 1},
                 {"explicit BE", "1.2.840.10008.1.2.2", 1, 0},
                 {"JPEG (explicit LE, encapsulated)", "1.2.840.10008.1.2.4.70", 0, 0},
                 {"bare data set", NULL, 0, 0}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        out o = {mem, 0, kinds[k].be, kinds[k].implicit};
        if (kinds[k].ts)
            meta(&o, kinds[k].ts);
        dataset(&o);
        seen s = {0};
        faceless_status st = scan_dcm_walk(ctx, "t.dcm", o.b, o.n, 0, visit, &s);
        CHECK(st == FACELESS_OK, "%s: walk: %s", kinds[k].name, faceless_ctx_error(ctx));
        CHECK(s.pn == 1, "%s: PN two sequences deep", kinds[k].name);
        CHECK(s.private_ob == 1, "%s: private element with its creator", kinds[k].name);
        CHECK(s.padding == 1, "%s: element after the pixel data", kinds[k].name);
        CHECK(s.depth_max == 2, "%s: depth 2", kinds[k].name);
        size_t nf = findings_of(ctx, pol, o.b, o.n, &st);
        /* StudyDate, PatientName, PersonName, e-mail in OB, phone in padding */
        CHECK(st == FACELESS_OK && nf == 5, "%s: 5 findings, got %zu", kinds[k].name, nf);
        hostile(ctx, pol, o.b, o.n, kinds[k].name);
    }

    /* deflated: the data set after the meta group is raw deflate */
    {
        out d = {calloc(1, 4096), 0, 0, 0};
        dataset(&d);
        uint8_t z[4096];
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        zs.next_in = d.b;
        zs.avail_in = (uInt)d.n;
        zs.next_out = z;
        zs.avail_out = sizeof z;
        deflate(&zs, Z_FINISH);
        size_t zn = sizeof z - zs.avail_out;
        deflateEnd(&zs);
        out o = {mem, 0, 0, 0};
        meta(&o, "1.2.840.10008.1.2.1.99");
        put(&o, z, zn);
        faceless_status st;
        size_t nf = findings_of(ctx, pol, o.b, o.n, &st);
        CHECK(st == FACELESS_OK && nf == 5, "deflated: 5 findings, got %zu (%s)", nf, faceless_ctx_error(ctx));
        hostile(ctx, pol, o.b, o.n, "deflated");
        free(d.b);
    }

    /* UN with an implicit sequence inside (PS3.5 6.2.2) */
    {
        out in = {calloc(1, 256), 0, 0, 1};
        tag(&in, 0xFFFE, 0xE000, 16);
        elem(&in, 0x0010, 0x0010, "PN", "Doe^Jane", 8);
        out o = {mem, 0, 0, 0};
        elem(&o, 0x0008, 0x0005, "CS", "ISO_IR 100", 10);
        elem(&o, 0x0019, 0x0010, "LO", "VENDOR  ", 8);
        elem(&o, 0x0019, 0x1001, "UN", in.b, (uint32_t)in.n);
        seen s = {0};
        faceless_status st;
        size_t nf = findings_of(ctx, pol, o.b, o.n, &st);
        CHECK(st == FACELESS_OK && nf == 1, "PN inside a UN sequence found (%zu)", nf);
        scan_dcm_walk(ctx, "t.dcm", o.b, o.n, 0, visit, &s);
        CHECK(s.depth_max == 1, "UN sequence walked as a sequence");
        free(in.b);
    }

    /* nesting bomb: 200 undefined-length sequences */
    {
        out o = {mem, 0, 0, 0};
        elem(&o, 0x0008, 0x0005, "CS", "ISO_IR 100", 10);
        for (int i = 0; i < 200; i++) {
            elem(&o, 0x0040, 0xA730, "SQ", NULL, 0xFFFFFFFFu);
            tag(&o, 0xFFFE, 0xE000, 0xFFFFFFFFu);
        }
        seen s = {0};
        faceless_status st = scan_dcm_walk(ctx, "bomb.dcm", o.b, o.n, 0, visit, &s);
        CHECK(st == FACELESS_ERR_INPUT && strstr(faceless_ctx_error(ctx), "nested too deep"), "nesting bomb: %s",
              faceless_ctx_error(ctx));
    }
    /* absurd length */
    {
        out o = {mem, 0, 0, 0};
        elem(&o, 0x0010, 0x0010, "PN", "Doe^Jane", 8);
        u16(&o, 0x0011);
        u16(&o, 0x1001);
        put(&o, "OB\0\0", 4);
        u32(&o, 0xFFFFFFF0u);
        faceless_status st;
        size_t nf = findings_of(ctx, pol, o.b, o.n, &st);
        CHECK(st == FACELESS_ERR_INPUT && nf == 1, "absurd length: error after the first finding");
        CHECK(strstr(faceless_ctx_error(ctx), "byte 16"), "the error names the offset: %s", faceless_ctx_error(ctx));
    }

    /* JSON: nesting bomb, truncations, escapes */
    {
        size_t n = 100000;
        uint8_t *j = malloc(n);
        memset(j, '[', n);
        scan_findings *f = scan_findings_new();
        CHECK(scan_json_bytes(ctx, "bomb.json", j, n, pol, f) == FACELESS_ERR_INPUT, "JSON nesting bomb refused");
        scan_findings_free(f);
        free(j);
        const char *doc = "{\"PatientName\": \"Doe\\u005eJane\", \"a\": [1, 2.5e3, true, null, {\"b\": "
                          "\"Tel. 089 1234567\"}], \"\\ud83d\\ude00\": \"x\"}";
        size_t dn = strlen(doc);
        f = scan_findings_new();
        CHECK(scan_json_bytes(ctx, "d.json", (const uint8_t *)doc, dn, pol, f) == FACELESS_OK, "JSON parses: %s",
              faceless_ctx_error(ctx));
        CHECK(scan_findings_count(f, SCAN_LEVEL_FINDING) == 2, "JSON: PN (escaped caret) and phone");
        CHECK(f->count >= 2 && !strcmp(f->items[1].where, "json:a[4].b"), "JSON key path: %s",
              f->count >= 2 ? f->items[1].where : "");
        scan_findings_free(f);
        for (size_t k = 0; k < dn; k++) {
            uint8_t *c = malloc(k ? k : 1);
            memcpy(c, doc, k);
            f = scan_findings_new();
            faceless_status st = scan_json_bytes(ctx, "t.json", c, k, pol, f);
            CHECK(st == FACELESS_ERR_INPUT, "JSON prefix %zu refused", k);
            scan_findings_free(f);
            free(c);
        }
    }
    free(mem);
    scan_policy_free(pol);
    faceless_ctx_free(ctx);
    return test_finish("test_scan_dicom_parse");
}
