/* A small JSON reader (RFC 8259) for faceless's own files: deface reports
 * read back by batch (resume, summary) and by the QC page builder. Depth and
 * size are bounded, so a hostile file cannot exhaust the stack. */
#ifndef FACELESS_CORE_JSON_H
#define FACELESS_CORE_JSON_H

#include "core/context.h" /* FACELESS_PRINTF */

#include <stddef.h>

typedef enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    int boolean;
    double number;
    char *string;               /* JSON_STRING: decoded UTF-8, NUL-terminated */
    size_t count;               /* JSON_ARRAY / JSON_OBJECT: number of members */
    struct json_value **items;  /* members in file order */
    char **keys;                /* JSON_OBJECT: member names */
} json_value;

/* Parses text[0..len). On failure returns NULL and, if err is not NULL, a
 * short reason with the byte offset. Free with json_free. */
json_value *json_parse(const char *text, size_t len, char *err, size_t err_size);
void json_free(json_value *v);

/* The member named key of an object (first match), or NULL. */
const json_value *json_get(const json_value *obj, const char *key);

/* Follows a dotted path of keys and array indices: "images.0.input_sha256". */
const json_value *json_path(const json_value *root, const char *path);

/* Convenience: the string / number at path, or fallback. */
const char *json_path_string(const json_value *root, const char *path, const char *fallback);
double json_path_number(const json_value *root, const char *path, double fallback);

/* A growing text buffer for writing JSON. Start with {0}; free(b.text). */
typedef struct json_buf {
    char *text;
    size_t len, cap;
    int failed; /* set when out of memory; later appends do nothing */
} json_buf;

int json_buf_append(json_buf *b, const char *s, size_t n);
int json_buf_puts(json_buf *b, const char *s);
/* s as a JSON string literal, escaped. */
int json_buf_string(json_buf *b, const char *s);
/* n bytes of s as a JSON string literal with every byte outside printable
 * ASCII as \u00XX (a Latin-1 reading): header text has no reliable
 * encoding, and the output must always parse (faceless scan). */
int json_buf_string_bytes(json_buf *b, const char *s, size_t n);
/* printf-formatted text (at most 511 bytes a call). */
int json_buf_printf(json_buf *b, const char *fmt, ...) FACELESS_PRINTF(2, 3);
/* x with %.17g (reads back exactly), or null when not finite. */
int json_buf_number(json_buf *b, double x);
/* v as JSON text, pretty-printed at the given indent. */
int json_buf_value(json_buf *b, const json_value *v, int indent);

#endif
