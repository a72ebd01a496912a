/* Private pieces shared by the files of src/scan. */
#ifndef FACELESS_SCAN_INTERNAL_H
#define FACELESS_SCAN_INTERNAL_H

#include "core/json.h"
#include "scan/scan.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Free-text detectors (scan_detect.c)                                       */

/* The text is a whole field value (not a run cut out of a longer text):
 * enables the "Lastname, Firstname" detector, which is too loose for prose. */
#define SCAN_TEXT_WHOLE 1u
/* The text is a printable run found inside binary data: only the detectors
 * that rarely fire by chance on vendor binary blobs (no bare ID numbers). */
#define SCAN_TEXT_BINARY 2u
/* Vendor (private) text: no bare ID numbers either (vendors store numeric
 * codes as text everywhere), the other detectors as usual. */
#define SCAN_TEXT_NO_IDS 4u

typedef struct scan_hit {
    const char *detector; /* "date", "birth-date", "person-name", "phone", "email", "url",
                             "ip-address", "id-number", "street-address", "user-path" */
    const char *why;      /* one short English phrase */
    size_t start, len;    /* the matched bytes */
} scan_hit;

/* Finds identifying patterns in text[0..n) (any bytes; non-printable bytes
 * end a token). Writes at most max hits in text order, returns how many were
 * found (may exceed max). Linear in n; never reads outside text. */
size_t scan_detect(const char *text, size_t n, unsigned flags, scan_hit *hits, size_t max);

/* 1 if s[0..n) is a valid calendar date written as YYYYMMDD (1901-2099). */
int scan_is_compact_date(const char *s, size_t n);

/* ------------------------------------------------------------------------ */
/* The Annex E table (scan_annexe.c)                                         */

/* What kind of information an attribute carries; the policy gives each class
 * a default action. */
typedef enum scan_class {
    SCAN_CLASS_IDENTITY = 0, /* names, IDs, addresses, phone numbers of patients and staff */
    SCAN_CLASS_BIRTH,        /* birth date and time */
    SCAN_CLASS_DATE,         /* other dates and date-times */
    SCAN_CLASS_TIME,         /* times of day */
    SCAN_CLASS_INSTITUTION,  /* institution, department, station */
    SCAN_CLASS_DEVICE,       /* device serial numbers and IDs */
    SCAN_CLASS_UID,          /* UIDs (action U: replaced, not removed) */
    SCAN_CLASS_DEMOGRAPHIC,  /* age, sex, size, weight, ethnic group, ... */
    SCAN_CLASS_DESCRIPTOR,   /* free-text descriptions and comments */
    SCAN_CLASS_SEQUENCE,     /* a sequence: its items are checked one by one */
    SCAN_CLASS_COUNT
} scan_class;

typedef struct scan_annexe_entry {
    uint16_t group, elem;
    uint16_t group_mask; /* 0xFFFF, or 0xFF00 for repeating groups (60xx) */
    const char *keyword;
    const char *action; /* as in PS3.15 Table E.1-1: "X", "Z", "D", "U", "X/Z/D", ... */
    char vr[3];
    scan_class cls;
} scan_annexe_entry;

/* The entry for a tag, or NULL. */
const scan_annexe_entry *scan_annexe_find(uint16_t group, uint16_t elem);
/* The entry for a keyword (exact, case-sensitive), or NULL. */
const scan_annexe_entry *scan_annexe_find_keyword(const char *keyword, size_t len);
size_t scan_annexe_count(void);
const scan_annexe_entry *scan_annexe_at(size_t i);
const char *scan_class_name(scan_class c);

/* A keyword for common tags outside the Annex E table (for messages and
 * for keyword rules), or NULL; *vr gets the VR ("" when unknown). */
const char *scan_dict_keyword(uint16_t group, uint16_t elem, const char **vr);

/* ------------------------------------------------------------------------ */
/* Policy lookups (scan_policy.c)                                            */

scan_action scan_policy_tag(const scan_policy *p, uint16_t group, uint16_t elem, const char *keyword,
                            const char *creator, size_t creator_len);
