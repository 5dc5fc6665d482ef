/* The thin-product GEMM of panels (see gemm_panel.h). */
#include "gemm_panel.h"
#include "../core/kernel_isa.h"
#if NN_ISA_X86
#include <immintrin.h>
#endif

#define ROWS 8   /* rows of op(A) per register tile: 8 x 2 accumulators */

size_t nn_panels_floats(int k, int j0, int j1)
{
    int panels = (j1 - j0 + NN_PANEL - 1) / NN_PANEL;
    return (size_t)panels * NN_PANEL * (size_t)(k > 0 ? k : 1);
}

#if NN_ISA_X86
NN_TARGET_AVX512 static __mmask16 cols_mask(int cols)
{
    return cols >= 16 ? (__mmask16)0xFFFF : cols <= 0 ? 0 : (__mmask16)((1u << cols) - 1);
}

/* r[a] (row a of a 16 x 16 block) becomes column a: four rounds of 16 shuffles. */
NN_TARGET_AVX512 static inline __attribute__((always_inline)) void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {   /* lane L: (2i, 2i+1) x columns 4L..4L+1, then 4L+2..4L+3 */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {   /* u[4i+q] lane L: column 4L+q of rows 4i..4i+3 */
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int q = 0; q < 4; q++) {   /* column 4L+q: lane R from r[4R+q]'s lane L */
        __m512 w0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44), w1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);
        __m512 w2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44), w3 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
        t[q] = _mm512_shuffle_f32x4(w0, w2, 0x88);
        t[4 + q] = _mm512_shuffle_f32x4(w0, w2, 0xDD);
        t[8 + q] = _mm512_shuffle_f32x4(w1, w3, 0x88);
        t[12 + q] = _mm512_shuffle_f32x4(w1, w3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = t[i];
}

/* One panel of op(B) = B^T (B (n, k)): rows j0 .. j0+cols-1 of B, transposed in 16 x 16 blocks.
 * Those rows are one stretch of memory, asked for first, line after line: the blocks read 32
 * rows a line at a time, a pattern the hardware fetches ahead poorly, and a layer's weight comes
 * from memory (gan_mlp's epoch 3-8% faster over 3 alternated pairs; scripts/bench_gemm.sh pool,
 * cold, (64, 512, 784) forward 222 -> 238 GFLOP/s on 2 cores). */
NN_TARGET_AVX512 static void pack_panel_trans(float *dst, const float *b, size_t ldb, int k, int j0, int cols, int *list)
{
    const char *first = (const char *)(b + (size_t)j0 * ldb), *end = (const char *)(b + (size_t)(j0 + cols - 1) * ldb + k);
    for (const char *line = first; line < end; line += 64) _mm_prefetch(line, _MM_HINT_T0);
    int listed = 0;
    for (int k0 = 0; k0 < k; k0 += 16) {
        int kn = k - k0 < 16 ? k - k0 : 16;
        __mmask16 km = cols_mask(kn);
        unsigned nonzero = 0;   /* bit c: row k0 + c of the panel */
        for (int h = 0; h < 2; h++) {
            __m512 r[16];
            for (int a = 0; a < 16; a++) {
                int j = h * 16 + a;
                r[a] = j < cols ? _mm512_maskz_loadu_ps(km, b + (size_t)(j0 + j) * ldb + k0) : _mm512_setzero_ps();
            }
            transpose16(r);
            for (int c = 0; c < kn; c++) {
                _mm512_store_ps(dst + (size_t)(k0 + c) * NN_PANEL + h * 16, r[c]);
                nonzero |= (unsigned)(_mm512_cmp_ps_mask(r[c], _mm512_setzero_ps(), _CMP_NEQ_UQ) != 0) << c;
            }
        }
        if (list)
            for (int c = 0; c < kn; c++) {
                list[1 + listed] = k0 + c;
                listed += (int)(nonzero >> c & 1u);
            }
    }
    if (list) list[0] = listed;
}

