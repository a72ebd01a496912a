/* fft_plan: see fft_plan.h. */
#include "core/fft_plan.h"

#include <pthread.h>

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

fftwf_plan fft_plan_r2c_3d(int n0, int n1, int n2, float *in, fftwf_complex *out)
{
    pthread_mutex_lock(&planner_lock);
    fftwf_plan p = fftwf_plan_dft_r2c_3d(n0, n1, n2, in, out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    return p;
}

fftwf_plan fft_plan_c2r_3d(int n0, int n1, int n2, fftwf_complex *in, float *out)
{
    pthread_mutex_lock(&planner_lock);
    fftwf_plan p = fftwf_plan_dft_c2r_3d(n0, n1, n2, in, out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    return p;
}

void fft_plan_destroy(fftwf_plan p)
{
    if (!p)
        return;
    pthread_mutex_lock(&planner_lock);
    fftwf_destroy_plan(p);
    pthread_mutex_unlock(&planner_lock);
}
