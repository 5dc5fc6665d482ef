/* Winograd F(2x2, 3x3) convolutions (see conv_winograd.h).
 *
 * The 1-D F(2, 3) algorithm: outputs y0 = d0 k0 + d1 k1 + d2 k2 and y1 = d1 k0 + d2 k1 + d3 k2
 * from four products
 *   m0 = (d0 - d2) k0,  m1 = (d1 + d2)(k0 + k1 + k2)/2,  m2 = (d2 - d1)(k0 - k1 + k2)/2,
 *   m3 = (d1 - d3) k2,  y0 = m0 + m1 + m2,  y1 = m1 - m2 - m3,
 * i.e. B^T d = (d0-d2, d1+d2, d2-d1, d1-d3), G k = (k0, (k0+k1+k2)/2, (k0-k1+k2)/2, k2) and
 * A^T m = (m0+m1+m2, m1-m2-m3). The 2-D form nests it over rows and columns. The adjoints used
 * by the weight gradient: A g = (g0, g0+g1, g0-g1, -g1) and G^T u = (u0 + (u1+u2)/2,
 * (u1-u2)/2, (u1+u2)/2 + u3).
 *
 * Tiles: output rows 2ty, 2ty+1 and columns 2tx, 2tx+1 read the padded input's rows
 * 2ty .. 2ty+3 and columns 2tx .. 2tx+3; TH = ceil(OH/2), TW = ceil(OW/2). The input plane is
 * copied into a zero-bordered (2TH+2, 2TW+2) plane so every tile is whole; outputs of the
 * partial tiles past OH/OW are dropped (forward) or their gradients are zero (weight gradient).
 * The transforms run over a row of tiles at a time (tx innermost), so they vectorise.
 *
 * Measured (bench_conv, batch 128, forward + dx + dw per step; one core CPU time / two cores
 * wall time): the classifier's 32->64 26x26 layer 100 -> 61 / 51 -> 31 ms, the autoencoder's
 * 16->32 14x14 layer 10.9 -> 6.2 / 5.1 -> 3.0 ms and 32->64 7x7 layer 10.5 -> 7.4 / 5.2 -> 3.7 ms. */
#include "conv_winograd.h"
#include "../core/kernel_isa.h"
#include <string.h>

int nn_conv_winograd = 1;
size_t nn_conv_winograd_tiles = 128;

#define NXI 16   /* positions of a 4x4 transformed tile */

static const float *input_data(nn_graph *g, const nn_node *n, int k) { return g->nodes[n->in[k]].data; }

static int tiles_h(const nn_conv_geom *cg) { return (cg->oh + 1) / 2; }
static int tiles_w(const nn_conv_geom *cg) { return (cg->ow + 1) / 2; }
static size_t tiles_per_image(const nn_conv_geom *cg) { return (size_t)tiles_h(cg) * tiles_w(cg); }
/* Tiles each row's transform computes: TW rounded up to a multiple of 8 (whole 8- or 16-float
 * vectors). Rows are short (4 .. 13 tiles in the benchmark models) and the remainder loop ran
 * scalar, costing more than the vector part (rounding up to 16 instead made the 7x7 layer 20%
 * slower). The extra tiles overrun into the next row's slots, which are written later (rows,
 * then images, then channels go in increasing order), and past the last one into a gap of TAIL
 * floats after each xi block. */
#define VEC_TILES 8
static int tiles_run(const nn_conv_geom *cg) { return (tiles_w(cg) + VEC_TILES - 1) / VEC_TILES * VEC_TILES; }
#define TAIL VEC_TILES
static int plane_w(const nn_conv_geom *cg) { return 2 * tiles_w(cg) + 2; }
/* the padded plane plus the floats the last row's extra tiles read past it */
static size_t plane_floats(const nn_conv_geom *cg)
{
    return (size_t)(2 * tiles_h(cg) + 2) * plane_w(cg) + 2 * (size_t)tiles_run(cg) + 2;
}

