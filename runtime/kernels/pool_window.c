/* Separable window reductions (see pool_window.h). Row pass: tv[(r - r0) * tw + c] reduces
 * input row r over the k columns of output column ow0 + c; column pass: reduces tv over the
 * k rows of each output row. */
#include "pool_window.h"
#include "../core/kernel_isa.h"
#include <math.h>
#include <string.h>

void nn_pool_tile_size(const nn_pool_geom *G, int *th, int *tw)
{
    int cols = NN_POOL_TCAP / G->k, padded = (NN_POOL_TCAP - G->k) / G->s + 1;
    if (padded < cols) cols = padded;                 /* the tile's input columns fit the row buffer */
    *tw = G->ow < cols ? G->ow : cols;
    int rows = NN_POOL_TCAP / *tw;                    /* >= k */
    *th = (rows - G->k) / G->s + 1;
    if (*th > G->oh) *th = G->oh;
}

nn_pool_tile nn_pool_tile_at(const nn_pool_geom *G, int oh0, int ow0, int th, int tw)
{
    nn_pool_tile t = {oh0, oh0 + th, ow0, ow0 + tw, oh0 * G->s - G->p, 0};
    if (t.oh1 > G->oh) t.oh1 = G->oh;
    if (t.ow1 > G->ow) t.ow1 = G->ow;
    t.r1 = (t.oh1 - 1) * G->s - G->p + G->k;
    if (t.r0 < 0) t.r0 = 0;
    if (t.r1 > G->h) t.r1 = G->h;
    return t;
}

/* Windows tile each row exactly: the row pass can run over the tile's rows as one flat loop. */
static int rows_flat(const nn_pool_geom *G, const nn_pool_tile *t)
{
    return G->p == 0 && G->k <= G->s && G->w == G->ow * G->s && t->ow0 == 0 && t->ow1 == G->ow;
}

/* Copies the input columns of a tile's row into pb, padded with pad outside the plane:
 * pb[j] = x[row][c0 + j], c0 = ow0 s - p (the first window's first column). */
static void padded_row(const float *xr, const nn_pool_geom *G, const nn_pool_tile *t, float pad, float *pb)
{
    int c0 = t->ow0 * G->s - G->p, width = (t->ow1 - t->ow0 - 1) * G->s + G->k;
    int a = c0 < 0 ? -c0 : 0, b = G->w - c0 < width ? G->w - c0 : width;
    for (int j = 0; j < a; j++) pb[j] = pad;
    if (b > a) memcpy(pb + a, xr + c0 + a, (size_t)(b - a) * sizeof(float));
    for (int j = b > a ? b : a; j < width; j++) pb[j] = pad;
}

static inline int wins(float v, float best) { return (v > best) | (v != v); }   /* | : no branch */

/* ---- max with argmax ---- */

/* n outputs, each the first maximum of k consecutive values at stride s; off = plane offset of x */
static inline void argmax_flat(const float *x, int n, int k, int s, int off, float *tv, int *ti)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float b = x[i * s];
        int bi = i * s;
        for (int kw = 1; kw < k; kw++) {
            float v = x[i * s + kw];
            int w = wins(v, b);
            b = w ? v : b;
            bi = w ? i * s + kw : bi;
        }
        tv[i] = b;
        ti[i] = off + bi;
    }
}

/* One padded row: tvr[c] = first max of pb[c s .. c s + k), tir[c] its plane offset; the
 * padding (-inf) never wins, and a window starts at its first column inside the plane. */
static inline void argmax_padded(const float *pb, int tw, int k, int s, int off, int first, float *tvr, int *tir)
{
#pragma omp simd
    for (int c = 0; c < tw; c++) {
        float b = -INFINITY;
        int at = off + (c * s > first ? c * s : first);
        for (int kw = 0; kw < k; kw++) {
            float v = pb[c * s + kw];
            int w = wins(v, b);
            b = w ? v : b;
            at = w ? off + c * s + kw : at;
        }
        tvr[c] = b;
        tir[c] = at;
    }
}

static void argmax_rows(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, int *ti)
{
    int tw = t->ow1 - t->ow0, s = G->s;
    if (rows_flat(G, t)) {
        int n = (t->r1 - t->r0) * tw, off = t->r0 * G->w;
        if (G->k == 2 && s == 2) argmax_flat(x + off, n, 2, 2, off, tv, ti);  /* constant stride: no gathers */
        else argmax_flat(x + off, n, G->k, s, off, tv, ti);
        return;
    }
    float pb[NN_POOL_TCAP];
    int c0 = t->ow0 * s - G->p, first = c0 < 0 ? -c0 : 0;     /* pb index of column 0 */
    for (int r = t->r0; r < t->r1; r++) {
        float *tvr = tv + (size_t)(r - t->r0) * tw;
        int *tir = ti + (size_t)(r - t->r0) * tw, off = r * G->w + c0;
        padded_row(x + (size_t)r * G->w, G, t, -INFINITY, pb);
        if (G->k == 3 && s == 2) argmax_padded(pb, tw, 3, 2, off, first, tvr, tir);   /* constants: unrolled */
        else if (G->k == 2 && s == 2) argmax_padded(pb, tw, 2, 2, off, first, tvr, tir);
        else argmax_padded(pb, tw, G->k, s, off, first, tvr, tir);
    }
}

/* b[c], bi[c] = first maximum of the nr rows (tw apart) of column c. kh runs inside the
 * column loop: one pass per output row, which matters when rows are short (14 wide). */
