/* Direct stride-1 convolutions for layers with few taps per output (C*KH*KW small: the first
 * layer of an image model, 1 channel 3x3; a decoder's last conv to 1 channel). im2col would
 * write C*KH*KW rows per image for a GEMM whose inner dimension is only that small, which runs
 * far below the machine's speed; here each image's planes are copied once into a zero-bordered
 * buffer and every output is a sum of taps read straight from it, computed at the padded width
 * (conv_direct_taps.h); the wrapped-around columns are dropped when the result is copied out.
 * Forward only: measured on the first layers of the benchmark models (1 thread, CPU time), the
 * forward took 0.78 ms instead of 0.83 (1->16 on 28x28) and 1.30 instead of 1.53 (1->32, 28 ->
 * 26) per batch of 128, while a direct weight gradient was no faster than the GEMM (0.87 vs
 * 0.76 ms): both are bound by reading the output gradient. */
#include "conv_direct_taps.h"

int nn_conv_direct_fits(const nn_conv_geom *g)
{
    return g->stride == 1 && g->c * g->kh * g->kw <= NN_CONV_DIRECT_TAPS;
}

size_t nn_conv_direct_floats(const nn_conv_geom *g)
{
    direct_geom d = direct_geom_of(g);
    return (size_t)g->c * d.plane + 4 * d.len;
}

/* conv2d forward for images [n0, n0+nb): scratch holds the padded planes, then up to four
 * output planes at the padded width. wide: the AVX-512 kernels (a constant once inlined into
 * the variant of each level, which then holds one path). */
static inline void direct_forward(const nn_conv_geom *g, const float *x, const float *w, const float *bias, int n0,
                                  int nb, float *scratch, float *y, int wide)
{
    direct_geom d = direct_geom_of(g);
    size_t off[NN_CONV_DIRECT_TAPS], out_plane = (size_t)g->oh * g->ow;
    float *pad = scratch, *full = scratch + (size_t)g->c * d.plane;
    tap_offsets(g, &d, off);
    memset(pad, 0, (size_t)g->c * d.plane * sizeof(float));
    for (int n = n0; n < n0 + nb; n++) {
        fill_padded(g, &d, x, n, pad, wide);
        for (int f0 = 0; f0 < g->f; f0 += 4) {
            int nf = g->f - f0 < 4 ? g->f - f0 : 4;
            channel_planes(&d, off, w, bias, f0, nf, pad, full, wide);
            for (int r = 0; r < nf; r++) {
                float *dst = y + ((size_t)n * g->f + f0 + r) * out_plane;
                const float *src = full + (size_t)r * d.len;
                for (int oh = 0; oh < g->oh; oh++) COPY_ROW(wide, dst + (size_t)oh * g->ow, src + (size_t)oh * d.wp, (size_t)g->ow);
            }
        }
    }
}

#define DIRECT_PARAMS \
    (const nn_conv_geom *g, const float *x, const float *w, const float *bias, int n0, int nb, float *scratch, float *y)
static void direct_forward_portable DIRECT_PARAMS { direct_forward(g, x, w, bias, n0, nb, scratch, y, 0); }
#if NN_ISA_X86
NN_TARGET_AVX512 __attribute__((flatten)) static void direct_forward_avx512 DIRECT_PARAMS
{
    direct_forward(g, x, w, bias, n0, nb, scratch, y, 1);
}
#endif
NN_ISA_FN_WITH_AVX512(, nn_conv_direct_forward, direct_forward_portable, direct_forward_avx512, DIRECT_PARAMS,
                      (g, x, w, bias, n0, nb, scratch, y))