scan_action scan_policy_field(const scan_policy *p, const char *field); /* "nifti:descrip", "json:Key" */
scan_action scan_policy_class(const scan_policy *p, scan_class c);
scan_action scan_policy_private(const scan_policy *p);
scan_action scan_policy_pn(const scan_policy *p);      /* person names outside the table */
scan_action scan_policy_dates(const scan_policy *p);   /* DA/DT outside the table */
scan_action scan_policy_text(const scan_policy *p);    /* other text and binary values */

/* ------------------------------------------------------------------------ */
/* Reporting helpers (scan_report.c)                                         */

typedef struct scan_run {
    faceless_ctx *ctx;
    const scan_policy *policy;
    scan_findings *out;
    const char *file;
} scan_run;

/* Runs the detectors over text and records each hit as a finding at
 * `where` (at most a few per field and detector, so that one blob cannot
 * flood the report). Returns the number of findings recorded. */
size_t scan_report_text(scan_run *r, const char *where, const char *text, size_t n, unsigned flags);

/* Same over the printable runs (>= 6 characters) of binary data. */
size_t scan_report_binary(scan_run *r, const char *where, const uint8_t *data, size_t n);

/* 1 if a value reads as a placeholder put in by anonymisation ("anonymized",
 * "Institution", the attribute's own keyword, a hash-like pseudonym, an
 * impossible date...) rather than real identifying text. */
int scan_is_placeholder(const char *value, size_t n, const char *keyword, scan_class cls);

/* Trims trailing spaces, NULs (DICOM padding) and leading spaces. */
void scan_trim(const char **s, size_t *n);

/* Applies the policy to one named value whose class is known (an Annex E
 * attribute in DICOM or a JSON key): records a finding or info as the
 * action says. `why_prefix` e.g. "Annex E Z" or "JSON key (Annex E Z)". */
void scan_report_classified(scan_run *r, const char *where, const char *value, size_t n, scan_action action,
                            const scan_annexe_entry *entry, const char *keyword);

/* ------------------------------------------------------------------------ */
/* DICOM element walker (scan_dicom_parse.c)                                 */

#define SCAN_DCM_MAX_DEPTH 32

typedef struct scan_dcm_level {
    uint16_t group, elem; /* the sequence */
    uint32_t item;        /* index of the current item */
} scan_dcm_level;

typedef struct scan_dcm_elem {
    uint16_t group, elem;
    char vr[3];          /* "" when implicit VR (unknown) */
    const uint8_t *value;
    size_t len;          /* 0 for sequences */
    int is_sequence;     /* value is a sequence (items follow as their own visits) */
    int big_endian;
    const scan_dcm_level *path; /* enclosing sequences, outermost first */
    int depth;
    const char *creator; /* private creator of a private element, or NULL */
    size_t creator_len;
} scan_dcm_elem;

typedef void (*scan_dcm_visit_fn)(void *user, const scan_dcm_elem *e);

/* Walks a DICOM file (Part 10 with preamble and meta group, or a bare data
 * set) and calls visit for every element, in file order. Deflated transfer
 * syntax is inflated (capped). On malformed input stops and returns
 * FACELESS_ERR_INPUT with the reason and byte offset in ctx; the elements
 * seen before stay visited. `bare_only`: the bytes are a bare data set (a
 * NIfTI DICOM extension). */
faceless_status scan_dcm_walk(faceless_ctx *ctx, const char *file, const uint8_t *bytes, size_t n, int bare_only,
                              scan_dcm_visit_fn visit, void *user);

/* Element-level rules (scan_dicom.c): visits used by scan_dicom_bytes and by
 * the NIfTI DICOM extension. `prefix` goes before the tag in "where". */
typedef struct scan_dcm_rules_state {
    scan_run *run;
    const char *prefix;
} scan_dcm_rules_state;
void scan_dcm_rules_visit(void *user, const scan_dcm_elem *e);

/* Growable string used to build "where" texts and JSON: core's one text
 * buffer and its escaper for text of no known encoding (core/json.h). */
typedef json_buf scan_buf;
static inline void scan_buf_add(scan_buf *b, const char *s, size_t n) { json_buf_append(b, s, n); }
static inline void scan_buf_str(scan_buf *b, const char *s) { json_buf_puts(b, s); }
#define scan_buf_printf json_buf_printf
static inline void scan_buf_json_string(scan_buf *b, const char *s, size_t n) { json_buf_string_bytes(b, s, n); }

#endif
