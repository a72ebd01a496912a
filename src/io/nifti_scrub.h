/* Removing free text from a NIfTI header before it is written again
 * (faceless deface --scrub-nifti-text, issue 7). */
#ifndef FACELESS_IO_NIFTI_SCRUB_H
#define FACELESS_IO_NIFTI_SCRUB_H

#include "io/nifti.h"

/* Clears descrip, aux_file and intent_name (and NIfTI-1's db_name), and
 * drops every header extension: the header becomes header + a zero
 * extender, and for a single file the voxels move to right after it
 * (vox_offset 352 or 544), so that nifti_write writes no byte of the old
 * text. Every other header field stays as read. Returns how many
 * extension bytes were dropped (0 when there were none). */
size_t nifti_scrub_text(nifti_source *s);

#endif
