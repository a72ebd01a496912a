/* faceless info FILE...: what a user needs to know about an image before
 * de-facing it: grid, voxel size, datatype, orientation, matrices. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "io/dicom/dicom.h"
#include "io/nifti.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *matrix_source_name(faceless_matrix_source s)
{
    switch (s) {
    case FACELESS_MATRIX_SFORM: return "sform";
    case FACELESS_MATRIX_QFORM: return "qform";
    case FACELESS_MATRIX_PIXDIM: return "pixdim (no orientation in header)";
    case FACELESS_MATRIX_DICOM: return "DICOM geometry";
    }
    return "unknown";
}

static void print_volume(const char *path, const faceless_volume *v)
{
    int64_t d[4];
    double mm[3], m[4][4];
    char orient[4];
    faceless_volume_dims(v, d);
    faceless_volume_voxel_size(v, mm);
    faceless_volume_vox2ras(v, m);
    faceless_volume_orientation(v, orient);
    printf("file:        %s\n", path);
    printf("dims:        %lld x %lld x %lld x %lld\n", (long long)d[0], (long long)d[1], (long long)d[2],
           (long long)d[3]);
    printf("voxel (mm):  %.4g x %.4g x %.4g\n", mm[0], mm[1], mm[2]);
    printf("datatype:    %s\n", faceless_dtype_name(faceless_volume_dtype(v)));
    printf("orientation: %s\n", orient);
    printf("matrix from: %s\n", matrix_source_name(faceless_volume_matrix_source(v)));
    printf("vox2ras:\n");
    for (int r = 0; r < 4; r++)
        printf("  %12.6f %12.6f %12.6f %12.6f\n", m[r][0] + 0.0, m[r][1] + 0.0, m[r][2] + 0.0, m[r][3] + 0.0);
}

/* A folder (or file) of DICOM with several series: list them, then each one. */
static faceless_status print_dicom_series(faceless_ctx *ctx, const char *path)
{
    dicom_series_summary *s = NULL;
    size_t n = 0;
    faceless_status st = dicom_list_series(ctx, path, &s, &n);
    for (size_t i = 0; st == FACELESS_OK && i < n; i++) {
        faceless_volume *v = NULL;
        printf("%sseries:      %s (#%d %s '%s', %d files, %d images, %s)\n", i ? "\n" : "", s[i].uid,
               s[i].series_number, s[i].modality, s[i].description, s[i].n_files, s[i].n_images,
               s[i].transfer_syntax);
        st = dicom_series_read(ctx, path, s[i].uid, &v);
        if (st == FACELESS_OK)
            print_volume(path, v);
        faceless_volume_free(v);
    }
    free(s);
    return st;
}

int cmd_info(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: faceless info FILE...\n"
                   "Prints dims, voxel size, datatype, orientation (e.g. RAS, PSR) and the voxel-to-world matrix.\n");
        return argc < 2 ? FACELESS_ERR_USAGE : 0;
    }
    int worst = 0;
    for (int i = 1; i < argc; i++) {
        faceless_ctx *ctx = cli_ctx_new(1);
        if (!ctx)
            return FACELESS_ERR_MEMORY;
        faceless_volume *v = NULL;
        faceless_status st = FACELESS_OK;
        if (!nifti_is_nifti_name(argv[i]) && dicom_probe(argv[i])) {
            if (i > 1)
                printf("\n");
            st = print_dicom_series(ctx, argv[i]);
        } else {
            st = faceless_volume_read(ctx, argv[i], &v);
        }
        if (st != FACELESS_OK) {
            worst = cli_fail(ctx, st);
        } else if (v) {
            if (i > 1)
                printf("\n");
            print_volume(argv[i], v);
        }
        faceless_volume_free(v);
        faceless_ctx_free(ctx);
    }
    return worst;
}
