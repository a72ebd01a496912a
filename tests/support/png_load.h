/* PNG reading for the render test tools: the whole picture as 8-bit RGB
 * (libpng's simplified API). Header-only: each tool is one .c file. */
#ifndef FACELESS_TEST_PNG_LOAD_H
#define FACELESS_TEST_PNG_LOAD_H

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pixels (w x h x 3, caller frees), or NULL after a message on stderr
 * that starts with tool and names the file. */
static unsigned char *png_load_rgb(const char *tool, const char *path, unsigned *w, unsigned *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) {
        fprintf(stderr, "%s: %s: %s\n", tool, path, im.message);
        return NULL;
    }
    im.format = PNG_FORMAT_RGB;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(im));
    if (!buf || !png_image_finish_read(&im, NULL, buf, 0, NULL)) {
        fprintf(stderr, "%s: %s: cannot decode\n", tool, path);
        free(buf);
        png_image_free(&im);
        return NULL;
    }
    *w = im.width;
    *h = im.height;
    return buf;
}

#endif
