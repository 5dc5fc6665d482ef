/* im2col / col2im and layout moves for the GEMM lowering of convolutions (see conv_lower.h).
 * All serial: op_conv.c runs them for different groups of images on different threads.
 * Inner loops run over output columns (or whole planes) and vectorise. */
#include "conv_lower.h"
#include "../core/kernel_isa.h"
#include "../core/thread_scratch.h"
#include <stdlib.h>
#include <string.h>

size_t nn_conv_chunk_floats = (size_t)1 << 15;

/* Output columns [lo, hi) whose input column ow*stride - pad + k lies inside [0, size). */
static void valid_range(int out, int size, int stride, int pad, int k, int *lo, int *hi)
{
    int first = pad - k, last = size - 1 + pad - k;       /* need first <= ow*stride <= last */
    int l = first <= 0 ? 0 : (first + stride - 1) / stride;
    int h = last < 0 ? 0 : last / stride + 1;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* Stride 1 with OW == W ("same" width): output pixel d of a tap reads input pixel
 * d + (ki-ph)*W + (kj-pw), so the valid rows are one contiguous copy; the columns that wrapped
 * around a row edge ([0, lo) and [hi, OW)) are then set to zero. */
typedef struct {
    int oh0, oh1, lo, hi;      /* valid output rows [oh0, oh1), columns [lo, hi) */
    long shift;                /* input pixel index minus output pixel index */
} same_tap;

static same_tap same_tap_make(const nn_conv_geom *g, int ki, int kj)
{
    same_tap t;
    valid_range(g->ow, g->w, 1, g->pw, kj, &t.lo, &t.hi);
    t.oh0 = g->ph - ki > 0 ? g->ph - ki : 0;
    t.oh1 = g->h + g->ph - ki < g->oh ? g->h + g->ph - ki : g->oh;
    if (t.oh1 < t.oh0 || t.hi <= t.lo) t.oh1 = t.oh0;        /* the tap never lands inside */
    t.shift = (long)(ki - g->ph) * g->w + (kj - g->pw);
    return t;
}

static void im2col_tap_same(const nn_conv_geom *g, const float *plane, int ki, int kj, float *dst)
{
    same_tap t = same_tap_make(g, ki, kj);
    size_t ow = (size_t)g->ow, start = (size_t)t.oh0 * ow, end = (size_t)t.oh1 * ow;
    memset(dst, 0, start * sizeof(float));
    memset(dst + end, 0, (nn_conv_out_plane(g) - end) * sizeof(float));
    if (t.oh1 == t.oh0) return;
    size_t first = start + (size_t)t.lo, last = end - ow + (size_t)t.hi;
    memcpy(dst + first, plane + (long)first + t.shift, (last - first) * sizeof(float));
    for (int oh = t.oh0; oh < t.oh1; oh++) {
        float *row = dst + (size_t)oh * ow;
        for (int j = 0; j < t.lo; j++) row[j] = 0.0f;
        for (int j = t.hi; j < g->ow; j++) row[j] = 0.0f;
    }
}

/* One row segment of col: kernel tap (c, ki, kj) of image n, OH*OW floats into dst. */
static void im2col_tap(const nn_conv_geom *g, const float *img, int n, int c, int ki, int kj, float *dst)
{
    const float *plane = img + ((size_t)n * g->c + c) * nn_conv_in_plane(g);
    if (g->stride == 1 && g->ow == g->w) {
        im2col_tap_same(g, plane, ki, kj, dst);
        return;
    }
    int s = g->stride, lo, hi;
    valid_range(g->ow, g->w, s, g->pw, kj, &lo, &hi);
    for (int oh = 0; oh < g->oh; oh++, dst += g->ow) {
        int ih = oh * s - g->ph + ki;
        if (ih < 0 || ih >= g->h) {
            memset(dst, 0, (size_t)g->ow * sizeof(float));
            continue;
        }
        /* src[j*s] feeds column lo + j */
        const float *src = plane + (size_t)ih * g->w + (lo * s - g->pw + kj);
        float *mid = dst + lo;
        int len = hi - lo;
        for (int ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
        if (s == 1) {
            _Pragma("omp simd")
            for (int j = 0; j < len; j++) mid[j] = src[j];
        } else {
            _Pragma("omp simd")
            for (int j = 0; j < len; j++) mid[j] = src[j * s];
        }
        for (int ow = hi; ow < g->ow; ow++) dst[ow] = 0.0f;
    }
}

static void im2col_item(const nn_conv_geom *g, const float *img, int n0, int nb, float *col, size_t item)
{
    size_t plane = nn_conv_out_plane(g);
    int b = (int)(item % (size_t)nb), row = (int)(item / (size_t)nb);
    int kk = g->kh * g->kw, c = row / kk, ki = row % kk / g->kw, kj = row % g->kw;
    im2col_tap(g, img, n0 + b, c, ki, kj, col + (size_t)row * nb * plane + (size_t)b * plane);
}

/* The same-width case with every tap's geometry worked out once per call rather than once per
 * (image, channel, tap): the planes are small (7x7 .. 28x28), so the per-tap set-up (divisions in
 * valid_range) cost as much as the copy. */
#define SAME_TAPS_MAX 49   /* up to 7x7 kernels; larger ones take the per-tap path */

static void im2col_copy_same(const same_tap *t, const float *plane, int ow, size_t n_out, float *dst)
{
    size_t start = (size_t)t->oh0 * ow, end = (size_t)t->oh1 * ow;
    memset(dst, 0, start * sizeof(float));
    memset(dst + end, 0, (n_out - end) * sizeof(float));
    if (t->oh1 == t->oh0) return;
    size_t first = start + (size_t)t->lo, last = end - ow + (size_t)t->hi;
    memcpy(dst + first, plane + (long)first + t->shift, (last - first) * sizeof(float));
    if (t->lo == 0 && t->hi == ow) return;
    for (int oh = t->oh0; oh < t->oh1; oh++) {
        float *row = dst + (size_t)oh * ow;
        for (int j = 0; j < t->lo; j++) row[j] = 0.0f;
        for (int j = t->hi; j < ow; j++) row[j] = 0.0f;
    }
}

static void im2col_same(const nn_conv_geom *g, const float *img, int n0, int nb, float *col)
{
    same_tap taps[SAME_TAPS_MAX];
    int kk = g->kh * g->kw;
    for (int t = 0; t < kk; t++) taps[t] = same_tap_make(g, t / g->kw, t % g->kw);
    size_t p_out = nn_conv_out_plane(g), p_in = nn_conv_in_plane(g), ld = (size_t)nb * p_out;
    for (int c = 0; c < g->c; c++)
        for (int t = 0; t < kk; t++) {
            float *row = col + ((size_t)c * kk + t) * ld;
            for (int b = 0; b < nb; b++)
                im2col_copy_same(&taps[t], img + ((size_t)(n0 + b) * g->c + c) * p_in, g->ow, p_out, row + b * p_out);
        }
}

/* ---- the padded-plane path: small planes (all of the benchmark models') are copied once into
 * a zero-bordered (H+2ph, W+2pw) buffer on the stack, so every tap row is OH plain strided row
 * copies with no bounds logic and no libc calls (memcpy/memset on 7..28-float rows cost more
 * in call overhead than in copying). col2im adds into such a buffer and writes its interior. */
#define PAD_PLANE_MAX 4096   /* floats (16 KB, in L1 with the rows it feeds) */

static int pad_w(const nn_conv_geom *g) { return g->w + 2 * g->pw; }
static size_t pad_floats(const nn_conv_geom *g) { return (size_t)(g->h + 2 * g->ph) * pad_w(g); }
static int pad_fits(const nn_conv_geom *g) { return pad_floats(g) <= PAD_PLANE_MAX; }

/* The interior of pad (its border stays as it is) = plane (H, W). */
static void pad_fill(const nn_conv_geom *g, const float *plane, float *pad)
{
    int wp = pad_w(g), w = g->w;
    float *row = pad + (size_t)g->ph * wp + g->pw;
    for (int i = 0; i < g->h; i++, row += wp, plane += w) {
        _Pragma("omp simd")
        for (int j = 0; j < w; j++) row[j] = plane[j];
    }
}

/* Tap (ki, kj) of a padded plane: OH*OW floats into dst. With OW equal to the padded width
 * minus KW-1 (stride 1, "same" or "valid"), the rows could be one copy; they are short
 * either way, so plain row loops. */
static void pad_tap_rows(const nn_conv_geom *g, const float *pad, int ki, int kj, float *dst)
{
    int wp = pad_w(g), s = g->stride, ow = g->ow;
    const float *src = pad + (size_t)ki * wp + kj;
    size_t step = (size_t)s * wp;
    for (int oh = 0; oh < g->oh; oh++, src += step, dst += ow) {
        if (s == 1) {
            _Pragma("omp simd")
            for (int j = 0; j < ow; j++) dst[j] = src[j];
        } else {
            _Pragma("omp simd")
            for (int j = 0; j < ow; j++) dst[j] = src[j * s];
        }
    }
}

static void im2col_padded(const nn_conv_geom *g, const float *img, int n0, int nb, float *col)
{
    float pad[PAD_PLANE_MAX];
    memset(pad, 0, pad_floats(g) * sizeof(float));
    size_t p_out = nn_conv_out_plane(g), p_in = nn_conv_in_plane(g), ld = (size_t)nb * p_out;
    int kk = g->kh * g->kw;
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < g->c; c++) {
            pad_fill(g, img + ((size_t)(n0 + b) * g->c + c) * p_in, pad);
            float *row = col + (size_t)c * kk * ld + (size_t)b * p_out;
            for (int t = 0; t < kk; t++, row += ld) pad_tap_rows(g, pad, t / g->kw, t % g->kw, row);
        }
}

static void im2col(const nn_conv_geom *g, const float *img, int n0, int nb, float *col)
{
    if (pad_fits(g) && !(g->stride == 1 && g->ow == g->w)) {   /* same width: one copy per tap below */
        im2col_padded(g, img, n0, nb, col);
        return;
    }
    if (g->stride == 1 && g->ow == g->w && g->kh * g->kw <= SAME_TAPS_MAX) {
        im2col_same(g, img, n0, nb, col);
        return;
    }
    size_t items = nn_conv_krows(g) * (size_t)nb;
    for (size_t it = 0; it < items; it++) im2col_item(g, img, n0, nb, col, it);
}
NN_ISA_FN(, nn_conv_im2col, im2col, (const nn_conv_geom *g, const float *img, int n0, int nb, float *col),
          (g, img, n0, nb, col))

/* The adjoint of im2col_tap_same: the wrapped columns of the tap's row in col are zeroed
 * (col is scratch), then the valid rows add in one contiguous pass. */
static void col2im_tap_same(const nn_conv_geom *g, float *src, int ki, int kj, float *plane)
{
    same_tap t = same_tap_make(g, ki, kj);
    if (t.oh1 == t.oh0) return;
    size_t ow = (size_t)g->ow, first = (size_t)t.oh0 * ow + (size_t)t.lo, last = (size_t)(t.oh1 - 1) * ow + (size_t)t.hi;
    for (int oh = t.oh0; oh < t.oh1; oh++) {
        float *row = src + (size_t)oh * ow;
        for (int j = 0; j < t.lo; j++) row[j] = 0.0f;
        for (int j = t.hi; j < g->ow; j++) row[j] = 0.0f;
    }
    float *dst = plane + (long)first + t.shift;
    const float *from = src + first;
    size_t len = last - first;
    _Pragma("omp simd")
    for (size_t i = 0; i < len; i++) dst[i] += from[i];
}

/* One image plane (n, c): bias (or 0) plus every kernel tap's contribution. src points at
 * column 0 of image b in row (c, 0, 0) of col; rows are ld floats apart. */
static void col2im_plane(const nn_conv_geom *g, float *src, size_t ld, float value, float *plane)
{
    int s = g->stride;
    size_t n_in = nn_conv_in_plane(g);
    _Pragma("omp simd")
    for (size_t i = 0; i < n_in; i++) plane[i] = value;
    for (int ki = 0; ki < g->kh; ki++)
        for (int kj = 0; kj < g->kw; kj++, src += ld) {
            if (s == 1 && g->ow == g->w) {
                col2im_tap_same(g, src, ki, kj, plane);
                continue;
            }
            int lo, hi;
            valid_range(g->ow, g->w, s, g->pw, kj, &lo, &hi);
            for (int oh = 0; oh < g->oh; oh++) {
                int ih = oh * s - g->ph + ki;
                if (ih < 0 || ih >= g->h) continue;
                float *dst = plane + (size_t)ih * g->w + (lo * s - g->pw + kj);
                const float *row = src + (size_t)oh * g->ow + lo;
                int len = hi - lo;
                if (s == 1) {
                    _Pragma("omp simd")
                    for (int j = 0; j < len; j++) dst[j] += row[j];
                } else {
                    for (int j = 0; j < len; j++) dst[j * s] += row[j];
                }
            }
        }
}

static void col2im_item(const nn_conv_geom *g, float *col, int n0, int nb, const float *bias, float *img,
                        size_t item)
{
    size_t out_plane = nn_conv_out_plane(g), ld = (size_t)nb * out_plane;
    int b = (int)(item / (size_t)g->c), c = (int)(item % (size_t)g->c);
    float *src = col + (size_t)c * g->kh * g->kw * ld + (size_t)b * out_plane;
    float *plane = img + ((size_t)(n0 + b) * g->c + c) * nn_conv_in_plane(g);
    col2im_plane(g, src, ld, bias ? bias[c] : 0.0f, plane);
}

/* The adjoint of pad_tap_rows: tap (ki, kj)'s OH*OW floats of src added into the padded plane. */
static void pad_tap_add(const nn_conv_geom *g, const float *src, int ki, int kj, float *pad)
{
    int wp = pad_w(g), s = g->stride, ow = g->ow;
    float *dst = pad + (size_t)ki * wp + kj;
    size_t step = (size_t)s * wp;
    for (int oh = 0; oh < g->oh; oh++, dst += step, src += ow) {
        if (s == 1) {
            _Pragma("omp simd")
            for (int j = 0; j < ow; j++) dst[j] += src[j];
        } else {
            for (int j = 0; j < ow; j++) dst[j * s] += src[j];
        }
    }
}

/* plane (H, W) = value + the interior of pad. */
static void pad_store(const nn_conv_geom *g, const float *pad, float value, float *plane)
{
    int wp = pad_w(g), w = g->w;
    const float *row = pad + (size_t)g->ph * wp + g->pw;
    for (int i = 0; i < g->h; i++, row += wp, plane += w) {
        _Pragma("omp simd")
        for (int j = 0; j < w; j++) plane[j] = row[j] + value;
    }
}

static void col2im_padded(const nn_conv_geom *g, const float *col, int n0, int nb, const float *bias, float *img)
{
    float pad[PAD_PLANE_MAX];
    size_t p_out = nn_conv_out_plane(g), p_in = nn_conv_in_plane(g), ld = (size_t)nb * p_out, np = pad_floats(g);
    int kk = g->kh * g->kw;
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < g->c; c++) {
            memset(pad, 0, np * sizeof(float));
            const float *row = col + (size_t)c * kk * ld + (size_t)b * p_out;
            for (int t = 0; t < kk; t++, row += ld) pad_tap_add(g, row, t / g->kw, t % g->kw, pad);
            pad_store(g, pad, bias ? bias[c] : 0.0f, img + ((size_t)(n0 + b) * g->c + c) * p_in);
        }
}

