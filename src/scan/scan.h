/* The header audit (issue 7): find identifying text that header
 * anonymisation missed, in NIfTI headers and extensions, JSON sidecars and
 * DICOM files (every element, sequences and private tags included).
 *
 * Pipelines call faceless after header anonymisation; core labs must still
 * check that nothing identifying is left. What counts as identifying is set
 * by a policy (scan_policy, docs/scan.md): by default the DICOM PS3.15
 * Annex E Basic Application Level Confidentiality Profile plus free-text
 * detectors (dates, names, phone numbers, addresses, ...).
 *
 * Ownership: scan_findings and scan_policy are owned by the caller and freed
 * with their _free functions (NULL is fine). Thread safety: a policy is
 * read-only after it is made and may be shared by threads; a findings list
 * belongs to one thread at a time.
 *
 * Values are kept in memory so that the CLI can show them on request
 * (--show-values); every writer masks them by default (letters -> x/X,
 * digits -> 9), so that faceless never copies identifying text into a file
 * it writes (the deface report). */
#ifndef FACELESS_SCAN_H
#define FACELESS_SCAN_H

#include "core/context.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Findings                                                                  */

typedef enum scan_level {
    SCAN_LEVEL_INFO = 0,   /* listed for the record (UIDs, times, placeholders) */
    SCAN_LEVEL_FINDING = 1 /* identifying text that should not be there */
} scan_level;

typedef struct scan_finding {
    char *file;     /* the file it was found in */
    char *where;    /* "(0010,0030) PatientBirthDate", "nifti:descrip", "json:PatientName", ... */
    char *value;    /* the text found (unmasked; at most SCAN_VALUE_MAX bytes) */
    char *why;      /* "Annex E Z: birth date still set", "e-mail address in text", ... */
    const char *detector; /* short stable name: "annex-e", "person-name", "date", ... */
    scan_level level;
} scan_finding;

#define SCAN_VALUE_MAX 200

typedef struct scan_error {
    char *file;
    char *message; /* one line, "file: reason" */
    faceless_status status;
} scan_error;

typedef struct scan_findings {
    scan_finding *items;
    size_t count, cap;
    scan_error *errors;
    size_t n_errors, cap_errors;
    size_t files_scanned;
    int out_of_memory; /* a finding could not be recorded: the list is incomplete */
} scan_findings;

scan_findings *scan_findings_new(void);
void scan_findings_free(scan_findings *f);

/* Number of items at `level` (SCAN_LEVEL_FINDING: the findings proper). */
size_t scan_findings_count(const scan_findings *f, scan_level level);

/* Adds one item; value may be NULL or not NUL-terminated (value_len bytes).
 * Returns 0, or -1 when out of memory (f->out_of_memory is then set). */
int scan_findings_add(scan_findings *f, const char *file, const char *where, const char *value,
                      size_t value_len, scan_level level, const char *detector, const char *why, ...)
    FACELESS_PRINTF(8, 9);

int scan_findings_add_error(scan_findings *f, const char *file, faceless_status status, const char *message);

/* Moves every item and error of src to the end of dst (src is left empty). */
int scan_findings_append(scan_findings *dst, scan_findings *src);

/* The masked form of value: letters become 'x'/'X', digits '9', other
 * characters stay; cut at max_len characters with "...". Caller frees. */
char *scan_value_mask(const char *value, size_t max_len);

/* Options of the JSON writer. */
typedef struct scan_json_options {
    int show_values;  /* 1: write the values as found; 0 (default): masked */
    int include_info; /* 1: also the SCAN_LEVEL_INFO items */
    int indent;       /* spaces before each line (to nest the object in a report) */
} scan_json_options;

/* The findings as one JSON object (documented in docs/scan.md), UTF-8,
 * ending with "}" (no newline). Caller frees; NULL when out of memory.
 * `policy_name` names the policy in the output (may be NULL). */
char *scan_findings_json(const scan_findings *f, const scan_json_options *opt, const char *policy_name);

/* ------------------------------------------------------------------------ */
/* Policy                                                                    */

/* What a policy says about one attribute or field. */
typedef enum scan_action {
    SCAN_ACTION_DEFAULT = 0, /* not listed: the profile's rule applies */
    SCAN_ACTION_KEEP,        /* allowed: never reported */
    SCAN_ACTION_INFO,        /* listed as information when it holds a value */
    SCAN_ACTION_SCAN,        /* reported only when a free-text detector fires */
    SCAN_ACTION_FLAG         /* a finding whenever it holds a value */
} scan_action;

typedef struct scan_policy scan_policy;

/* The built-in default: the Annex E Basic Profile (policies/annex-e-basic.txt). */
faceless_status scan_policy_default(faceless_ctx *ctx, scan_policy **out);

/* Parses policy text (docs/scan.md). `name` is used in messages and in the
 * report. Errors name the line. */
faceless_status scan_policy_parse(faceless_ctx *ctx, const char *name, const char *text, size_t len,
                                  scan_policy **out);

/* Reads and parses a policy file. */
faceless_status scan_policy_load(faceless_ctx *ctx, const char *path, scan_policy **out);

void scan_policy_free(scan_policy *p);
const char *scan_policy_name(const scan_policy *p);

/* The text of the built-in default policy. */
const char *scan_policy_default_text(void);

/* ------------------------------------------------------------------------ */
/* Scanning                                                                  */

/* Scans a file or a folder (recursively; files that are not NIfTI, JSON or
 * DICOM are skipped in folders). A NIfTI file given directly brings its
 * JSON sidecar (same name, .json) along. Findings and per-file errors are
 * appended to out. Returns FACELESS_OK when every file could be read in
 * full, else the status of the first error (the findings so far are kept:
 * a hostile or truncated file yields what could be read, and an error). */
faceless_status scan_path(faceless_ctx *ctx, const char *path, const scan_policy *policy, scan_findings *out);

/* Scans one file of known content. kind: see scan_sniff(). */
typedef enum scan_kind {
    SCAN_KIND_UNKNOWN = 0,
    SCAN_KIND_NIFTI,
    SCAN_KIND_JSON,
    SCAN_KIND_DICOM
} scan_kind;

/* The kind of file, from its name and first bytes (n may be short). */
scan_kind scan_sniff(const char *path, const uint8_t *head, size_t n);

/* Scans a NIfTI header as stored (raw bytes from the file start up to the
 * voxels: header, extender, extensions), e.g. nifti_source.header. */
faceless_status scan_nifti_bytes(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n,
                                 const scan_policy *policy, scan_findings *out);

/* Scans JSON text (a sidecar). */
faceless_status scan_json_bytes(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n,
                                const scan_policy *policy, scan_findings *out);

/* Scans a DICOM file (Part 10 with preamble, or a bare data set). */
faceless_status scan_dicom_bytes(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n,
                                 const scan_policy *policy, scan_findings *out);

/* Scans a whole list of paths with up to ctx's thread count, keeping the
 * order of the results fixed (the output does not depend on threads). */
faceless_status scan_paths(faceless_ctx *ctx, const char *const *paths, size_t n, const scan_policy *policy,
                           scan_findings *out);

#endif
