/* Minimal test helpers: CHECK records a failure with file:line and goes on;
 * test_finish prints "N passed, N failed" and returns the exit code. */
#ifndef FACELESS_TEST_UTIL_H
#define FACELESS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (cond) {                                                                                          \
            test_passed++;                                                                                   \
        } else {                                                                                             \
            test_failed++;                                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                                    \
            fputc('\n', stderr);                                                                             \
        }                                                                                                    \
    } while (0)

static inline int test_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed ? 1 : 0;
}

/* The shared data folder, or NULL (with a message) when absent. */
static inline const char *test_data_dir(void)
{
    const char *d = getenv("FACELESS_DATA");
    FILE *f = NULL;
    if (d) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/MANIFEST.tsv", d);
        f = fopen(probe, "r");
    }
    if (!f) {
        printf("skipped: ../shared/data (FACELESS_DATA) is absent\n");
        return NULL;
    }
    fclose(f);
    return d;
}

#endif