static void col2im(const nn_conv_geom *g, float *col, int n0, int nb, const float *bias, float *img)
{
    if (pad_fits(g) && !(g->stride == 1 && g->ow == g->w)) {   /* same width: one pass per tap below */
        col2im_padded(g, col, n0, nb, bias, img);
        return;
    }
    size_t items = (size_t)nb * g->c;
    for (size_t it = 0; it < items; it++) col2im_item(g, col, n0, nb, bias, img, it);
}
NN_ISA_FN(, nn_conv_col2im, col2im, (const nn_conv_geom *g, float *col, int n0, int nb, const float *bias, float *img),
          (g, col, n0, nb, bias, img))

/* Plane copies between (nb, ch, plane) and (ch, nb*plane); item = b*ch + c. */
static void move_plane(const float *src, int nb, int ch, size_t plane, const float *bias, float *dst, size_t item,
                       int to_chan_major)
{
    size_t b = item / (size_t)ch, c = item % (size_t)ch;
    size_t nchw = item * plane, cm = (c * (size_t)nb + b) * plane;
    if (to_chan_major) {
        memcpy(dst + cm, src + nchw, plane * sizeof(float));
        return;
    }
    float add = bias ? bias[c] : 0.0f;
    const float *s = src + cm;
    float *d = dst + nchw;
    _Pragma("omp simd")
    for (size_t i = 0; i < plane; i++) d[i] = s[i] + add;
}

static void move_planes(const float *src, int nb, int ch, size_t plane, const float *bias, float *dst, int to_cm)
{
    size_t items = (size_t)nb * ch;
    for (size_t it = 0; it < items; it++) move_plane(src, nb, ch, plane, bias, dst, it, to_cm);
}

NN_ISA_FN(static, move_planes_isa, move_planes,
          (const float *src, int nb, int ch, size_t plane, const float *bias, float *dst, int to_cm),
          (src, nb, ch, plane, bias, dst, to_cm))

void nn_conv_to_chan_major(const float *src, int nb, int ch, size_t plane, float *dst)
{
    move_planes_isa(src, nb, ch, plane, NULL, dst, 1);
}

void nn_conv_from_chan_major(const float *src, int nb, int ch, size_t plane, const float *bias, float *dst)
{
    move_planes_isa(src, nb, ch, plane, bias, dst, 0);
}

float *nn_conv_scratch(size_t floats) { return nn_thread_scratch(NN_SCRATCH_CONV_GROUP, floats); }

float *nn_conv_scratch_slot(int slot, size_t floats)
{
    return nn_thread_scratch(slot == 0 ? NN_SCRATCH_CONV_GROUP : NN_SCRATCH_CONV_CALL, floats);
}