/* Below 8 input or output channels the GEMMs are too thin to pay for the transforms: measured
 * (bench_conv, one core) the 1-channel first layers ran 2.3x slower than with im2col. */
#define MIN_CHANNELS 8

int nn_winograd_applies(const nn_conv_geom *cg)
{
    if (nn_conv_winograd == 0 || (nn_conv_winograd == 1 && (cg->c < MIN_CHANNELS || cg->f < MIN_CHANNELS))) return 0;
    return cg->kh == 3 && cg->kw == 3 && cg->stride == 1 && cg->ph >= 0 && cg->ph <= 2 &&
           cg->pw >= 0 && cg->pw <= 2 && cg->oh == cg->h + 2 * cg->ph - 2 && cg->ow == cg->w + 2 * cg->pw - 2 &&
           cg->oh >= 1 && cg->ow >= 1;
}

/* ---- weights ---- */

/* u (4x4) = G k G^T for a 3x3 kernel k (row-major). */
static void kernel_transform(const float k[9], float u[16])
{
    float t[4][3];
    for (int j = 0; j < 3; j++) {
        float k0 = k[j], k1 = k[3 + j], k2 = k[6 + j];
        t[0][j] = k0;
        t[1][j] = 0.5f * (k0 + k1 + k2);
        t[2][j] = 0.5f * (k0 - k1 + k2);
        t[3][j] = k2;
    }
    for (int i = 0; i < 4; i++) {
        u[i * 4 + 0] = t[i][0];
        u[i * 4 + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        u[i * 4 + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        u[i * 4 + 3] = t[i][2];
    }
}

/* U (16, F, C) from w (F, C, 3, 3), or from a conv_transpose2d weight (C, F, 3, 3) read as
 * w'[f][c][i][j] = w[c][f][2-i][2-j]. Once per op call (F*C kernels, small next to the GEMMs). */
static void weights_transform(const float *w, int f, int c, int transposed, float *u)
{
    size_t fc = (size_t)f * c;
    for (int fi = 0; fi < f; fi++)
        for (int ci = 0; ci < c; ci++) {
            float k[9], t[16];
            if (transposed) {
                const float *src = w + ((size_t)ci * f + fi) * 9;
                for (int e = 0; e < 9; e++) k[e] = src[8 - e];
            } else {
                memcpy(k, w + ((size_t)fi * c + ci) * 9, sizeof k);
            }
            kernel_transform(k, t);
            for (int xi = 0; xi < NXI; xi++) u[xi * fc + (size_t)fi * c + ci] = t[xi];
        }
}

/* dk (3x3) = G^T du G for a 4x4 du. */
static void kernel_adjoint(const float du[16], float dk[9])
{
    float t[3][4];
    for (int j = 0; j < 4; j++) {
        float u0 = du[j], u1 = du[4 + j], u2 = du[8 + j], u3 = du[12 + j];
        t[0][j] = u0 + 0.5f * (u1 + u2);
        t[1][j] = 0.5f * (u1 - u2);
        t[2][j] = 0.5f * (u1 + u2) + u3;
    }
    for (int i = 0; i < 3; i++) {
        dk[i * 3 + 0] = t[i][0] + 0.5f * (t[i][1] + t[i][2]);
        dk[i * 3 + 1] = 0.5f * (t[i][1] - t[i][2]);
        dk[i * 3 + 2] = 0.5f * (t[i][1] + t[i][2]) + t[i][3];
    }
}

/* dw (F, C, 3, 3) from dU (16, F, C). */
static void weights_adjoint(const float *du, int f, int c, float *dw)
{
    size_t fc = (size_t)f * c;
    for (size_t e = 0; e < fc; e++) {
        float t[16];
        for (int xi = 0; xi < NXI; xi++) t[xi] = du[xi * fc + e];
        kernel_adjoint(t, dw + e * 9);
    }
}

/* ---- tile transforms, a row of tiles per vector loop ---- */

/* V of a padded plane (width wp): tile (ty, tx) reads pad[(2ty+i)*wp + 2tx + j] and position xi
 * goes to dst[xi*xs + ty*tw + tx]; each of the th rows computes run (tiles_run) tiles. One call
 * per plane rather than per row: the call's set-up of 20 pointers showed in profiles next to a
 * row's single vector pass. */
static void input_tiles(const float *pad, int wp, int th, int tw, int run, float *dst, size_t xs)
{
    for (int ty = 0; ty < th; ty++, pad += 2 * (size_t)wp, dst += tw) {
        const float *r0 = pad, *r1 = pad + wp, *r2 = pad + 2 * wp, *r3 = pad + 3 * wp;
        _Pragma("omp simd")
        for (int tx = 0; tx < run; tx++) {
            float e[4][4];   /* B^T d: combinations of rows */
            for (int j = 0; j < 4; j++) {
                float d0 = r0[2 * tx + j], d1 = r1[2 * tx + j], d2 = r2[2 * tx + j], d3 = r3[2 * tx + j];
                e[0][j] = d0 - d2;
                e[1][j] = d1 + d2;
                e[2][j] = d2 - d1;
                e[3][j] = d1 - d3;
            }
            for (int i = 0; i < 4; i++) {   /* (B^T d) B: the same on columns */
                dst[(i * 4 + 0) * xs + tx] = e[i][0] - e[i][2];
                dst[(i * 4 + 1) * xs + tx] = e[i][1] + e[i][2];
                dst[(i * 4 + 2) * xs + tx] = e[i][2] - e[i][1];
                dst[(i * 4 + 3) * xs + tx] = e[i][1] - e[i][3];
            }
        }
    }
}

/* The 2x2 outputs of TW tiles from M (position xi at m[xi*xs + tx]) into two rows of 2*TW. */
static void output_tile_row(const float *m, size_t xs, int tw, float *row0, float *row1)
{
    _Pragma("omp simd")
    for (int tx = 0; tx < tw; tx++) {
        float s[2][4];   /* A^T m: combinations of rows */
        for (int j = 0; j < 4; j++) {
            float m0 = m[j * xs + tx], m1 = m[(4 + j) * xs + tx], m2 = m[(8 + j) * xs + tx], m3 = m[(12 + j) * xs + tx];
            s[0][j] = m0 + m1 + m2;
            s[1][j] = m1 - m2 - m3;
        }
        row0[2 * tx] = s[0][0] + s[0][1] + s[0][2];
        row0[2 * tx + 1] = s[0][1] - s[0][2] - s[0][3];
        row1[2 * tx] = s[1][0] + s[1][1] + s[1][2];
        row1[2 * tx + 1] = s[1][1] - s[1][2] - s[1][3];
    }
}

/* A g A^T of TW 2x2 gradient blocks (rows g0, g1 of 2*TW floats) into dst[xi*xs + tx]. */
static void grad_tile_row(const float *g0, const float *g1, int tw, float *dst, size_t xs)
{
    _Pragma("omp simd")
    for (int tx = 0; tx < tw; tx++) {
        float h[4][2];   /* A g: combinations of the two rows */
        for (int j = 0; j < 2; j++) {
            float a = g0[2 * tx + j], b = g1[2 * tx + j];
            h[0][j] = a;
            h[1][j] = a + b;
            h[2][j] = a - b;
            h[3][j] = -b;
        }
        for (int i = 0; i < 4; i++) {   /* (A g) A^T: the same on columns */
            dst[(i * 4 + 0) * xs + tx] = h[i][0];
            dst[(i * 4 + 1) * xs + tx] = h[i][0] + h[i][1];
            dst[(i * 4 + 2) * xs + tx] = h[i][0] - h[i][1];
            dst[(i * 4 + 3) * xs + tx] = -h[i][1];
        }
    }
}

/* ---- whole groups of images ---- */

/* The interior of the padded plane (its zero border stays) = plane (H, W). */
static void plane_fill(const nn_conv_geom *cg, const float *src, float *pad)
{
    int wp = plane_w(cg);
    float *row = pad + (size_t)cg->ph * wp + cg->pw;
    for (int i = 0; i < cg->h; i++, row += wp, src += cg->w) {
        _Pragma("omp simd")
        for (int j = 0; j < cg->w; j++) row[j] = src[j];
    }
}

/* Without padding and with even OH and OW, every tile lies inside the input plane (H = 2TH+2,
 * W = 2TW+2), so the tiles read the plane in place rather than a padded copy; the extra tiles
 * of the last row read up to `over` floats past the plane's end, which must still be in x.
 * (Saves a copy per plane: about 1 ms per call on the classifier's 26x26 layer.) */
static int reads_in_place(const nn_conv_geom *cg, size_t plane_end, size_t over)
{
    return cg->ph == 0 && cg->pw == 0 && cg->oh % 2 == 0 && cg->ow % 2 == 0 &&
           plane_end + over <= (size_t)cg->n * cg->c * cg->h * cg->w;
}

/* V (16, C, T) of images n0 .. n0+nb-1 of x (N, C, H, W), xi blocks xs floats apart; pad: a
 * plane_floats scratch. */
static void input_transform(const nn_conv_geom *cg, const float *x, int n0, int nb, float *pad, float *v, size_t xs)
{
    int th = tiles_h(cg), tw = tiles_w(cg), run = tiles_run(cg), wp = plane_w(cg);
    size_t t_all = (size_t)nb * th * tw, hw = (size_t)cg->h * cg->w, over = 2 * (size_t)(run - tw) + 2;
    memset(pad, 0, plane_floats(cg) * sizeof(float));
    for (int c = 0; c < cg->c; c++)
        for (int b = 0; b < nb; b++) {
            size_t at = ((size_t)(n0 + b) * cg->c + c) * hw;
            float *dst = v + (size_t)c * t_all + (size_t)b * th * tw;
            if (reads_in_place(cg, at + hw, over)) {
                input_tiles(x + at, cg->w, th, tw, run, dst, xs);
                continue;
            }
            plane_fill(cg, x + at, pad);
            input_tiles(pad, wp, th, tw, run, dst, xs);
        }
}

/* One output row (OW floats) = row + bias. */
static void store_row(const float *row, int ow, float bias, float *y)
{
    _Pragma("omp simd")
    for (int j = 0; j < ow; j++) y[j] = row[j] + bias;
}

/* Images n0 .. n0+nb-1 of y (N, F, OH, OW) from M (16, F, T) (xi blocks xs floats apart),
 * cropping the partial tiles; rows: 4*tiles_run floats of scratch. */
static void output_transform(const nn_conv_geom *cg, const float *m, size_t xs, int n0, int nb, const float *bias,
                             float *rows, float *y)
{
    int th = tiles_h(cg), tw = tiles_w(cg), run = tiles_run(cg);
    size_t t_all = (size_t)nb * th * tw, ohw = (size_t)cg->oh * cg->ow;
    float *row0 = rows, *row1 = rows + 2 * run;
    for (int b = 0; b < nb; b++)
        for (int f = 0; f < cg->f; f++) {
            const float *src = m + (size_t)f * t_all + (size_t)b * th * tw;
            float *plane = y + ((size_t)(n0 + b) * cg->f + f) * ohw, add = bias ? bias[f] : 0.0f;
            for (int ty = 0; ty < th; ty++) {
                output_tile_row(src + (size_t)ty * tw, xs, run, row0, row1);
                store_row(row0, cg->ow, add, plane + (size_t)2 * ty * cg->ow);
                if (2 * ty + 1 < cg->oh) store_row(row1, cg->ow, add, plane + (size_t)(2 * ty + 1) * cg->ow);
            }
        }
}

/* dst (2*run floats) = src (OW floats), zero past OW; or all zeros when src is NULL. */
static void load_grad_row(const float *src, int ow, int run, float *dst)
{
    int k = src ? ow : 0;
    _Pragma("omp simd")
    for (int j = 0; j < k; j++) dst[j] = src[j];
    for (int j = k; j < 2 * run; j++) dst[j] = 0.0f;
}

/* (A g A^T) (16, F, T) of images n0 .. n0+nb-1 of gy (N, F, OH, OW), zero past its edge, xi
 * blocks xs floats apart; rows: 4*tiles_run floats of scratch. With even OH and OW every tile
 * is whole and the rows are read in place (the extra tiles read past the plane, see
 * reads_in_place); otherwise they are copied with zeros past the edge. */
static void grad_transform(const nn_conv_geom *cg, const float *gy, int n0, int nb, float *rows, float *dst, size_t xs)
{
    int th = tiles_h(cg), tw = tiles_w(cg), run = tiles_run(cg), ow = cg->ow;
    size_t t_all = (size_t)nb * th * tw, ohw = (size_t)cg->oh * ow, total = (size_t)cg->n * cg->f * ohw;
    int even = cg->oh % 2 == 0 && ow % 2 == 0;
    float *g0 = rows, *g1 = rows + 2 * run;
    for (int f = 0; f < cg->f; f++)
        for (int b = 0; b < nb; b++) {
            size_t at = ((size_t)(n0 + b) * cg->f + f) * ohw;
            const float *plane = gy + at;
            float *out = dst + (size_t)f * t_all + (size_t)b * th * tw;
            if (even && at + ohw + 2 * (size_t)(run - tw) <= total) {
                for (int ty = 0; ty < th; ty++)
                    grad_tile_row(plane + (size_t)2 * ty * ow, plane + (size_t)(2 * ty + 1) * ow, run,
                                  out + (size_t)ty * tw, xs);
                continue;
            }
            for (int ty = 0; ty < th; ty++) {
                load_grad_row(plane + (size_t)2 * ty * ow, ow, run, g0);
                load_grad_row(2 * ty + 1 < cg->oh ? plane + (size_t)(2 * ty + 1) * ow : NULL, ow, run, g1);
                grad_tile_row(g0, g1, run, out + (size_t)ty * tw, xs);
            }
        }
}

/* Group scratch, for either op: V (16, C, T), then M or the transformed gradients (16, F, T),
 * each xi block followed by a gap of TAIL floats (see tiles_run); then the padded plane and
 * 4*tiles_run floats of rows. */
typedef struct {
    float *v, *m, *pad, *rows;
    size_t t;          /* tiles in the group */
    size_t vs, ms;     /* floats from one xi block of V (of M) to the next */
} group_mem;

static group_mem group_carve(const nn_conv_geom *cg, int nb, float *scratch)
{
    group_mem s;
    s.t = (size_t)nb * tiles_per_image(cg);
    s.vs = (size_t)cg->c * s.t + TAIL;
    s.ms = (size_t)cg->f * s.t + TAIL;
    s.v = scratch;
    s.m = s.v + NXI * s.vs;
    s.pad = s.m + NXI * s.ms;
    s.rows = s.pad + plane_floats(cg);
    for (int xi = 0; xi < NXI; xi++)   /* the gaps of M are read as extra tiles */
        memset(s.m + xi * s.ms + s.ms - TAIL, 0, TAIL * sizeof(float));
    return s;
}

static size_t fixed_floats(const nn_conv_geom *cg)
{
    return NXI * 2 * (size_t)TAIL + plane_floats(cg) + 4 * (size_t)tiles_run(cg);
}

/* y of images n0 .. n0+nb-1: V, then 16 GEMMs M[xi] = U[xi] V[xi], then the outputs. */
static void forward_group_body(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    const nn_conv_geom *cg = &job->geom;
    const nn_node *n = job->node;
    (void)acc, (void)first;
    group_mem s = group_carve(cg, nb, scratch);
    int f = cg->f, c = cg->c, t = (int)s.t;
    input_transform(cg, input_data(job->g, n, 0), n0, nb, s.pad, s.v, s.vs);
    for (int xi = 0; xi < NXI; xi++)
        nn_conv_gemm(0, 0, f, t, c, job->weights + (size_t)xi * f * c, c, s.v + xi * s.vs, t, 0.0f, s.m + xi * s.ms, t);
    output_transform(cg, s.m, s.ms, n0, nb, n->n_in == 3 ? input_data(job->g, n, 2) : NULL, s.rows, n->data);
    if (job->on_outputs) job->on_outputs(n, n0, nb);
}

/* dU (+)= the group's (A g A^T)[xi] V[xi]^T for every xi. */
static void wgrad_group_body(const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first)
{
    const nn_conv_geom *cg = &job->geom;
    const nn_node *n = job->node;
    group_mem s = group_carve(cg, nb, scratch);
    int f = cg->f, c = cg->c, t = (int)s.t;
    input_transform(cg, input_data(job->g, n, 0), n0, nb, s.pad, s.v, s.vs);
    grad_transform(cg, input_data(job->g, n, 1), n0, nb, s.rows, s.m, s.ms);
    for (int xi = 0; xi < NXI; xi++)
        nn_conv_gemm(0, 1, f, c, t, s.m + xi * s.ms, t, s.v + xi * s.vs, t, first ? 0.0f : 1.0f,
                     acc + (size_t)xi * f * c, c);
}

/* Both group functions compiled for every instruction set, their transforms inlined. */
#define GROUP_FN_PER_ISA(name)                                                                               \
    NN_ISA_FN(static, name, name##_body, (const nn_conv_job *job, int n0, int nb, float *scratch, float *acc, int first), \
              (job, n0, nb, scratch, acc, first))
GROUP_FN_PER_ISA(forward_group)
GROUP_FN_PER_ISA(wgrad_group)

/* A job over cg's images with group sizes from nn_conv_winograd_tiles; its flops are the
 * direct convolution's (they decide whether threads pay). */
static nn_conv_job winograd_job(nn_graph *g, nn_node *n, const nn_conv_geom *cg, nn_conv_group_fn fn)
{
    size_t per_tile = NXI * (size_t)(cg->c + cg->f), fixed = fixed_floats(cg);
    double flops = 2.0 * cg->n * (double)cg->f * cg->c * 9.0 * cg->oh * cg->ow;
    return (nn_conv_job){.geom = *cg, .g = g, .node = n, .per_image = per_tile * tiles_per_image(cg) + fixed,
                         .flops = flops, .fn = fn,
                         .chunk_floats = per_tile * (nn_conv_winograd_tiles ? nn_conv_winograd_tiles : 1) + fixed};
}

int nn_winograd_conv2d(nn_graph *g, nn_node *n, const nn_conv_geom *cg, const float *w, int transposed,
                       nn_conv_outputs_fn on_outputs)
{
    float *u = nn_conv_scratch_slot(1, NXI * (size_t)cg->f * cg->c);
    if (!u) return -1;
    weights_transform(w, cg->f, cg->c, transposed, u);
    nn_conv_job job = winograd_job(g, n, cg, forward_group);
    job.weights = u;
    job.on_outputs = on_outputs;
    return nn_conv_run(&job);
}

int nn_winograd_wgrad(nn_graph *g, nn_node *n, const nn_conv_geom *cg)
{
    size_t uf = NXI * (size_t)cg->f * cg->c;
    float *du = nn_conv_scratch_slot(1, uf);
    if (!du) return -1;
    nn_conv_job job = winograd_job(g, n, cg, wgrad_group);
    job.acc_floats = uf;
    job.acc_out = du;
    if (nn_conv_run(&job) < 0) return -1;
    weights_adjoint(du, cg->f, cg->c, n->data);
    return 0;
}
