/* render_silhouette A.png B.png N_VIEWS MIN_IOU MIN_CORR: compares two rows
 * of N_VIEWS square views (as `faceless render --no-labels` writes them: views
 * side by side, 4 pixels apart, on black) drawn by two engines. Per view it
 * prints the overlap of the heads' silhouettes (intersection over union of
 * the non-black pixels) and the correlation of the grey levels over the
 * pixels both engines drew: the shading of the facial relief (eyes, nose,
 * brow) correlates when both show the same surface. Exits 1 when a view's
 * overlap is below MIN_IOU or its correlation below MIN_CORR, or the sizes
 * differ; 0 otherwise. */
#include <math.h>
#include "support/png_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAP 4
#define FOREGROUND 8 /* a channel above this: something was drawn */

static unsigned char *load(const char *path, unsigned *w, unsigned *h) { return png_load_rgb("render_silhouette", path, w, h); }

static int drawn(const unsigned char *p) { return p[0] > FOREGROUND || p[1] > FOREGROUND || p[2] > FOREGROUND; }

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: render_silhouette A.png B.png N_VIEWS MIN_IOU MIN_CORR\n");
        return 2;
    }
    unsigned wa, ha, wb, hb;
    unsigned char *a = load(argv[1], &wa, &ha), *b = load(argv[2], &wb, &hb);
    int nv = atoi(argv[3]);
    double min_iou = atof(argv[4]), min_corr = atof(argv[5]);
    if (!a || !b || nv < 1)
        return 2;
    if (wa != wb || ha != hb || (int)wa != nv * (int)ha + (nv - 1) * GAP) {
        printf("FAIL: sizes %ux%u and %ux%u are not both a row of %d views\n", wa, ha, wb, hb, nv);
        return 1;
    }
    const int size = (int)ha;
    int fail = 0;
    for (int v = 0; v < nv; v++) {
        long both = 0, either = 0;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                size_t i = 3 * ((size_t)y * wa + (size_t)v * (size + GAP) + x);
                int da = drawn(a + i), db = drawn(b + i);
                either += da || db;
                if (!(da && db))
                    continue;
                both++;
                double ga = (a[i] + a[i + 1] + a[i + 2]) / 3.0, gb = (b[i] + b[i + 1] + b[i + 2]) / 3.0;
                sa += ga;
                sb += gb;
                saa += ga * ga;
                sbb += gb * gb;
                sab += ga * gb;
            }
        double iou = either ? (double)both / either : 0.0, corr = 0.0;
        if (both > 1) {
            double ma = sa / both, mb = sb / both;
            double va = saa / both - ma * ma, vb = sbb / both - mb * mb;
            corr = va > 0 && vb > 0 ? (sab / both - ma * mb) / sqrt(va * vb) : 0.0;
        }
        int ok = iou >= min_iou && corr >= min_corr;
        fail |= !ok;
        printf("%s view %d: silhouette overlap %.4f (min %g), grey-level correlation %.4f (min %g)\n",
               ok ? "ok" : "FAIL", v, iou, min_iou, corr, min_corr);
    }
    free(a);
    free(b);
    return fail;
}