/* One panel of op(B) = B (k, n): 32 columns of each row, zeros past n. */
NN_TARGET_AVX512 static void pack_panel_plain(float *dst, const float *b, size_t ldb, int k, int j0, int cols, int *list)
{
    __mmask16 m0 = cols_mask(cols), m1 = cols_mask(cols - 16);
    int listed = 0;
    for (int kk = 0; kk < k; kk++) {
        const float *row = b + (size_t)kk * ldb + j0;
        __m512 v0 = _mm512_maskz_loadu_ps(m0, row), v1 = _mm512_maskz_loadu_ps(m1, row + 16);
        _mm512_store_ps(dst + (size_t)kk * NN_PANEL, v0);
        _mm512_store_ps(dst + (size_t)kk * NN_PANEL + 16, v1);
        if (list) {
            list[1 + listed] = kk;
            listed += (_mm512_cmp_ps_mask(v0, _mm512_setzero_ps(), _CMP_NEQ_UQ) |
                       _mm512_cmp_ps_mask(v1, _mm512_setzero_ps(), _CMP_NEQ_UQ)) != 0;
        }
    }
    if (list) list[0] = listed;
}

NN_TARGET_AVX512 void nn_panels_pack(float *dst, const float *b, int trans_b, size_t ldb, int k, int n, int j0, int j1, int *lists)
{
    for (int p = j0; p < j1; p += NN_PANEL) {
        int cols = (j1 < n ? j1 : n) - p;
        if (cols > NN_PANEL) cols = NN_PANEL;
        float *pd = dst + (size_t)(p - j0) * k;
        int *list = lists ? lists + (size_t)((p - j0) / NN_PANEL) * NN_K_LIST_INTS(k) : NULL;
        if (trans_b) pack_panel_trans(pd, b, ldb, k, p, cols, list);
        else pack_panel_plain(pd, b, ldb, k, p, cols, list);
    }
}

/* Skipping pays while a block's list keeps at most this share of k (the tile then also loads
 * each kk), and op(A)'s lists are looked for past the first blocks only under it. */
#define SKIP_MAX_SHARE 0.7
#define SKIP_LOOK_BLOCKS 2

NN_TARGET_AVX512 int nn_panels_a_lists(int trans_a, int m, int k, const float *a, size_t lda, int *lists)
{
    int blocks = (m + ROWS - 1) / ROWS;
    double listed = 0;
    const __m512 zero = _mm512_setzero_ps();
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    for (int bi = 0; bi < blocks; bi++) {
        int r0 = bi * ROWS, rows = m - r0 < ROWS ? m - r0 : ROWS, n = 0;
        int *list = lists + (size_t)bi * NN_K_LIST_INTS(k);
        if (!trans_a)   /* 16 kk at a time: the rows' nonzero lanes, their kk stored in order */
            for (int k0 = 0; k0 < k; k0 += 16) {
                __mmask16 km = cols_mask(k - k0), nonzero = 0;
                for (int r = 0; r < rows; r++)
                    nonzero |= _mm512_mask_cmp_ps_mask(km, _mm512_maskz_loadu_ps(km, a + (size_t)(r0 + r) * lda + k0), zero,
                                                       _CMP_NEQ_UQ);
                __m512i kk = _mm512_add_epi32(_mm512_set1_epi32(k0), iota);
                _mm512_storeu_si512(list + 1 + n, _mm512_maskz_compress_epi32(nonzero, kk));
                n += __builtin_popcount(nonzero);
            }
        else   /* op(A)'s rows r0.. at kk: 8 consecutive floats of A's row kk */
            for (int kk = 0; kk < k; kk++) {
                __mmask16 rm = cols_mask(rows);
                list[1 + n] = kk;
                n += _mm512_mask_cmp_ps_mask(rm, _mm512_maskz_loadu_ps(rm, a + (size_t)kk * lda + r0), zero, _CMP_NEQ_UQ) != 0;
            }
        list[0] = n;
        listed += n;
        if (bi < SKIP_LOOK_BLOCKS && listed > SKIP_MAX_SHARE * k * (bi + 1)) return -1;
    }
    return listed <= SKIP_MAX_SHARE * k * blocks ? 0 : -1;
}

/* The epilogue of one tile (nn_gemm_epilogue, parallel.h): bias and gate already offset to the
 * tile's first column (and row), act and gate tested once per tile, outside the k loop. */
