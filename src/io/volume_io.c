/* faceless_volume_read / faceless_volume_write: pick the reader or writer
 * that fits the path and the volume's source. */
#include "io/io.h"
#include "io/nifti.h"
#include "io/dicom/dicom.h"

#include <stddef.h>

faceless_status faceless_volume_read(faceless_ctx *ctx, const char *path, faceless_volume **out)
{
    *out = NULL;
    ctx_clear_error(ctx);
    if (!nifti_is_nifti_name(path) && dicom_probe(path))
        return dicom_series_read(ctx, path, NULL, out);
    return nifti_read(ctx, path, out);
}

faceless_status faceless_volume_write(faceless_ctx *ctx, const faceless_volume *v, const char *path,
                                      const faceless_write_options *opts)
{
    ctx_clear_error(ctx);
    int overwrite = opts ? opts->overwrite : 0;
    if (v->source_kind == VOLUME_SOURCE_DICOM && !nifti_is_nifti_name(path))
        return dicom_series_write(ctx, v, path, opts);
    return nifti_write(ctx, v, path, overwrite);
}
