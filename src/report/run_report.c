/* JSON text of the deface report (strings escaped per RFC 8259 by core's
 * json_buf; numbers with %.17g so they read back exactly). */
#include "report/run_report.h"

#include "core/context.h"
#include "core/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The writer: core's json_buf and its escaper (json.h), with the layout of
 * this report (two-space indent, one key a line) on top. */
typedef json_buf jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) { json_buf_append(b, s, n); }
static void jb_str(jbuf *b, const char *s) { s ? json_buf_string(b, s) : json_buf_puts(b, "null"); }
#define jb_printf json_buf_printf
#define jb_num json_buf_number

/* "key": the caller writes the value next. first: no comma before. */
static void jb_key(jbuf *b, int *first, int indent, const char *key)
{
    jb_put(b, *first ? "\n" : ",\n", *first ? 1 : 2);
    *first = 0;
    for (int i = 0; i < indent; i++)
        jb_put(b, "  ", 2);
    jb_str(b, key);
    jb_put(b, ": ", 2);
}

static void jb_end(jbuf *b, int indent, char close)
{
    jb_put(b, "\n", 1);
    for (int i = 0; i < indent; i++)
        jb_put(b, "  ", 2);
    jb_put(b, &close, 1);
}

static void jb_hex_or_null(jbuf *b, const char *hex) { jb_str(b, hex && *hex ? hex : NULL); }

/* ["a", "b"] on one line */
static void jb_str_list(jbuf *b, const char *const *s, size_t n)
{
    jb_put(b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            jb_put(b, ", ", 2);
        jb_str(b, s[i]);
    }
    jb_put(b, "]", 1);
}

static void write_image(jbuf *b, const run_report_image *im, int indent, int with_grid_flag)
{
    int f = 1;
    jb_put(b, "{", 1);
    jb_key(b, &f, indent + 1, "input");
    jb_str(b, im->input);
    jb_key(b, &f, indent + 1, "output");
    jb_str(b, im->output);
    jb_key(b, &f, indent + 1, "input_sha256");
    jb_hex_or_null(b, im->input_sha256);
    jb_key(b, &f, indent + 1, "output_sha256");
    jb_hex_or_null(b, im->output_sha256);
    jb_key(b, &f, indent + 1, "dims");
    jb_printf(b, "[%lld, %lld, %lld, %lld]", (long long)im->dims[0], (long long)im->dims[1],
              (long long)im->dims[2], (long long)im->dims[3]);
    jb_key(b, &f, indent + 1, "datatype");
    jb_str(b, im->dtype);
    jb_key(b, &f, indent + 1, "orientation");
    jb_str(b, im->orientation);
    if (with_grid_flag) {
        jb_key(b, &f, indent + 1, "same_grid_as_reference");
        jb_put(b, im->same_grid ? "true" : "false", im->same_grid ? 4 : 5);
    }
    jb_key(b, &f, indent + 1, "voxels_changed");
    jb_printf(b, "%lld", (long long)im->voxels_changed);
    jb_key(b, &f, indent + 1, "archive");
    jb_str(b, im->archive_out); /* null when NULL */
    jb_end(b, indent, '}');
}

