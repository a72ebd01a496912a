/* fft_plan: making and destroying FFTW plans, for every module (the
 * registration's search, src/register/reg_search.c; the noise refill,
 * src/mask/noise.c).
 *
 * Why one place: FFTW's planner is not thread-safe (FFTW manual, "Thread
 * safety": only fftw_execute is), and faceless.h promises that different
 * contexts may run on different threads, so two de-faces in one process
 * (a service, Python threads) may plan at the same time. Every plan is made
 * and destroyed here, under one process-wide mutex: the one piece of
 * process state in libfaceless, since the planner it guards is FFTW's own
 * process state. Executing a plan (fftwf_execute*) needs no lock.
 *
 * Plans are single-threaded FFTW_ESTIMATE plans: deterministic, so results
 * do not depend on timing or on the thread count. */
#ifndef FACELESS_CORE_FFT_PLAN_H
#define FACELESS_CORE_FFT_PLAN_H

#include <fftw3.h>

/* Real-to-complex and complex-to-real 3D plans of n0 x n1 x n2 (n2 varies
 * fastest), as fftwf_plan_dft_r2c_3d / _c2r_3d with FFTW_ESTIMATE; NULL when
 * FFTW cannot plan. Thread-safe. */
fftwf_plan fft_plan_r2c_3d(int n0, int n1, int n2, float *in, fftwf_complex *out);
fftwf_plan fft_plan_c2r_3d(int n0, int n1, int n2, fftwf_complex *in, float *out);

/* fftwf_destroy_plan under the same lock; NULL is fine. Thread-safe. */
void fft_plan_destroy(fftwf_plan p);

#endif
