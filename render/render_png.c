/* render_png: RGB pictures to PNG files. libpng's simplified API encodes into
 * memory; src/io's atomic writer then puts the bytes in a temporary file in
 * the target folder, syncs and renames it, so a reader never sees half a PNG. */
#include "render/render_internal.h"
#include "core/context.h"
#include "io/io.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

faceless_status render_png_write(faceless_ctx *ctx, const render_image *img, const char *png_path)
{
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: no picture to write", png_path);
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = (png_uint_32)img->width;
    pi.height = (png_uint_32)img->height;
    pi.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    /* First call sizes the buffer, second fills it. */
    if (!png_image_write_to_memory(&pi, NULL, &size, 0, img->rgb, img->width * 3, NULL) || size == 0) {
        faceless_status st = ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: PNG encoding failed (%s)", png_path,
                                      pi.message);
        png_image_free(&pi);
        return st;
    }
    io_bytes bytes = {malloc(size), 0};
    if (!bytes.data) {
        png_image_free(&pi);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory encoding the PNG", png_path);
    }
    if (!png_image_write_to_memory(&pi, bytes.data, &size, 0, img->rgb, img->width * 3, NULL)) {
        faceless_status st = ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: PNG encoding failed (%s)", png_path,
                                      pi.message);
        png_image_free(&pi);
        free(bytes.data);
        return st;
    }
    png_image_free(&pi);
    bytes.size = size;
    faceless_status st = io_write_atomic(ctx, png_path, &bytes, 1);
    free(bytes.data);
    return st;
}
