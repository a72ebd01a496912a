/* faceless convert IN OUT: read an image and write it back, e.g. .hdr/.img to
 * .nii.gz, keeping every header field and voxel bit for bit. Also the
 * round-trip the tests use to check the reader and writer. */
#include "cli/cli_util.h"
#include "io/out_set.h"
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

int cmd_convert(int argc, char **argv)
{
    int force = 0, quiet_help = 0;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        /* --overwrite as in deface, which the "exists" messages name. */
        if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "--overwrite"))
            force = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            quiet_help = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "faceless convert: unknown option %s\n", argv[i]);
            return FACELESS_ERR_USAGE;
        } else if (npos < 2)
            pos[npos++] = argv[i];
        else {
            fprintf(stderr, "faceless convert: too many arguments\n");
            return FACELESS_ERR_USAGE;
        }
    }
    if (quiet_help || npos != 2) {
        fprintf(quiet_help ? stdout : stderr,
                "usage: faceless convert [--overwrite] IN OUT\n"
                "Rewrites IN as OUT (.nii, .nii.gz, .hdr/.img), keeping the header and voxels bit for bit.\n");
        return quiet_help ? 0 : FACELESS_ERR_USAGE;
    }
    faceless_ctx *ctx = cli_ctx_new(0);
    if (!ctx)
        return FACELESS_ERR_MEMORY;
    faceless_volume *v = NULL;
    faceless_status st = faceless_volume_read(ctx, pos[0], &v);
    if (st == FACELESS_OK)
        st = io_outset_begin(ctx, force);
    if (st == FACELESS_OK) {
        faceless_write_options wo = {force};
        st = io_outset_end(ctx, faceless_volume_write(ctx, v, pos[1], &wo));
    }
    int rc = st == FACELESS_OK ? 0 : cli_fail(ctx, st);
    faceless_volume_free(v);
    faceless_ctx_free(ctx);
    return rc;
}
