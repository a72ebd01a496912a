/* render_pngdiff A.png B.png MAX_MEAN MAX_FRACTION: compares two pictures of
 * the same size. Prints the mean absolute difference per channel (0-255) and
 * the fraction of pixels where some channel differs by more than 32; exits 1
 * when either is above its limit (or the sizes differ), 0 otherwise. */
#include "support/png_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *load(const char *path, unsigned *w, unsigned *h) { return png_load_rgb("render_pngdiff", path, w, h); }

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: render_pngdiff A.png B.png MAX_MEAN MAX_FRACTION\n");
        return 2;
    }
    unsigned wa, ha, wb, hb;
    unsigned char *a = load(argv[1], &wa, &ha), *b = load(argv[2], &wb, &hb);
    if (!a || !b)
        return 2;
    if (wa != wb || ha != hb) {
        printf("sizes differ: %ux%u vs %ux%u\n", wa, ha, wb, hb);
        return 1;
    }
    double sum = 0.0;
    size_t big = 0, n = (size_t)wa * ha;
    for (size_t i = 0; i < n; i++) {
        int worst = 0;
        for (int c = 0; c < 3; c++) {
            int d = abs((int)a[3 * i + c] - (int)b[3 * i + c]);
            sum += d;
            worst = d > worst ? d : worst;
        }
        big += worst > 32;
    }
    double mean = sum / (3.0 * n), frac = (double)big / n;
    double max_mean = atof(argv[3]), max_frac = atof(argv[4]);
    int ok = mean <= max_mean && frac <= max_frac;
    printf("%s mean abs diff %.3f (limit %g), pixels off by >32: %.4f%% (limit %g%%)\n", ok ? "ok" : "FAIL", mean,
           max_mean, 100.0 * frac, 100.0 * max_frac);
    free(a);
    free(b);
    return ok ? 0 : 1;
}
