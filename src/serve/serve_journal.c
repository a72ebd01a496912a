/* serve_journal: what one destination has acknowledged (serve.h): an
 * append-only file of SOP Instance UIDs, one a line, fdatasynced after each,
 * and the same set in memory. The forwarder skips every instance in it, so
 * after a restart nothing acknowledged is sent again; the output UIDs are
 * derived from the input and the options (io/dicom/dicom_uid.c), so a
 * series received and de-faced twice is recognised too.
 *
 * A line cut by a crash (no newline) is ignored: its instance is sent again,
 * the one case where a destination may see an instance twice (with the same
 * UIDs, which a PACS takes as the same instance).
 *
 * Thread safety: one journal belongs to the forwarder thread; the counts
 * are read under the node's lock. */
#include "serve/serve_internal.h"

#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct serve_journal {
    int fd;
    char **slots; /* open addressing; NULL: empty */
    size_t cap, count;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int grow(serve_journal *j)
{
    size_t cap = j->cap ? j->cap * 2 : 1024;
    char **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < j->cap; i++)
        if (j->slots[i]) {
            size_t k = hash(j->slots[i]) & (cap - 1);
            while (slots[k])
                k = (k + 1) & (cap - 1);
            slots[k] = j->slots[i];
        }
    free(j->slots);
    j->slots = slots;
    j->cap = cap;
    return 0;
}

int serve_journal_has(const serve_journal *j, const char *uid)
{
    if (!j->cap)
        return 0;
    for (size_t k = hash(uid) & (j->cap - 1); j->slots[k]; k = (k + 1) & (j->cap - 1))
        if (!strcmp(j->slots[k], uid))
            return 1;
    return 0;
}

/* Into memory only. */
static int remember(serve_journal *j, const char *uid)
{
    if (serve_journal_has(j, uid))
        return 0;
    if ((j->count + 1) * 2 > j->cap && grow(j) != 0)
        return -1;
    char *copy = strdup(uid);
    if (!copy)
        return -1;
    size_t k = hash(uid) & (j->cap - 1);
    while (j->slots[k])
        k = (k + 1) & (j->cap - 1);
    j->slots[k] = copy;
    j->count++;
    return 0;
}

faceless_status serve_journal_open(faceless_ctx *ctx, const char *path, serve_journal **out)
{
    serve_journal *j = calloc(1, sizeof *j);
    if (!j)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
    j->fd = -1;
    FILE *f = fopen(path, "r");
    if (f) {
        char line[128];
        while (fgets(line, sizeof line, f)) {
            size_t len = strlen(line);
            if (len < 2 || line[len - 1] != '\n')
                continue; /* cut by a crash: not acknowledged as far as we know */
            line[len - 1] = '\0';
            if (remember(j, line) != 0) {
                fclose(f);
                serve_journal_close(j);
                return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory", path);
            }
        }
        fclose(f);
    }
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        faceless_status st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot open: %s", path, strerror(errno));
        serve_journal_close(j);
        return st;
    }
    /* A line cut by a crash is cut off, so the next one starts clean and
     * the cut part never reads as a UID. */
    off_t end = lseek(j->fd, 0, SEEK_END), keep = end;
    char c = '\n';
    while (keep > 0 && pread(j->fd, &c, 1, keep - 1) == 1 && c != '\n')
        keep--;
    if (keep < end && (ftruncate(j->fd, keep) != 0 || fdatasync(j->fd) != 0)) {
        faceless_status st = ctx_fail(ctx, FACELESS_ERR_OUTPUT, "%s: cannot write: %s", path, strerror(errno));
        serve_journal_close(j);
        return st;
    }
    *out = j;
    return FACELESS_OK;
}

int serve_journal_add(serve_journal *j, const char *uid)
{
    char line[80];
    int len = snprintf(line, sizeof line, "%s\n", uid);
    if (len <= 0 || (size_t)len >= sizeof line)
        return -1;
    /* One write per line (O_APPEND): a crash cuts at most this line. */
    if (write(j->fd, line, (size_t)len) != len || fdatasync(j->fd) != 0)
        return -1;
    return remember(j, uid);
}

size_t serve_journal_count(const serve_journal *j) { return j ? j->count : 0; }

void serve_journal_close(serve_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    for (size_t i = 0; i < j->cap; i++)
        free(j->slots[i]);
    free(j->slots);
    free(j);
}
