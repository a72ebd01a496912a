/* The de-face pipeline as a library call (issue 17): the options, their
 * table, and the run behind faceless_deface_file() and
 * faceless_deface_volume() (faceless.h). `faceless deface`, `batch` and
 * `bids` parse their arguments through this one table, so an option has the
 * same name, range and meaning everywhere, and the report carries one
 * fingerprint of every option that can change what is written. */
#ifndef FACELESS_DEFACE_DEFACE_H
#define FACELESS_DEFACE_DEFACE_H

#include "faceless.h"
#include "mask/mask.h"
#include "report/run_report.h"

#include <stddef.h>

/* Every de-face option with its default (deface_options.c sets them). Strings
 * are owned copies. */
struct faceless_deface_options {
    mask_mode mode;                                      /* zero */
    uint64_t seed;                                       /* 1 */
    double brain_margin_mm;                              /* MASK_DEFAULT_BRAIN_MARGIN_MM */
    double min_trust;                                    /* NAN: the registration's default */
    char *template_dir;
    char *brain_mask; /* NULL: none; else a brain mask file used as a hard guard (issue 16) */                                  /* NULL: the embedded Colin27 set */
    char *transform;                                     /* NULL: register; else "identity" or a 4x4 text file */
    char *series;                                        /* DICOM SeriesInstanceUID to de-face in a folder of several */
    char *mask_out, *report_out, *render_out, *mesh_out; /* NULL: not written */
    char *apply_to[RUN_REPORT_MAX_APPLY];
    int n_apply;
    char *apply_suffix; /* NULL: "_defaced" */
    char *archive_out;  /* NULL: no face archive (issue 20) */
    char *recipients[RUN_REPORT_MAX_RECIPIENTS]; /* public key files the archive is sealed for */
    int n_recipients;
    int force, overwrite, require_clean_headers, scrub_nifti_text;
    int memory_share; /* runs sharing the memory limit (batch -j N); <= 1: this run alone (not in the table) */
    int output_dir_shared; /* each series of a DICOM folder in turn: the output folder
                              already holds the earlier series (not in the table) */
};

typedef enum deface_option_kind {
    DEFACE_OPT_FLAG,   /* no value on the command line; "1"/"0" through the setter */
    DEFACE_OPT_NUMBER, /* a double in [lo, hi] */
    DEFACE_OPT_COUNT,  /* a non-negative integer (uint64) */
    DEFACE_OPT_WORD,   /* one of a fixed list (mode) */
    DEFACE_OPT_TEXT,   /* a path or a UID */
    DEFACE_OPT_LIST,   /* paths: every following argument that is not an option (apply-to) */
    DEFACE_OPT_MULTI   /* a path, one per use, repeatable (recipient) */
} deface_option_kind;

enum {
    /* changes what is written, or whether: part of the fingerprint */
    DEFACE_OPT_FINGERPRINT = 1u << 0,
    /* per run, so `batch` and `bids` take it too (the others name one image's outputs) */
    DEFACE_OPT_BATCH = 1u << 1
};

typedef struct deface_option {
    const char *name; /* "brain-margin": --brain-margin, Python brain_margin */
    deface_option_kind kind;
    double lo, hi; /* DEFACE_OPT_NUMBER */
    unsigned flags;
    const char *arg;  /* the value's name in the usage ("MM"); NULL for flags */
    const char *help; /* usage text; continuation lines start with '\n' */
} deface_option;

/* The table, in the order the usage lists it; *n its length. */
const deface_option *deface_option_table(size_t *n);

/* The entry named name ("brain-margin", "brain_margin" or "--brain-margin");
 * NULL when there is none. */
const deface_option *deface_option_find(const char *name);

/* strtod of all of s into *out when it is in [lo, hi]; 0 otherwise (the
 * number parser of the options, also for the CLI's own, e.g. --threads). */
int deface_parse_number(const char *s, double lo, double hi, double *out);

/* A copy with copies of every string; NULL when out of memory. */
faceless_deface_options *deface_options_copy(const faceless_deface_options *o);

/* The options' fingerprint: SHA-256 (hex) over the tool version, the
 * template set's checksum and every DEFACE_OPT_FINGERPRINT option's value.
 * Two runs with the same fingerprint write the same bytes for the same
 * input, at any thread count. */
void deface_options_fingerprint(const faceless_deface_options *o, const char *template_sha256, char hex[65]);

/* The checksum of the template set o names (template_dir, or the embedded
 * set), for a caller that fingerprints before any image (batch): loads it. */
faceless_status deface_template_sha256(faceless_ctx *ctx, const faceless_deface_options *o, char hex[65]);

/* faceless_deface_file, and what the CLI needs besides: *several_series set
 * to 1 (nothing written, nothing reported) when in_path is a DICOM folder of
 * several series and o->series is NULL, so the caller can de-face each in
 * turn. report_json: the report (caller frees), also when the run failed;
 * NULL allowed. */
faceless_status deface_file_run(faceless_ctx *ctx, const char *in_path, const char *out_path,
                                const faceless_deface_options *o, char **report_json, int *several_series);

#endif
