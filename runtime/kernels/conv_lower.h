/* conv_lower.h — lowering of 2-D convolutions to GEMM: im2col / col2im over groups of images,
 * layout moves between NCHW and channel-major, and the reusable scratch memory they need.
 *
 * One geometry describes a convolution in its conv2d direction: the "image" side is the big
 * tensor (N, C, H, W) a kernel slides over, the "column" side is (N, F, OH, OW) with
 *   OH = (H + 2*ph - KH) / stride + 1.
 * conv2d maps image -> column side, conv_transpose2d maps column -> image side, and the weight
 * gradient pairs the two. For a group of nb images starting at n0, the column matrix is
 *   col (C*KH*KW, nb*OH*OW): row (c, kh, kw), column (image, oh, ow),
 * so a whole group is one GEMM with the (F, C*KH*KW) weight. The functions here are serial;
 * conv_groups.c runs groups on several threads. */
#ifndef NN_CONV_LOWER_H
#define NN_CONV_LOWER_H
#include <stddef.h>
#include "nn/graph.h"

typedef struct {
    int n;                 /* images */
    int c, h, w;           /* image side: channels, height, width */
    int f, oh, ow;         /* column side: channels, height, width */
    int kh, kw, stride, ph, pw;
} nn_conv_geom;

static inline size_t nn_conv_krows(const nn_conv_geom *g) { return (size_t)g->c * g->kh * g->kw; }
static inline size_t nn_conv_in_plane(const nn_conv_geom *g) { return (size_t)g->h * g->w; }
static inline size_t nn_conv_out_plane(const nn_conv_geom *g) { return (size_t)g->oh * g->ow; }

/* col (C*KH*KW, nb*OH*OW) from images n0 .. n0+nb-1 of img (N, C, H, W); zeros for padding. */
void nn_conv_im2col(const nn_conv_geom *g, const float *img, int n0, int nb, float *col);
/* Images n0 .. n0+nb-1 of img (N, C, H, W) = bias[c] (or 0 when bias is NULL) plus the sum of
 * every col entry that im2col would have read from that pixel (the adjoint of im2col). The
 * entries of col that fall in the padding may be overwritten with zeros (col is scratch). */
void nn_conv_col2im(const nn_conv_geom *g, float *col, int n0, int nb, const float *bias, float *img);
/* (nb, ch, plane) -> (ch, nb*plane) */
void nn_conv_to_chan_major(const float *src, int nb, int ch, size_t plane, float *dst);
/* (ch, nb*plane) -> (nb, ch, plane), adding bias[ch] unless bias is NULL; src may be dst
 * when nb == 1 (the layouts coincide: the bias is added in place). */
void nn_conv_from_chan_major(const float *src, int nb, int ch, size_t plane, const float *bias, float *dst);

/* Scratch of at least floats floats for the calling thread, kept and reused by later calls
 * (grown when too small, freed when the thread ends); NULL when out of memory. Callers use it
 * only between their own calls into this module, so nested use is not possible. */
float *nn_conv_scratch(size_t floats);
/* The same with a second, independent buffer per thread (slot 1; slot 0 is nn_conv_scratch's):
 * for data an op keeps across its whole nn_conv_run call on the calling thread (e.g. transformed
 * weights), while the groups use slot 0 of the same thread. */
float *nn_conv_scratch_slot(int slot, size_t floats);

/* ---- running an op over groups of images (conv_groups.c) ----
 * A job processes images [n0, n0+nb) into its node with `scratch` (per_image*nb floats of the
 * thread's own memory). Ops that reduce over images (the weight gradient) also get `acc`
 * (acc_floats floats, summed into the node at the end): first is 1 for the first group of a
 * run of groups summed into that acc, whose result must overwrite acc rather than add to it. */
typedef struct nn_conv_job nn_conv_job;
typedef void (*nn_conv_group_fn)(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first);
/* Called once images [n0, n0+nb) of node n's output are written (e.g. to apply an activation
 * while they are in cache). */
typedef void (*nn_conv_outputs_fn)(const nn_node *n, int n0, int nb);
struct nn_conv_job {
    nn_conv_geom geom;
    nn_graph *g;
    nn_node *node;
    size_t per_image;      /* scratch floats per image of a group */
    size_t acc_floats;     /* 0, or the node's size when groups are summed */
    double flops;          /* the whole op's GEMM work: decides whether threads pay */
    nn_conv_group_fn fn;
    /* optional (zero when unused): */
    size_t chunk_floats;   /* target scratch floats per group; 0: nn_conv_chunk_floats */
    const float *weights;  /* the weight as fn wants it (e.g. Winograd-transformed), read-only */
    float *acc_out;        /* where the summed acc ends; NULL: the node's data */
    nn_conv_outputs_fn on_outputs;   /* run by fn after each group's outputs, if not NULL */
};
/* Runs every group: on the pool (runs of groups taken by whichever thread is free, each group
 * with single-threaded GEMMs), when the op is big enough and has enough images; otherwise in
 * order on the calling thread (whose GEMMs may use every core). Returns 0, or -1 if no scratch
 * memory could be had. */
int nn_conv_run(const nn_conv_job *job);
/* C = A op B for a group: inside a threaded run a plain single-threaded GEMM, else through
 * nn_sgemm (parallel.h) so a big GEMM gets the cores when that pays. */
