/* What the face archive (src/archive, issue 20) needs of a volume read from
 * DICOM: its files' names and one checksum of the series written from it
 * (dicom.h). */
#include "io/dicom/dicom.h"

#include "core/context.h"
#include "core/sha256.h"
#include "core/volume.h"
#include "io/io_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dicom_series *series_of(const faceless_volume *v)
{
    return v && v->source_kind == VOLUME_SOURCE_DICOM ? v->source : NULL;
}

size_t dicom_volume_n_files(const faceless_volume *v)
{
    const dicom_series *s = series_of(v);
    return s ? s->n_files : 0;
}

const char *dicom_volume_relpath(const faceless_volume *v, size_t i)
{
    const dicom_series *s = series_of(v);
    return s && i < s->n_files ? s->files[i].relpath : NULL;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A file's SHA-256; 0, or -1 if unreadable. */
static int file_sha(const char *path, uint8_t d[32])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    sha256_ctx c;
    sha256_init(&c);
    uint8_t buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&c, buf, got);
    int bad = ferror(f);
    fclose(f);
    sha256_final(&c, d);
    return bad ? -1 : 0;
}

int dicom_volume_digest(const faceless_volume *v, const char *dir, uint8_t sha256[32])
{
    const dicom_series *s = series_of(v);
    if (!s || !s->n_files)
        return -1;
    const char **names = malloc(s->n_files * sizeof *names);
    if (!names)
        return -1;
    for (size_t i = 0; i < s->n_files; i++)
        names[i] = s->files[i].relpath;
    /* the order of names, not of the scan: the series read back from the
     * output folder must give the same digest as the one written */
    qsort(names, s->n_files, sizeof *names, by_name);
    sha256_ctx c;
    sha256_init(&c);
    int rc = 0;
    for (size_t k = 0; k < s->n_files && rc == 0; k++) {
        const char *rel = names[k];
        char *path = io_path_join(dir, rel);
        uint8_t d[32];
        rc = path ? file_sha(path, d) : -1;
        free(path);
        sha256_update(&c, rel, strlen(rel) + 1);
        sha256_update(&c, d, sizeof d);
    }
    free(names);
    sha256_final(&c, sha256);
    return rc;
}