typedef struct {
    const float *bias, *gate, *addend;
    size_t ldgate, ldaddend;
    float slope;
    int act;
} tile_store;

/* 16 columns (mask m) of a row of the product, v, through the epilogue's activation and gate,
 * whose row is gr (NULL without a gate), from column col. Where v or the gate is NaN, the ops'
 * own loops' tests (x < 0, g > 0) are false, and so are these. */
NN_TARGET_AVX512 static inline __attribute__((always_inline)) __m512 store_act(const tile_store *s, __m512 v, const float *gr,
                                                                              int col, __mmask16 m)
{
    __m512 zero = _mm512_setzero_ps(), slope = _mm512_set1_ps(s->slope);
    if (s->act) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, slope);
    if (gr) v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, gr + col), zero, _CMP_NGT_UQ), v, slope);
    return v;
}

/* C[rows x 32] = alpha op(A)[rows x k] P + beta C, through the epilogue s (its bias only with
 * beta = 0), P one panel; masks m0/m1 select the columns of C that exist. rows, trans_a and
 * half (only the panel's first 16 columns exist) are constants after inlining, so the
 * accumulators live in registers. op(A)[r][kk] is a[r lda + kk], or a[kk lda + r] when trans_a. */
NN_TARGET_AVX512 static inline __attribute__((always_inline)) void tile(int rows, int trans_a, int half, const int *ks, int k,
                                                                        const float *a, size_t lda, const float *p, float alpha,
                                                                        float beta, float *c, size_t ldc, __mmask16 m0,
                                                                        __mmask16 m1, const tile_store *s)
{
    __m512 acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
    if (s->gate)   /* the gate's lines, fetched while the tile sums over k */
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            _mm_prefetch((const char *)(s->gate + (size_t)r * s->ldgate), _MM_HINT_T0);
            _mm_prefetch((const char *)(s->gate + (size_t)r * s->ldgate + 16), _MM_HINT_T0);
        }
    if (s->addend)   /* likewise the addend's */
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            _mm_prefetch((const char *)(s->addend + (size_t)r * s->ldaddend), _MM_HINT_T0);
            _mm_prefetch((const char *)(s->addend + (size_t)r * s->ldaddend + 16), _MM_HINT_T0);
        }
    for (int q = 0; q < k; q++) {   /* ks: the steps kk = ks[q] of k (nn_k_lists) */
        int kk = ks ? ks[q] : q;
        __m512 b0 = _mm512_load_ps(p + (size_t)kk * NN_PANEL), b1 = half ? b0 : _mm512_load_ps(p + (size_t)kk * NN_PANEL + 16);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(trans_a ? a[(size_t)kk * lda + r] : a[(size_t)r * lda + kk]);
            acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
            if (!half) acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    int plain = !s->act && !s->gate;
    if (s->bias) {   /* beta = 0 */
        __m512 b0 = _mm512_maskz_loadu_ps(m0, s->bias), b1 = half ? b0 : _mm512_maskz_loadu_ps(m1, s->bias + 16);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            float *cr = c + (size_t)r * ldc;
            const float *gr = s->gate ? s->gate + (size_t)r * s->ldgate : NULL;
            __m512 v0 = _mm512_fmadd_ps(va, acc0[r], b0);
            _mm512_mask_storeu_ps(cr, m0, plain ? v0 : store_act(s, v0, gr, 0, m0));
            if (!half) {
                __m512 v1 = _mm512_fmadd_ps(va, acc1[r], b1);
                _mm512_mask_storeu_ps(cr + 16, m1, plain ? v1 : store_act(s, v1, gr, 16, m1));
            }
        }
        return;
    }
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        const float *gr = s->gate ? s->gate + (size_t)r * s->ldgate : NULL;
        __m512 v0, v1 = _mm512_setzero_ps();
        if (s->addend) {   /* beta = 0: P + addend, the bits of add(addend, P) */
            const float *ar = s->addend + (size_t)r * s->ldaddend;
            v0 = _mm512_fmadd_ps(va, acc0[r], _mm512_maskz_loadu_ps(m0, ar));
            if (!half) v1 = _mm512_fmadd_ps(va, acc1[r], _mm512_maskz_loadu_ps(m1, ar + 16));
        } else if (beta == 0.0f) {
            v0 = _mm512_mul_ps(va, acc0[r]);
            if (!half) v1 = _mm512_mul_ps(va, acc1[r]);
        } else {
            v0 = _mm512_fmadd_ps(va, acc0[r], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, cr)));
            if (!half) v1 = _mm512_fmadd_ps(va, acc1[r], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16)));
        }
        _mm512_mask_storeu_ps(cr, m0, plain ? v0 : store_act(s, v0, gr, 0, m0));
        if (!half) _mm512_mask_storeu_ps(cr + 16, m1, plain ? v1 : store_act(s, v1, gr, 16, m1));
    }
}

