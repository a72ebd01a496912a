/* The QC page's sources (src/report/qc_page/: page.html, subject.html,
 * page.css, page.js, view3d.js) and, in builds with NiiVue, its bundle
 * (niivue.umd.js.gz, gzip-compressed) and its licence (LICENSE-niivue.txt), compiled in at build time by
 * cmake/embed.cmake (src/report/module.cmake). */
#ifndef FACELESS_REPORT_QC_PAGE_FILES_H
#define FACELESS_REPORT_QC_PAGE_FILES_H

#include <stddef.h>

typedef struct report_page_file {
    const char *name;           /* "page.js", ...; "niivue.umd.js.gz" */
    const unsigned char *bytes; /* the file as committed (not NUL-terminated) */
    size_t size;
} report_page_file;

/* Ended by an entry with name == NULL. */
extern const report_page_file report_page_files[];

#endif
