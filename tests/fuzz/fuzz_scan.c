/* libFuzzer target: the header audit's parsers (DICOM element walker, JSON
 * tokenizer, NIfTI header and extensions, free-text detectors) must never
 * crash, leak or hit undefined behaviour on any bytes. The first byte picks
 * the parser, so one corpus exercises all of them. */
#include "scan/scan.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    faceless_ctx *ctx = faceless_ctx_new();
    scan_policy *p = NULL;
    scan_findings *f = scan_findings_new();
    if (ctx && f && scan_policy_default(ctx, &p) == FACELESS_OK) {
        const uint8_t *b = data + 1;
        size_t n = size - 1;
        switch (data[0] % 3) {
        case 0: scan_dicom_bytes(ctx, "fuzz.dcm", b, n, p, f); break;
        case 1: scan_json_bytes(ctx, "fuzz.json", b, n, p, f); break;
        default: scan_nifti_bytes(ctx, "fuzz.nii", b, n, p, f); break;
        }
        scan_json_options o = {1, 1, 0};
        free(scan_findings_json(f, &o, "fuzz"));
    }
    scan_findings_free(f);
    scan_policy_free(p);
    faceless_ctx_free(ctx);
    return 0;
}