#define TILE_CASES(ta, half)                                                               \
    switch (rows) {                                                                        \
    case 8: tile(8, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 7: tile(7, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 6: tile(6, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 5: tile(5, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 4: tile(4, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 3: tile(3, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    case 2: tile(2, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break;  \
    default: tile(1, ta, half, NULL, k, a, lda, p, alpha, beta, c, ldc, m0, m1, s); break; \
    }

/* A tile of `rows` rows; a panel's last 16 columns or fewer (m1 empty) take half the work.
 * list (or NULL): the steps of k a full tile visits (nn_k_lists); the others visit them all,
 * which gives the same bits. */
NN_TARGET_AVX512 static void tile_rows(int rows, int trans_a, int k, const int *list, const float *a, size_t lda, const float *p,
                                       float alpha, float beta, float *c, size_t ldc, __mmask16 m0, __mmask16 m1,
                                       const tile_store *s)
{
    if (list && rows == ROWS && m1 != 0) {
        if (trans_a) tile(ROWS, 1, 0, list + 1, list[0], a, lda, p, alpha, beta, c, ldc, m0, m1, s);
        else tile(ROWS, 0, 0, list + 1, list[0], a, lda, p, alpha, beta, c, ldc, m0, m1, s);
        return;
    }
    if (m1 == 0) {
        if (trans_a) TILE_CASES(1, 1)
        else TILE_CASES(0, 1)
    } else {
        if (trans_a) TILE_CASES(1, 0)
        else TILE_CASES(0, 0)
    }
}

NN_TARGET_AVX512 void nn_panels_gemm(int trans_a, int m, int k, float alpha, const float *a, size_t lda, const float *packed,
                                     int n, int j0, int j1, float beta, float *c, size_t ldc, const nn_gemm_epilogue *e,
                                     const nn_k_lists *skip)
{
    if (j1 > n) j1 = n;
    const size_t stride = NN_K_LIST_INTS(k);
    const int worth = (int)(SKIP_MAX_SHARE * k);   /* a longer list visits (nearly) every step: the plain loop */
    for (int p = j0; p < j1; p += NN_PANEL) {
        const float *panel = packed + (size_t)(p - j0) * k;
        const int *plist = skip && skip->b ? skip->b + (size_t)((p - j0) / NN_PANEL) * stride : NULL;
        __mmask16 m0 = cols_mask(j1 - p), m1 = cols_mask(j1 - p - 16);
        for (int i0 = 0; i0 < m; i0 += ROWS) {
            const float *ai = trans_a ? a + i0 : a + (size_t)i0 * lda;
            tile_store s = {NULL, NULL, NULL, 0, 0, 0.0f, 0};
            if (e) {
                s = (tile_store){e->bias ? e->bias + p : NULL, e->gate ? e->gate + (size_t)i0 * e->ldgate + p : NULL,
                                 e->addend ? e->addend + (size_t)i0 * e->ldaddend + p : NULL, e->ldgate, e->ldaddend, e->slope,
                                 e->act};
            }
            const int *list = skip && skip->a ? skip->a + (size_t)(i0 / ROWS) * stride : plist;
            tile_rows(m - i0 < ROWS ? m - i0 : ROWS, trans_a, k, list && list[0] <= worth ? list : NULL, ai, lda, panel, alpha, beta,
                      c + (size_t)i0 * ldc + p, ldc, m0, m1, &s);
        }
    }
}
#endif