static inline void argmax_cols(const float *tv, const int *ti, int tw, int nr, float *b, int *bi)
{
#pragma omp simd
    for (int c = 0; c < tw; c++) {
        float best = tv[c];
        int at = ti[c];
        for (int kh = 1; kh < nr; kh++) {
            float v = tv[kh * tw + c];
            int w = wins(v, best);
            best = w ? v : best;
            at = w ? ti[kh * tw + c] : at;
        }
        b[c] = best;
        bi[c] = at;
    }
}

/* Input rows [*lo, *hi) inside the plane for output row oh */
static void window_rows(const nn_pool_geom *G, int oh, int *lo, int *hi)
{
    *lo = oh * G->s - G->p;
    *hi = *lo + G->k;
    if (*lo < 0) *lo = 0;
    if (*hi > G->h) *hi = G->h;
}

static void argmax_tile(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, int *ti, float *best,
                        int *idx)
{
    int tw = t->ow1 - t->ow0;
    argmax_rows(x, G, t, tv, ti);
    for (int oh = t->oh0; oh < t->oh1; oh++) {
        int lo, hi;
        window_rows(G, oh, &lo, &hi);
        size_t at = (size_t)(lo - t->r0) * tw, o = (size_t)(oh - t->oh0) * tw;
        if (hi - lo == 2) argmax_cols(tv + at, ti + at, tw, 2, best + o, idx + o);   /* constant: unrolled */
        else if (hi - lo == 3) argmax_cols(tv + at, ti + at, tw, 3, best + o, idx + o);
        else argmax_cols(tv + at, ti + at, tw, hi - lo, best + o, idx + o);
    }
}

NN_ISA_FN(, nn_pool_argmax_tile, argmax_tile,
          (const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, int *ti, float *best, int *idx),
          (x, G, t, tv, ti, best, idx))

/* ---- sums ---- */

static inline void sum_flat(const float *x, int n, int k, int s, float *tv)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float a = x[i * s];
        for (int kw = 1; kw < k; kw++) a += x[i * s + kw];
        tv[i] = a;
    }
}

static inline void sum_padded(const float *pb, int tw, int k, int s, float *tvr)
{
#pragma omp simd
    for (int c = 0; c < tw; c++) {
        float a = pb[c * s];
        for (int kw = 1; kw < k; kw++) a += pb[c * s + kw];
        tvr[c] = a;
    }
}

static void sum_rows(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv)
{
    int tw = t->ow1 - t->ow0, s = G->s;
    if (rows_flat(G, t)) {
        int n = (t->r1 - t->r0) * tw;
        const float *xr = x + (size_t)t->r0 * G->w;
        if (G->k == 2 && s == 2) sum_flat(xr, n, 2, 2, tv);
        else sum_flat(xr, n, G->k, s, tv);
        return;
    }
    float pb[NN_POOL_TCAP];
    for (int r = t->r0; r < t->r1; r++) {
        float *tvr = tv + (size_t)(r - t->r0) * tw;
        padded_row(x + (size_t)r * G->w, G, t, 0.0f, pb);
        if (G->k == 3 && s == 2) sum_padded(pb, tw, 3, 2, tvr);
        else if (G->k == 2 && s == 2) sum_padded(pb, tw, 2, 2, tvr);
        else sum_padded(pb, tw, G->k, s, tvr);
    }
}

static inline void sum_cols(const float *tv, int tw, int nr, float *o)
{
#pragma omp simd
    for (int c = 0; c < tw; c++) {
        float a = tv[c];
        for (int kh = 1; kh < nr; kh++) a += tv[kh * tw + c];
        o[c] = a;
    }
}

static void sum_tile(const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, float *sum)
{
    int tw = t->ow1 - t->ow0;
    sum_rows(x, G, t, tv);
    for (int oh = t->oh0; oh < t->oh1; oh++) {
        int lo, hi;
        window_rows(G, oh, &lo, &hi);
        size_t at = (size_t)(lo - t->r0) * tw, o = (size_t)(oh - t->oh0) * tw;
        if (hi - lo == 2) sum_cols(tv + at, tw, 2, sum + o);
        else if (hi - lo == 3) sum_cols(tv + at, tw, 3, sum + o);
        else sum_cols(tv + at, tw, hi - lo, sum + o);
    }
}

NN_ISA_FN(, nn_pool_sum_tile, sum_tile, (const float *x, const nn_pool_geom *G, const nn_pool_tile *t, float *tv, float *sum),
          (x, G, t, tv, sum))

static void sum_plane(const float *x, const nn_pool_geom *G, float scale, float *y)
{
    float tv[NN_POOL_TCAP], sum[NN_POOL_TCAP];
    int th, tw;
    nn_pool_tile_size(G, &th, &tw);
    for (int oh0 = 0; oh0 < G->oh; oh0 += th)
        for (int ow0 = 0; ow0 < G->ow; ow0 += tw) {
            nn_pool_tile t = nn_pool_tile_at(G, oh0, ow0, th, tw);
            int n = t.ow1 - t.ow0;
            sum_tile(x, G, &t, tv, sum);
            for (int oh = t.oh0; oh < t.oh1; oh++) {
                float *yr = y + (size_t)oh * G->ow + t.ow0;
                const float *sr = sum + (size_t)(oh - t.oh0) * n;
#pragma omp simd
                for (int j = 0; j < n; j++) yr[j] = sr[j] * scale;
            }
        }
}
NN_ISA_FN(, nn_pool_sum_plane, sum_plane, (const float *x, const nn_pool_geom *G, float scale, float *y), (x, G, scale, y))
