/* A template set: the images in template space that registration and masking
 * use, built by templates/build_template.sh from Debian's mricron-data and
 * embedded in the binary (issue 3); --template DIR loads another set with the
 * same file layout. */
#ifndef FACELESS_TEMPLATE_SET_H
#define FACELESS_TEMPLATE_SET_H

#include "faceless.h"

/* One image on a template grid, x fastest, as nx*ny*nz bytes: the head as
 * grey levels (grey: exactly the stored values of an 8-bit head such as
 * Colin27's, else 256 levels over its range), a mask as 0..255 for 0..1
 * (mask; any value above 0 is at least 1, so "> 0" survives the
 * quantisation). Bytes, not floats, because peak memory is a target
 * (issue 4) and the registration's peak holds all of them: the float head
 * alone was 3.6 MB of it. */
typedef struct template_image {
    int64_t nx, ny, nz;
    double vox2ras[4][4];
    uint8_t *grey;            /* head only; NULL for a mask */
    double grey_lo, grey_step; /* head only: value = grey_lo + grey_step * grey[i] */
    uint8_t *mask;            /* masks only; NULL for the head */
} template_image;

/* The head's value at voxel i. */
static inline float template_grey_value(const template_image *im, int64_t i)
{
    return (float)(im->grey_lo + im->grey_step * im->grey[i]);
}

/* A mask value 0..1 as stored in template_image.mask. */
static inline uint8_t template_mask_level(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 1)
        return 255;
    long q = (long)(v * 255.0 + 0.5);
    return (uint8_t)(q < 1 ? 1 : q);
}

typedef struct template_set {
    template_image head;   /* T1w head, scalp and skull included */
    template_image brain;  /* brain mask (255 = brain), same grid as head */
    template_image face;   /* face + ear removal mask (1 = remove), may have a padded grid */
    template_image guard;  /* brain guard (1 = never change) before the margin */
    template_image face_depth; /* optional (mask NULL when absent): per position, the deepest a removal
                                  may reach below the subject's own skin, as levels 0..255 = mm
                                  (255 = no limit); file depth.nii.gz (src/mask/surface.c) */
    char checksum[65];     /* SHA-256 (hex) over the set's files, for the report */
    char *name;            /* "embedded colin27" or the folder given */
} template_set;

/* The embedded default set. */
faceless_status template_set_load_embedded(faceless_ctx *ctx, template_set **out);
/* A set from a folder with the same layout as templates/ (see templates/README.md). */
faceless_status template_set_load_dir(faceless_ctx *ctx, const char *dir, template_set **out);
void template_set_free(template_set *t);

#endif
