/* gemm_pack_cache.h — a weight's packed panels (gemm_panel.h), kept while a plan runs.
 *
 * The panel GEMM packs op(B) on every call. A layer's weight is op(B) of several products in
 * one step, in the same layout: WGAN-GP's critic runs forward on real, fake and interpolated
 * points, then backward twice, so each of its weights was packed 3-6 times per step, each time
 * the same. A parameter cannot change while a plan runs (the optimizer and every other writer
 * of weights run between plan runs), so inside nn_plan_run the panels of a B the caller marks
 * constant (nn_gemm_epilogue.b_constant) are packed by the first product and reused by the rest.
 * When the run ends every entry is forgotten; the buffers stay for the next run.
 *
 * One thread at a time owns the cache (the first to open it); a plan run on another thread
 * meanwhile, or a GEMM on a worker, packs as before. Only the owner looks entries up, so the
 * lookups need no lock; the pool's threads fill an entry's panels, each its own columns. */
#ifndef NN_GEMM_PACK_CACHE_H
#define NN_GEMM_PACK_CACHE_H
#include <stddef.h>

/* nn_plan_run brackets its ops with these; nested pairs are counted. */
void nn_gemm_cache_open(void);
void nn_gemm_cache_close(void);

/* The panels of all of op(B) (B b, rows ldb apart, transposed when trans_b; op(B) (k, n)), or
 * NULL when this thread has no open cache or there is no room. *ready says whether they hold
 * op(B) already; if not, the caller packs every panel into them and then calls
 * nn_gemm_cache_filled. Panel p (columns from j0 = p NN_PANEL) starts at j0 k floats. */
float *nn_gemm_cache_panels(const float *b, int trans_b, int ldb, int k, int n, int *ready);
void nn_gemm_cache_filled(const float *panels);

#endif