void nn_conv_gemm(int trans_a, int trans_b, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                  float beta, float *c, int ldc);

/* ---- direct stride-1 conv2d forward for few taps per output (conv_direct.c) ----
 * For C*KH*KW <= NN_CONV_DIRECT_TAPS, where a GEMM over im2col columns would have a tiny inner
 * dimension. Scratch: nn_conv_direct_floats(g) floats per group (not per image). */
#define NN_CONV_DIRECT_TAPS 36
int nn_conv_direct_fits(const nn_conv_geom *g);
size_t nn_conv_direct_floats(const nn_conv_geom *g);
/* y (N, F, OH, OW) images [n0, n0+nb) = conv(x, w) + bias (bias may be NULL) */
void nn_conv_direct_forward(const nn_conv_geom *g, const float *x, const float *w, const float *bias, int n0, int nb,
                            float *scratch, float *y);

/* ---- the same followed by its activation and 2x2 max pooling, stride 2 (conv_direct_pool.c) ----
 * The conv2d_maxpool op: the full-resolution output is only ever made in cache. */
typedef struct {
    const nn_conv_geom *geom;    /* the convolution (nn_conv_direct_fits), OH and OW >= 2 */
    const float *x, *w, *bias;   /* x (N, C, H, W), w (F, C, KH, KW), bias (F) or NULL */
    const nn_attrs *act;         /* the activation (fused_act.h), kind in act->i[act_slot] */
    int act_slot;
} nn_conv_direct_pool;
/* scratch floats per group (not per image) for both functions below */
size_t nn_conv_direct_pool_floats(const nn_conv_geom *g);
/* Images [n0, n0+nb) of y (N, F, OH/2, OW/2) = maxpool2x2(act(conv(x, w) + bias)). */
void nn_conv_direct_pool_forward(const nn_conv_direct_pool *p, int n0, int nb, float *scratch, float *y);
/* dw (F, C, KH, KW) = (first) or += the weight gradient over images [n0, n0+nb) of the
 * convolution whose output gradient is gp (N, F, OH/2, OW/2) placed at each window's maximum
 * (max_route's argmax; the activation, increasing, does not move it) and 0 elsewhere. */
void nn_conv_direct_pool_wgrad(const nn_conv_direct_pool *p, const float *gp, int n0, int nb, float *scratch, float *dw,
                               int first);

/* ---- a convolution's gradients through a 2x2 max pool with stride 2 (conv_pooled.c) ----
 * For a convolution whose output z (N, F, OH, OW) reaches the loss only through such a pool,
 * from the pooled gradient h (N, F, OH/2, OW/2): the products of each window's maximum only
 * (max_route's argmax), a quarter of the dense gradients' work, without the routed gradient. */
#define NN_CONV_POOLED_MAX_TAPS 49   /* KH*KW: kernels up to 7x7 */
typedef struct {
    const nn_conv_geom *geom;   /* the convolution, in conv2d terms; KH*KW <= NN_CONV_POOLED_MAX_TAPS */
    const float *z, *h;
} nn_conv_pooled;
/* Whether these beat the dense gradients for a convolution from `channels` input channels with a
 * KH x KW kernel: the channels fill more than half of their blocks of 16 (measured on the
 * 2-D-code autoencoder, 1 and 4 input channels made both layers slower: 1.55 -> 1.9-2.1 s an
 * epoch) and the kernel has at most NN_CONV_POOLED_MAX_TAPS taps. */
int nn_conv_pooled_pays(int channels, int kh, int kw);
/* scratch floats per group (not per image) for both gradients */
size_t nn_conv_pooled_floats(const nn_conv_geom *g);
/* wt = w (F, C, KH, KW) laid out for nn_conv_pooled_dgrad, of nn_conv_pooled_weights_floats */
size_t nn_conv_pooled_weights_floats(const nn_conv_geom *g);
void nn_conv_pooled_weights(const nn_conv_geom *g, const float *w, float *wt);
/* sums (nn_conv_pooled_sums_floats) = (first) or += the weight gradient over images [n0, n0+nb)
 * of x (N, C, H, W), laid out (F, KH*KW, C rounded up to 16); nn_conv_pooled_wgrad_finish
 * moves the total to dw (F, C, KH, KW). */
size_t nn_conv_pooled_sums_floats(const nn_conv_geom *g);
void nn_conv_pooled_wgrad(const nn_conv_pooled *p, const float *x, int n0, int nb, float *scratch, float *sums, int first);
void nn_conv_pooled_wgrad_finish(const nn_conv_geom *g, const float *sums, float *dw);
/* images [n0, n0+nb) of dx (N, C, H, W) = the input gradient, from wt (nn_conv_pooled_weights) */
void nn_conv_pooled_dgrad(const nn_conv_pooled *p, const float *wt, int n0, int nb, float *scratch, float *dx);

/* Target size of one group's scratch in floats. Default 32k floats (128 KB): the column
 * matrix stays in the core's L2 between im2col and the GEMM reading it. Measured on the
 * autoencoder's layers (bench_conv, 2 cores): 1M floats 18.3 ms/step, 128k 16.4, 32k 16.1,
 * 16k 15.8 — most layers then run one image per group, which also skips the layout copies.
 * Tests change it to exercise the grouping. */
extern size_t nn_conv_chunk_floats;

#endif
