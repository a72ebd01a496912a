/* nifti_scrub_text (nifti_scrub.h). Works on the raw header bytes the reader
 * kept, in their own byte order. */
#include "io/nifti_header.h"
#include "io/nifti_scrub.h"

#include <string.h>

size_t nifti_scrub_text(nifti_source *s)
{
    size_t hsize = s->version == 2 ? NIFTI2_HEADER_SIZE : NIFTI1_HEADER_SIZE;
    if (!s->header || s->header_size < hsize)
        return 0;
    uint8_t *h = s->header;
    if (s->version == 2) {
        memset(h + 240, 0, 80); /* descrip */
        memset(h + 320, 0, 24); /* aux_file */
        memset(h + 508, 0, 16); /* intent_name */
    } else {
        memset(h + 14, 0, 18);  /* db_name (Analyze 7.5) */
        memset(h + 148, 0, 80); /* descrip */
        memset(h + 228, 0, 24); /* aux_file */
        memset(h + 328, 0, 16); /* intent_name */
    }
    size_t dropped = s->header_size > hsize + 4 ? s->header_size - (hsize + 4) : 0;
    if (s->header_size >= hsize + 4) {
        memset(h + hsize, 0, 4); /* extender: no extensions */
        s->header_size = hsize + 4;
    }
    if (!s->pair && s->header_size == hsize + 4) {
        /* the voxels follow at once: hsize + 4 (352, 544) is a multiple of 16, as NIfTI wants */
        s->vox_offset = hsize + 4;
        nifti_header_patch(h, s->version, s->swapped, 1, s->vox_offset);
    }
    return dropped;
}
