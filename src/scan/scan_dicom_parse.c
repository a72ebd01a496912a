/* A small DICOM element walker for the header audit (PS3.5 section 7):
 * explicit VR little endian, implicit VR little endian, explicit VR big
 * endian, deflated explicit VR little endian (zlib), defined and undefined
 * lengths, sequences and items nested up to SCAN_DCM_MAX_DEPTH, the file
 * meta group, encapsulated pixel data (skipped).
 *
 * Why our own and not DCMTK (src/io/dicom): the audit must see every byte
 * as stored (private binary blobs, values DCMTK would normalise or refuse),
 * it must keep going on files a reader would reject, it is a self-contained
 * parser that can be fuzzed alone (issue 9), and it reads the 192-file
 * series several times faster than a full toolkit parse.
 *
 * Every read is bounds-checked against the end of the enclosing value; a
 * length that runs past it stops the walk with the byte offset in the
 * message. Memory: nothing is copied except the inflated data set. */
#include "scan/scan_internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_CREATORS 48
#define INFLATE_CAP ((size_t)256 << 20)

typedef struct creator {
    uint16_t group;
    uint8_t block;
    const uint8_t *s;
    size_t n;
} creator;

typedef struct walker {
    faceless_ctx *ctx;
    const char *file;
    const uint8_t *base; /* start of the buffer offsets are reported from */
    int explicit_vr, big_endian;
    int dry; /* structure check only: no visits */
    scan_dcm_visit_fn visit;
    void *user;
    scan_dcm_level path[SCAN_DCM_MAX_DEPTH];
    creator creators[SCAN_DCM_MAX_DEPTH + 1][MAX_CREATORS];
    int n_creators[SCAN_DCM_MAX_DEPTH + 1];
    const char *err;
    size_t err_off;
} walker;

