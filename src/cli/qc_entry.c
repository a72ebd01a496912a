#include "cli/qc_entry.h"
#include "core/context.h"
#include "core/json.h"
#include "deface/deface_files.h"
#include "io/io_dir.h"
#include "io/nifti.h"
#include "render/render.h"
#include "report/qc_page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PNG_BYTES ((uint64_t)256 << 20)
#define MAX_JSON_BYTES ((uint64_t)16 << 20)

static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

faceless_status qc_entry_add_image(faceless_ctx *ctx, qc_entry *e, const char *path)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t n = e->n_images;
    char **names = realloc(e->image_names, (n + 1) * sizeof *names);
    if (names)
        e->image_names = names;
    uint8_t **images = names ? realloc(e->images, (n + 1) * sizeof *images) : NULL;
    if (images)
        e->images = images;
    size_t *sizes = images ? realloc(e->image_sizes, (n + 1) * sizeof *sizes) : NULL;
    if (sizes)
        e->image_sizes = sizes;
    char *name = sizes ? strdup(file_name(path)) : NULL;
    if (!name)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    io_bytes png = {0};
    faceless_status s = io_read_whole(ctx, path, MAX_PNG_BYTES, &png);
    if (s == FACELESS_OK && (png.size < 8 || memcmp(png.data, sig, 8)))
        s = ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: not a PNG file", path);
    if (s != FACELESS_OK) {
        free(name);
        free(png.data);
        return s;
    }
    e->image_names[n] = name;
    e->images[n] = png.data;
    e->image_sizes[n] = png.size;
    e->n_images = n + 1;
    return FACELESS_OK;
}

faceless_status qc_entry_read(faceless_ctx *ctx, qc_entry *e, const char *name, const char *path)
{
    e->name = strdup(name);
    e->folder = deface_dirname(path);
    e->json_name = strdup(file_name(path));
    if (!e->name || !e->folder || !e->json_name)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    faceless_status s = io_read_whole(ctx, path, MAX_JSON_BYTES, &e->json);
    if (s != FACELESS_OK)
        return s;
    json_value *r = json_parse((const char *)e->json.data, e->json.size, e->json_error, sizeof e->json_error);
    if (r)
        e->json_error[0] = '\0';
    else if (!e->json_error[0])
        snprintf(e->json_error, sizeof e->json_error, "not JSON");
    const json_value *out = r && r->type == JSON_OBJECT ? json_get(r, "render_out") : NULL;
    e->has_render_out = out != NULL;
    const char *output = r ? json_path_string(r, "images.0.output", NULL) : NULL;
    if (output && !(e->output = strdup(output)))
        s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
    if (out && out->type == JSON_STRING && *file_name(out->string)) {
        e->render_wanted = strdup(file_name(out->string));
        char *render = e->render_wanted ? io_path_join(e->folder, e->render_wanted) : NULL;
        struct stat st;
        if (!render)
            s = ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
        else if (stat(render, &st) == 0)
            s = qc_entry_add_image(ctx, e, render);
        free(render);
    }
    json_free(r);
    return s;
}

faceless_status qc_entry_add_view3d(faceless_ctx *ctx, qc_entry *e, const char *path)
{
    if (!report_qc_page_has_3d())
        return FACELESS_OK;
    faceless_volume *v = NULL, *small = NULL;
    faceless_status s = faceless_volume_read(ctx, path, &v);
    if (s == FACELESS_OK)
        s = render_view3d(ctx, v, &small, &e->view3d_skin);
    faceless_volume_free(v);
    if (s == FACELESS_OK)
        s = nifti_encode_gz(ctx, small, e->view3d_skin, 255.0, &e->view3d);
    faceless_volume_free(small);
    if (s == FACELESS_OK)
        return s;
    /* not even running out of memory fails the page (an image too large to
     * read again beside the batch's other work is refused by the reader's
     * memory check): the entry keeps its renders and says why. The reason
     * names the file: the page is for the QC folder's readers. */
    free(e->view3d.data);
    e->view3d = (io_bytes){0};
    e->view3d_note = strdup(faceless_ctx_error(ctx));
    ctx_clear_error(ctx);
    return e->view3d_note ? FACELESS_OK : ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
}

int qc_entry_shows(const qc_entry *e, const char *name)
{
    for (size_t k = 0; k < e->n_images; k++)
        if (!strcmp(e->image_names[k], name))
            return 1;
    return 0;
}

void qc_entry_free(qc_entry *e)
{
    if (!e)
        return;
    free(e->name);
    free(e->folder);
    free(e->json_name);
    free(e->json.data);
    free(e->render_wanted);
    free(e->output);
    free(e->view3d.data);
    free(e->view3d_note);
    for (size_t k = 0; k < e->n_images; k++) {
        free(e->image_names[k]);
        free(e->images[k]);
    }
    free(e->image_names);
    free(e->images);
    free(e->image_sizes);
}

faceless_status qc_entry_page(faceless_ctx *ctx, const qc_entry *e, size_t n, const char *title, char **html,
                              size_t *len)
{
    report_qc_subject *subjects = calloc(n ? n : 1, sizeof *subjects);
    if (!subjects)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory writing the QC page");
    for (size_t k = 0; k < n; k++) {
        subjects[k].name = e[k].name;
        subjects[k].folder = e[k].folder;
        subjects[k].json_name = e[k].json_name;
        subjects[k].json_text = e[k].json_name ? (const char *)e[k].json.data : NULL;
        subjects[k].json_len = e[k].json.size;
        subjects[k].n_images = e[k].n_images;
        subjects[k].image_names = (const char *const *)e[k].image_names;
        subjects[k].images = (const uint8_t *const *)e[k].images;
        subjects[k].image_sizes = e[k].image_sizes;
        subjects[k].view3d = e[k].view3d.data;
        subjects[k].view3d_size = e[k].view3d.size;
        subjects[k].view3d_skin = e[k].view3d_skin;
        subjects[k].view3d_note = e[k].view3d_note;
    }
    faceless_status s = report_qc_page(ctx, subjects, n, title, html, len);
    free(subjects);
    return s;
}
