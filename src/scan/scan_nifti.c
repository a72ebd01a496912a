/* NIfTI headers: the text fields (descrip, aux_file, intent_name, and
 * NIfTI-1's db_name) and every header extension. dcm2niix and AFNI put whole
 * DICOM headers (ecode 2), XML with the command history (ecode 4) or
 * comments (ecode 6) there; ecode 2 is walked as a DICOM data set with the
 * DICOM rules, the others are read for printable text.
 *
 * Works on the raw header bytes as stored (the reader's nifti_source.header
 * or the first vox_offset bytes of a file), in either byte order. */
#include "scan/scan_internal.h"

#include "io/nifti_header.h"

#include <stdio.h>
#include <string.h>

static uint32_t u32(const uint8_t *p, int swapped)
{
    return swapped ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static const char *ecode_name(int32_t code)
{
    static const char *const names[] = {"ignore", "dicom", "afni", "comment", "xcede", "jimdiminfo",
                                        "workflow_fwds", "freesurfer", "pypickle", "mind_ident", "b_value",
                                        "spherical_direction", "dt_component", "shc_degreeorder", "voxbo",
                                        "caret", "cifti", "variable_frame_timing", "unassigned", "eval",
                                        "matlab", "quantiphyse", "mrs"};
    if (code >= 0 && code % 2 == 0 && (size_t)(code / 2) < sizeof names / sizeof names[0])
        return names[code / 2];
    return "unknown";
}

static void text_field(scan_run *r, const char *name, const uint8_t *p, size_t cap)
{
    size_t n = 0;
    while (n < cap && p[n])
        n++;
    const char *v = (const char *)p;
    scan_trim(&v, &n);
    if (n == 0)
        return;
    char field[40];
    snprintf(field, sizeof field, "nifti:%s", name);
    scan_action act = scan_policy_field(r->policy, field);
    if (act == SCAN_ACTION_DEFAULT)
        act = scan_policy_text(r->policy);
    scan_report_classified(r, field, v, n, act, NULL, NULL);
}

static void extension(scan_run *r, int index, int32_t code, const uint8_t *data, size_t n)
{
    char field[32], where[96];
    snprintf(field, sizeof field, "nifti:ext:%d", (int)code);
    snprintf(where, sizeof where, "nifti:ext[%d] ecode %d (%s)", index, (int)code, ecode_name(code));
    scan_action act = scan_policy_field(r->policy, field);
    if (act == SCAN_ACTION_DEFAULT)
        act = scan_policy_text(r->policy);
    switch (act) {
    case SCAN_ACTION_KEEP:
    case SCAN_ACTION_DEFAULT:
        return;
    case SCAN_ACTION_FLAG:
        scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_FINDING, "policy",
                          "header extension present (%zu bytes), flagged by policy", n);
        return;
    case SCAN_ACTION_INFO:
        scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_INFO, "nifti-ext",
                          "header extension present (%zu bytes)", n);
        return;
    case SCAN_ACTION_SCAN:
        break;
    }
    scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_INFO, "nifti-ext",
                      "header extension present (%zu bytes), contents scanned", n);
    if (code == 2) {
        /* a DICOM data set without preamble (dcm2niix, mri_convert) */
        char prefix[64];
        snprintf(prefix, sizeof prefix, "nifti:ext[%d] dicom ", index);
        scan_dcm_rules_state st = {r, prefix};
        if (scan_dcm_walk(r->ctx, r->file, data, n, 1, scan_dcm_rules_visit, &st) != FACELESS_OK) {
            /* not a data set we can walk: read it as text instead */
            ctx_clear_error(r->ctx);
            scan_findings_add(r->out, r->file, where, "", 0, SCAN_LEVEL_INFO, "nifti-ext",
                              "DICOM extension could not be walked; printable text scanned instead");
            scan_report_binary(r, where, data, n);
        }
        return;
    }
    scan_report_binary(r, where, data, n);
}

faceless_status scan_nifti_bytes(faceless_ctx *ctx, const char *file, const uint8_t *b, size_t n,
                                 const scan_policy *policy, scan_findings *out)
{
    scan_run run = {ctx, policy, out, file};
    if (n < 348)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: NIfTI header truncated (%zu bytes)", file, n);
    int swapped = 0;
    const int version = nifti_header_identify(b, n, &swapped);
    if (!version)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a NIfTI header (sizeof_hdr is neither 348 nor 540)", file);
    if (version == 2 && n < 540)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: NIfTI-2 header truncated (%zu bytes)", file, n);
    size_t ext_at;
    if (version == 1) {
        text_field(&run, "descrip", b + 148, 80);
        text_field(&run, "aux_file", b + 228, 24);
        text_field(&run, "intent_name", b + 328, 16);
        text_field(&run, "db_name", b + 14, 18);
        ext_at = 348;
    } else {
        text_field(&run, "descrip", b + 240, 80);
        text_field(&run, "aux_file", b + 320, 24);
        text_field(&run, "intent_name", b + 508, 16);
        ext_at = 540;
    }
    /* extender: 4 bytes, the first non-zero when extensions follow */
    if (n < ext_at + 4 || b[ext_at] == 0)
        return out->out_of_memory ? ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", file) : FACELESS_OK;
    size_t p = ext_at + 4;
    for (int index = 0; n - p >= 8; index++) {
        uint32_t esize = u32(b + p, swapped);
        int32_t ecode = (int32_t)u32(b + p + 4, swapped);
        if (esize < 8 || esize > n - p) {
            /* the voxels may start right after a short header: stop quietly
             * when nothing extension-like is left, else it is malformed */
            if (esize == 0 && ecode == 0)
                break;
            return ctx_fail(ctx, FACELESS_ERR_INPUT,
                            "%s: NIfTI extension %d at byte %zu has size %u, past the header end (%zu)", file,
                            index, p, (unsigned)esize, n);
        }
        extension(&run, index, ecode, b + p + 8, esize - 8);
        p += esize;
    }
    if (out->out_of_memory)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory recording findings", file);
    return FACELESS_OK;
}