char *run_report_json(const run_report *r)
{
    jbuf b = {NULL, 0, 0, 0};
    int f = 1;
    jb_put(&b, "{", 1);
    jb_key(&b, &f, 1, "report_version");
    jb_printf(&b, "%d", RUN_REPORT_VERSION);
    jb_key(&b, &f, 1, "tool");
    jb_str(&b, "faceless");
    jb_key(&b, &f, 1, "tool_version");
    jb_str(&b, r->tool_version);
    jb_key(&b, &f, 1, "verdict");
    jb_str(&b, r->verdict);
    jb_key(&b, &f, 1, "exit_code");
    jb_printf(&b, "%d", r->exit_code);
    jb_key(&b, &f, 1, "error");
    jb_str(&b, r->error && *r->error ? r->error : NULL);
    jb_key(&b, &f, 1, "series_uid");
    jb_str(&b, r->series_uid);

    jb_key(&b, &f, 1, "parameters");
    {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "mode");
        jb_str(&b, r->mode);
        jb_key(&b, &g, 2, "seed");
        jb_printf(&b, "%llu", (unsigned long long)r->seed);
        jb_key(&b, &g, 2, "brain_margin_mm");
        jb_num(&b, r->brain_margin_mm);
        jb_key(&b, &g, 2, "threads");
        jb_printf(&b, "%d", r->threads);
        jb_key(&b, &g, 2, "force");
        jb_put(&b, r->force ? "true" : "false", r->force ? 4 : 5);
        jb_key(&b, &g, 2, "fingerprint");
        jb_hex_or_null(&b, r->fingerprint);
        jb_end(&b, 1, '}');
    }

    jb_key(&b, &f, 1, "template");
    {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "name");
        jb_str(&b, r->template_name);
        jb_key(&b, &g, 2, "sha256");
        jb_hex_or_null(&b, r->template_sha256);
        jb_end(&b, 1, '}');
    }

    jb_key(&b, &f, 1, "registration");
    {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "transform_source");
        jb_str(&b, r->transform_source);
        jb_key(&b, &g, 2, "template_to_subject");
        if (r->have_transform) {
            jb_put(&b, "[", 1);
            for (int y = 0; y < 4; y++) {
                jb_put(&b, y ? ", [" : "[", y ? 3 : 1);
                for (int x = 0; x < 4; x++) {
                    if (x)
                        jb_put(&b, ", ", 2);
                    jb_num(&b, r->tpl2subj[y][x]);
                }
                jb_put(&b, "]", 1);
            }
            jb_put(&b, "]", 1);
        } else {
            jb_put(&b, "null", 4);
        }
        jb_key(&b, &g, 2, "trust");
        jb_num(&b, r->have_transform ? r->trust : NAN);
        jb_key(&b, &g, 2, "min_trust");
        jb_num(&b, r->min_trust);
        jb_key(&b, &g, 2, "trusted");
        jb_put(&b, r->trusted ? "true" : "false", r->trusted ? 4 : 5);
        jb_key(&b, &g, 2, "final_cost");
        jb_num(&b, r->have_transform ? r->final_cost : NAN);
        jb_key(&b, &g, 2, "head_overlap");
        jb_num(&b, r->have_transform ? r->head_overlap : NAN);
        jb_key(&b, &g, 2, "subject_in_template");
        jb_num(&b, r->have_transform && r->cost_name ? r->coverage : NAN);
        jb_key(&b, &g, 2, "template_in_subject");
        jb_num(&b, r->have_transform && r->cost_name ? r->template_coverage : NAN);
        jb_key(&b, &g, 2, "ambiguity_mm");
        jb_num(&b, r->have_transform && r->cost_name ? r->ambiguity_mm : NAN);
        jb_key(&b, &g, 2, "inconsistency_mm");
        jb_num(&b, r->have_transform && r->cost_name ? r->inconsistency_mm : NAN);
        jb_key(&b, &g, 2, "foreground_beside_head");
        jb_num(&b, r->have_transform && r->cost_name ? r->beside : NAN);
        jb_key(&b, &g, 2, "head_entropy_bits");
        jb_num(&b, r->have_transform && r->cost_name ? r->entropy_bits : NAN);
        jb_key(&b, &g, 2, "cost");
        jb_str(&b, r->cost_name); /* null when NULL */
        jb_key(&b, &g, 2, "untrusted_reason");
        jb_str(&b, r->trust_reason); /* null when NULL */
        jb_end(&b, 1, '}');
    }

    jb_key(&b, &f, 1, "mask");
    if (r->have_mask) {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "face_ear_voxels");
        jb_printf(&b, "%lld", (long long)r->n_face);
        jb_key(&b, &g, 2, "guard_voxels");
        jb_printf(&b, "%lld", (long long)r->n_guard);
        jb_key(&b, &g, 2, "face_ear_voxels_guarded");
        jb_printf(&b, "%lld", (long long)r->n_face_guarded);
        jb_key(&b, &g, 2, "masked_voxels");
        jb_printf(&b, "%lld", (long long)r->n_remove);
        jb_key(&b, &g, 2, "refinement");
        jb_str(&b, r->depth_limited ? "head_surface" : "none");
        jb_key(&b, &g, 2, "depth_limited_voxels");
        jb_printf(&b, "%lld", (long long)r->n_depth_dropped);
        jb_key(&b, &g, 2, "skin_threshold");
        jb_num(&b, r->depth_limited ? r->skin_threshold : NAN);
        jb_key(&b, &g, 2, "brain_mask");
        jb_str(&b, r->brain_mask);
        jb_key(&b, &g, 2, "brain_mask_voxels");
        jb_printf(&b, "%lld", (long long)r->n_user_guard);
        jb_key(&b, &g, 2, "min_mm_to_brain_guard");
        jb_num(&b, r->min_mm_to_guard);
        jb_key(&b, &g, 2, "min_mm_to_brain_mask");
        jb_num(&b, r->min_mm_to_user);
        jb_key(&b, &g, 2, "background_stored");
        jb_num(&b, r->background_stored);
        jb_key(&b, &g, 2, "noise_tissue_threshold");
        jb_num(&b, r->tissue_samples ? r->tissue_threshold : NAN);
        jb_key(&b, &g, 2, "noise_tissue_samples");
        jb_printf(&b, "%lld", (long long)r->tissue_samples);
        jb_key(&b, &g, 2, "noise_texture_sigma_voxels");
        if (r->tissue_samples) {
            jb_put(&b, "[", 1);
            for (int a = 0; a < 3; a++) {
                if (a)
                    jb_put(&b, ", ", 2);
                jb_num(&b, r->texture_sigma_vox[a]);
            }
            jb_put(&b, "]", 1);
        } else {
            jb_put(&b, "null", 4);
        }
        jb_key(&b, &g, 2, "mask_out");
        jb_str(&b, r->mask_out);
        jb_key(&b, &g, 2, "mask_out_sha256");
        jb_hex_or_null(&b, r->mask_sha256);
        jb_end(&b, 1, '}');
    } else {
        jb_put(&b, "null", 4);
    }

    jb_key(&b, &f, 1, "images");
    jb_put(&b, "[", 1);
    for (int i = 0; i < r->n_images; i++) {
        jb_put(&b, i ? ",\n    " : "\n    ", i ? 6 : 5);
        write_image(&b, &r->images[i], 2, i > 0);
    }
    if (r->n_images)
        jb_end(&b, 1, ']');
    else
        jb_put(&b, "]", 1);

    jb_key(&b, &f, 1, "render_out");
    jb_str(&b, r->render_out); /* null when NULL */
    jb_key(&b, &f, 1, "mesh_out");
    jb_str(&b, r->mesh_out); /* null when NULL */
    jb_key(&b, &f, 1, "archive");
    if (r->archive_out) {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "path");
        jb_str(&b, r->archive_out);
        jb_key(&b, &g, 2, "recipients");
        const char *fpr[RUN_REPORT_MAX_RECIPIENTS];
        for (int i = 0; i < r->n_archive_fpr; i++)
            fpr[i] = r->archive_fpr[i];
        jb_str_list(&b, fpr, (size_t)r->n_archive_fpr);
        jb_end(&b, 1, '}');
    } else {
        jb_put(&b, "null", 4);
    }

    jb_key(&b, &f, 1, "timings_seconds");
    {
        int g = 1;
        jb_put(&b, "{", 1);
        for (int i = 0; i < r->n_stages; i++) {
            jb_key(&b, &g, 2, r->stages[i].name);
            jb_num(&b, r->stages[i].seconds);
        }
        jb_key(&b, &g, 2, "total");
        jb_num(&b, r->total_seconds);
        jb_end(&b, 1, '}');
    }

    jb_key(&b, &f, 1, "header_audit");
    if (r->have_header_audit) {
        int g = 1;
        jb_put(&b, "{", 1);
        jb_key(&b, &g, 2, "policy");
        jb_str(&b, r->header_policy ? r->header_policy : "");
        jb_key(&b, &g, 2, "findings");
        jb_printf(&b, "%lld", (long long)r->header_findings);
        jb_end(&b, 1, '}');
    } else {
        jb_put(&b, "null", 4);
    }
    jb_key(&b, &f, 1, "warnings");
    jb_str_list(&b, r->warnings, r->n_warnings);
    jb_end(&b, 0, '}');
    jb_put(&b, "\n", 1);
    if (b.failed) {
        free(b.text);
        return NULL;
    }
    return b.text;
}
