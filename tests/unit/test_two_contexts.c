/* Two contexts on two threads at once (faceless.h: "Different contexts may
 * be used from different threads"; issue 17): one de-faces in noise mode
 * (the noise refill plans FFTs), the other registers (the search plans
 * FFTs), both through the public API on a 2 mm copy of Colin27. Each result
 * must equal the one of the same call made alone, byte for byte. Run under
 * helgrind by tests/integration/two_contexts_helgrind.sh, which must report
 * no race: FFTW's planner is shared by the process (core/fft_plan.h). */
#include "faceless.h"
#include "test_util.h"

#include <pthread.h>
#include <string.h>

#define CH2 "/usr/share/mricron/templates/ch2.nii.gz"

typedef struct job {
    const faceless_volume *in;
    int noise; /* 1: noise mode at the identity transform; 0: zero mode, registered */
    faceless_status status;
    faceless_volume *out;
    char error[512];
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_deface_options *o = faceless_deface_options_new();
    j->status = FACELESS_ERR_MEMORY;
    if (ctx && o) {
        /* one OpenMP thread each: the threads here are the test's two */
        faceless_ctx_set_threads(ctx, 1);
        j->status = faceless_deface_options_set(ctx, o, "mode", j->noise ? "noise" : "zero");
        /* Colin27 is in the template's space: identity skips the registration */
        if (j->status == FACELESS_OK && j->noise)
            j->status = faceless_deface_options_set(ctx, o, "transform", "identity");
        if (j->status == FACELESS_OK)
            j->status = faceless_deface_volume(ctx, j->in, o, &j->out, NULL, NULL);
        snprintf(j->error, sizeof j->error, "%s", faceless_ctx_error(ctx));
    }
    faceless_deface_options_free(o);
    faceless_ctx_free(ctx);
    return NULL;
}

/* Every second voxel of frame 0: a 2 mm head, so helgrind finishes in a minute. */
static faceless_volume *half(const faceless_volume *v)
{
    int64_t d[4], h[4];
    faceless_volume_dims(v, d);
    h[0] = d[0] / 2, h[1] = d[1] / 2, h[2] = d[2] / 2, h[3] = 1;
    size_t sz = faceless_dtype_size(faceless_volume_dtype(v));
    unsigned char *buf = malloc((size_t)(h[0] * h[1] * h[2]) * sz);
    if (!buf)
        return NULL;
    const unsigned char *src = faceless_volume_data(v);
    for (int64_t k = 0; k < h[2]; k++)
        for (int64_t j = 0; j < h[1]; j++)
            for (int64_t i = 0; i < h[0]; i++)
                memcpy(buf + (size_t)(i + h[0] * (j + h[1] * k)) * sz,
                       src + (size_t)(2 * i + d[0] * (2 * j + d[1] * 2 * k)) * sz, sz);
    double m[4][4];
    faceless_volume_vox2ras(v, m);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            m[r][c] *= 2.0;
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *out = NULL;
    if (ctx)
        faceless_volume_new(ctx, h, faceless_volume_dtype(v), (const double(*)[4])m, buf, &out);
    faceless_ctx_free(ctx);
    free(buf);
    return out;
}

static int same_voxels(const faceless_volume *a, const faceless_volume *b)
{
    int64_t da[4], db[4];
    faceless_volume_dims(a, da);
    faceless_volume_dims(b, db);
    if (memcmp(da, db, sizeof da) || faceless_volume_dtype(a) != faceless_volume_dtype(b))
        return 0;
    size_t n = (size_t)(da[0] * da[1] * da[2] * da[3]) * faceless_dtype_size(faceless_volume_dtype(a));
    return !memcmp(faceless_volume_data(a), faceless_volume_data(b), n);
}

int main(void)
{
    faceless_ctx *ctx = faceless_ctx_new();
    faceless_volume *full = NULL;
    if (faceless_volume_read(ctx, CH2, &full) != FACELESS_OK) {
        printf("skipped: %s: %s\n", CH2, faceless_ctx_error(ctx));
        faceless_ctx_free(ctx);
        return 77;
    }
    faceless_ctx_free(ctx);
    faceless_volume *head = half(full);
    faceless_volume_free(full);
    CHECK(head != NULL, "no 2 mm copy");
    if (!head)
        return test_finish("test_two_contexts");

    /* alone, one after the other */
    job ref[2] = {{head, 1, 0, NULL, ""}, {head, 0, 0, NULL, ""}};
    run_job(&ref[0]);
    run_job(&ref[1]);
    CHECK(ref[0].status == FACELESS_OK, "noise alone: %s", ref[0].error);
    CHECK(ref[1].status == FACELESS_OK, "registration alone: %s", ref[1].error);
    CHECK(ref[0].out && !same_voxels(ref[0].out, head), "the noise mode changed nothing");

    /* together, on two threads */
    job par[2] = {{head, 1, 0, NULL, ""}, {head, 0, 0, NULL, ""}};
    pthread_t th[2];
    int started[2];
    for (int i = 0; i < 2; i++)
        started[i] = pthread_create(&th[i], NULL, run_job, &par[i]) == 0;
    for (int i = 0; i < 2; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    CHECK(started[0] && started[1], "pthread_create failed");
    for (int i = 0; i < 2; i++) {
        CHECK(par[i].status == ref[i].status, "%s: status %d on a thread, %d alone (%s)", i ? "registration" : "noise",
              (int)par[i].status, (int)ref[i].status, par[i].error);
        CHECK(par[i].out && ref[i].out && same_voxels(par[i].out, ref[i].out),
              "%s: the result on a thread differs from the result alone", i ? "registration" : "noise");
    }
    for (int i = 0; i < 2; i++) {
        faceless_volume_free(ref[i].out);
        faceless_volume_free(par[i].out);
    }
    faceless_volume_free(head);
    return test_finish("test_two_contexts");
}