static uint16_t rd16(const walker *w, const uint8_t *p)
{
    return w->big_endian ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const walker *w, const uint8_t *p)
{
    return w->big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                         : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int fail(walker *w, const uint8_t *at, const char *why)
{
    if (!w->err) {
        w->err = why;
        w->err_off = (size_t)(at - w->base);
    }
    return -1;
}

static int known_vr(const uint8_t *v)
{
    static const char VRS[] = "AEASATCSDADSDTFDFLISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
    for (size_t i = 0; i + 1 < sizeof VRS; i += 2)
        if (v[0] == VRS[i] && v[1] == VRS[i + 1])
            return 1;
    return 0;
}

static int long_vr(const char *vr)
{
    static const char *const L[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
        if (vr[0] == L[i][0] && vr[1] == L[i][1])
            return 1;
    return 0;
}

static void implicit_vr(uint16_t g, uint16_t e, char vr[3])
{
    const scan_annexe_entry *a = scan_annexe_find(g, e);
    const char *v = a ? a->vr : "";
    if (!a)
        scan_dict_keyword(g, e, &v);
    vr[0] = v[0];
    vr[1] = v[0] ? v[1] : '\0';
    vr[2] = '\0';
}

static int walk_dataset(walker *w, const uint8_t *p, const uint8_t *end, int depth, int in_item,
                        const uint8_t **stop);

static void remember_creator(walker *w, int depth, uint16_t g, uint16_t e, const uint8_t *v, size_t n)
{
    int *nc = &w->n_creators[depth];
    if (*nc < MAX_CREATORS)
        w->creators[depth][(*nc)++] = (creator){g, (uint8_t)e, v, n};
}

static const creator *find_creator(const walker *w, int depth, uint16_t g, uint16_t e)
{
    uint8_t block = (uint8_t)(e >> 8);
    for (int i = w->n_creators[depth]; i-- > 0;)
        if (w->creators[depth][i].group == g && w->creators[depth][i].block == block)
            return &w->creators[depth][i];
    return NULL;
}

static void visit(walker *w, uint16_t g, uint16_t e, const char vr[3], const uint8_t *v, size_t n, int is_seq,
                  int depth)
{
    if (w->dry)
        return;
    scan_dcm_elem el;
    memset(&el, 0, sizeof el);
    el.group = g;
    el.elem = e;
    memcpy(el.vr, vr, 3);
    el.value = v;
    el.len = n;
    el.is_sequence = is_seq;
    el.big_endian = w->big_endian;
    el.path = w->path;
    el.depth = depth;
    if ((g & 1) && e >= 0x1000) {
        const creator *c = find_creator(w, depth, g, e);
        if (c) {
            el.creator = (const char *)c->s;
            el.creator_len = c->n;
        }
    }
    w->visit(w->user, &el);
}

/* Items of encapsulated pixel data, up to the sequence delimiter. */
static int skip_fragments(walker *w, const uint8_t *p, const uint8_t *end, const uint8_t **stop)
{
    while (p + 8 <= end) {
        uint16_t g = rd16(w, p), e = rd16(w, p + 2);
        uint32_t len = rd32(w, p + 4);
        if (g != 0xFFFE)
            return fail(w, p, "expected a pixel data fragment");
        if (e == 0xE0DD) {
            *stop = p + 8;
            return 0;
        }
        if (e != 0xE000 || len == 0xFFFFFFFFu || len > (size_t)(end - p - 8))
            return fail(w, p, "bad pixel data fragment");
        p += 8 + len;
    }
    return fail(w, p, "pixel data fragments run past the end");
}

/* The items of a sequence; `end` is the end of a defined length, or the
 * enclosing end for an undefined length (then a delimiter must come). */
static int walk_sequence(walker *w, uint16_t sg, uint16_t se, const uint8_t *p, const uint8_t *end, int defined,
                         int depth, const uint8_t **stop)
{
    if (depth >= SCAN_DCM_MAX_DEPTH)
        return fail(w, p, "sequences nested too deep");
    w->path[depth] = (scan_dcm_level){sg, se, 0};
    uint32_t item = 0;
    while (p < end) {
        if (p + 8 > end)
            return fail(w, p, "truncated item header");
        uint16_t g = rd16(w, p), e = rd16(w, p + 2);
        uint32_t len = rd32(w, p + 4);
        if (g == 0xFFFE && e == 0xE0DD) {
            *stop = p + 8;
            return 0; /* also tolerated inside a defined length */
        }
        if (g != 0xFFFE || e != 0xE000)
            return fail(w, p, "expected an item in a sequence");
        w->path[depth].item = item++;
        w->n_creators[depth + 1] = 0;
        const uint8_t *istart = p + 8, *iend;
        if (len == 0xFFFFFFFFu) {
            if (walk_dataset(w, istart, end, depth + 1, 1, &iend))
                return -1;
        } else {
            if (len > (size_t)(end - istart))
                return fail(w, p, "item length runs past the end of its sequence");
            if (walk_dataset(w, istart, istart + len, depth + 1, 0, &iend))
                return -1;
            iend = istart + len;
        }
        p = iend;
    }
    if (!defined)
        return fail(w, p, "sequence of undefined length has no delimiter");
    *stop = p;
    return 0;
}

/* A value of unknown VR that starts with an item tag: a sequence in
 * implicit VR (implicit files, UN in explicit files, PS3.5 6.2.2). Checked
 * dry first, so that a binary blob that merely starts like an item is not
 * half-walked. */
static int try_implicit_sequence(walker *w, uint16_t g, uint16_t e, const uint8_t *v, size_t n, int depth)
{
    if (n < 8 || v[0] != 0xFE || v[1] != 0xFF || v[2] != 0x00 || v[3] != 0xE0 || depth >= SCAN_DCM_MAX_DEPTH)
        return 0;
    walker *probe = malloc(sizeof *probe);
    if (!probe)
        return 0;
    memcpy(probe, w, sizeof *probe);
    probe->dry = 1;
    probe->explicit_vr = 0;
    probe->big_endian = 0;
    probe->err = NULL;
    const uint8_t *stop;
    int ok = walk_sequence(probe, g, e, v, v + n, 1, depth, &stop) == 0;
    free(probe);
    if (!ok)
        return 0;
    int ex = w->explicit_vr, be = w->big_endian;
    w->explicit_vr = 0;
    w->big_endian = 0;
    visit(w, g, e, "SQ", NULL, 0, 1, depth);
    int r = walk_sequence(w, g, e, v, v + n, 1, depth, &stop);
    w->explicit_vr = ex;
    w->big_endian = be;
    return r == 0 ? 1 : -1;
}

static int walk_dataset(walker *w, const uint8_t *p, const uint8_t *end, int depth, int in_item,
                        const uint8_t **stop)
{
    while (p < end) {
        if (end - p < 8)
            return fail(w, p, "truncated element header");
        uint16_t g = rd16(w, p), e = rd16(w, p + 2);
        if (g == 0xFFFE) {
            uint32_t len = rd32(w, p + 4);
            if (e == 0xE00D && in_item) {
                *stop = p + 8;
                return 0;
            }
            if (e == 0xE0DD && in_item) { /* item delimiter missing: let the sequence end */
                *stop = p;
                return 0;
            }
            if ((e == 0xE00D || e == 0xE0DD) && len == 0) { /* stray delimiter */
                p += 8;
                continue;
            }
            return fail(w, p, "item tag outside a sequence");
        }
        char vr[3] = {0, 0, 0};
        size_t hdr;
        uint32_t len;
        int ex = w->explicit_vr && known_vr(p + 4);
        if (ex) {
            vr[0] = (char)p[4];
            vr[1] = (char)p[5];
            if (long_vr(vr)) {
                if (end - p < 12)
                    return fail(w, p, "truncated element header");
                len = rd32(w, p + 8);
                hdr = 12;
            } else {
                len = rd16(w, p + 6);
                hdr = 8;
            }
        } else {
            /* implicit VR, or an explicit file that switched to implicit
             * (seen in the wild; readers accept it) */
            len = rd32(w, p + 4);
            hdr = 8;
            implicit_vr(g, e, vr);
        }
        const uint8_t *v = p + hdr;
        if (len == 0xFFFFFFFFu) {
            const uint8_t *after;
            if (g == 0x7FE0 && e == 0x0010) {
                if (skip_fragments(w, v, end, &after))
                    return -1;
            } else if (!strcmp(vr, "SQ") || !strcmp(vr, "UN") || vr[0] == '\0') {
                int sx = w->explicit_vr, sb = w->big_endian;
                if (strcmp(vr, "SQ")) { /* UN / unknown: implicit VR little endian inside */
                    w->explicit_vr = 0;
                    w->big_endian = 0;
                }
                visit(w, g, e, "SQ", NULL, 0, 1, depth);
                int r = walk_sequence(w, g, e, v, end, 0, depth, &after);
                w->explicit_vr = sx;
                w->big_endian = sb;
                if (r)
                    return -1;
            } else {
                return fail(w, p, "undefined length on a value that cannot have one");
            }
            p = after;
            continue;
        }
        if (len > (size_t)(end - v))
            return fail(w, p, "value length runs past the end of the data");
        if (!strcmp(vr, "SQ")) {
            const uint8_t *after;
            visit(w, g, e, vr, NULL, 0, 1, depth);
            if (walk_sequence(w, g, e, v, v + len, 1, depth, &after))
                return -1;
        } else {
            int seq = 0;
            if ((vr[0] == '\0' || !strcmp(vr, "UN")) && (seq = try_implicit_sequence(w, g, e, v, len, depth)) < 0)
                return -1;
            if (!seq) {
                if ((g & 1) && e >= 0x0010 && e <= 0x00FF)
                    remember_creator(w, depth, g, e, v, len);
                visit(w, g, e, vr, v, len, 0, depth);
            }
        }
        p = v + len;
    }
    if (in_item)
        return fail(w, p, "item of undefined length has no delimiter");
    *stop = p;
    return 0;
}

/* The meta group (always explicit VR little endian): visits it, returns the
 * transfer syntax and where the data set starts. */
static int walk_meta(walker *w, const uint8_t *p, const uint8_t *end, char ts[65], const uint8_t **ds)
{
    w->explicit_vr = 1;
    w->big_endian = 0;
    ts[0] = '\0';
    while (end - p >= 8 && p[0] == 0x02 && p[1] == 0x00) {
        uint16_t e = rd16(w, p + 2);
        if (!known_vr(p + 4))
            return fail(w, p, "meta header element without a VR");
        char vr[3] = {(char)p[4], (char)p[5], 0};
        size_t hdr = 8;
        uint32_t len;
        if (long_vr(vr)) {
            if (end - p < 12)
                return fail(w, p, "truncated meta header");
            len = rd32(w, p + 8);
            hdr = 12;
        } else {
            len = rd16(w, p + 6);
        }
        if (len > (size_t)(end - p) - hdr)
            return fail(w, p, "meta header value runs past the end");
        const uint8_t *v = p + hdr;
        if (e == 0x0010) {
            size_t n = len < 64 ? len : 64;
            memcpy(ts, v, n);
            while (n && (ts[n - 1] == '\0' || ts[n - 1] == ' '))
                n--;
            ts[n] = '\0';
        }
        visit(w, 0x0002, e, vr, v, len, 0, 0);
        p = v + len;
    }
    *ds = p;
    return 0;
}

/* Raw deflate (no zlib header), PS3.5 A.5; capped against zip bombs. */
static int inflate_dataset(const uint8_t *in, size_t n, uint8_t **out, size_t *out_n, const char **why)
{
    size_t cap = n * 4 + 4096, len = 0;
    if (cap > INFLATE_CAP)
        cap = INFLATE_CAP;
    uint8_t *buf = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!buf || inflateInit2(&zs, -15) != Z_OK) {
        free(buf);
        *why = "out of memory inflating the data set";
        return -1;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = n > 0x7fffffff ? 0x7fffffff : (uInt)n;
    int r;
    for (;;) {
        zs.next_out = buf + len;
        zs.avail_out = (uInt)(cap - len);
        r = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
        if (r == Z_STREAM_END)
            break;
        if (r != Z_OK && r != Z_BUF_ERROR)
            break;
        if (zs.avail_out != 0) { /* input ended early */
            r = Z_DATA_ERROR;
            break;
        }
        if (cap >= INFLATE_CAP) {
            r = Z_MEM_ERROR;
            break;
        }
        size_t ncap = cap * 2 > INFLATE_CAP ? INFLATE_CAP : cap * 2;
        uint8_t *nb = realloc(buf, ncap);
        if (!nb) {
            r = Z_MEM_ERROR;
            break;
        }
        buf = nb;
        cap = ncap;
    }
    inflateEnd(&zs);
    if (r != Z_STREAM_END) {
        free(buf);
        *why = r == Z_MEM_ERROR ? "deflated data set inflates past 256 MiB" : "corrupt deflated data set";
        return -1;
    }
    *out = buf;
    *out_n = len;
    return 0;
}

faceless_status scan_dcm_walk(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n, int bare_only,
                              scan_dcm_visit_fn visit_fn, void *user)
{
    walker *w = calloc(1, sizeof *w);
    if (!w)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", file);
    w->ctx = ctx;
    w->file = file;
    w->base = bytes;
    w->visit = visit_fn;
    w->user = user;
    const uint8_t *p = bytes, *end = bytes + n, *stop;
    char ts[65] = "";
    int rc = 0;
    uint8_t *inflated = NULL;
    if (!bare_only && n >= 132 && !memcmp(bytes + 128, "DICM", 4))
        p = bytes + 132;
    if (!bare_only && end - p >= 8 && p[0] == 0x02 && p[1] == 0x00)
        rc = walk_meta(w, p, end, ts, &p);
    if (rc == 0) {
        if (!strcmp(ts, "1.2.840.10008.1.2")) {
            w->explicit_vr = 0;
        } else if (!strcmp(ts, "1.2.840.10008.1.2.2")) {
            w->explicit_vr = 1;
            w->big_endian = 1;
        } else if (ts[0]) {
            w->explicit_vr = 1; /* every other transfer syntax: explicit VR little endian */
        } else {
            /* no meta group: guess from the first element; group 0008
             * read as 0x0800 means big endian */
            w->explicit_vr = end - p >= 6 && known_vr(p + 4);
            w->big_endian = w->explicit_vr && p[0] == 0x00 && p[1] != 0x00;
        }
        if (!strcmp(ts, "1.2.840.10008.1.2.1.99")) {
            size_t in_n = 0;
            const char *why = NULL;
            if (inflate_dataset(p, (size_t)(end - p), &inflated, &in_n, &why)) {
                rc = fail(w, p, why);
            } else {
                w->base = inflated; /* offsets now count in the inflated data set */
                p = inflated;
                end = inflated + in_n;
            }
        }
        if (rc == 0)
            rc = walk_dataset(w, p, end, 0, 0, &stop);
    }
    faceless_status st = FACELESS_OK;
    if (rc)
        st = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: malformed DICOM at byte %zu%s: %s", file, w->err_off,
                      inflated ? " of the inflated data set" : "", w->err ? w->err : "parse error");
    free(inflated);
    free(w);
    return st;
}
