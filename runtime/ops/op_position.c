/* Sinusoidal positional encoding ("Attention Is All You Need", section 3.5), a constant:
 *   PE[pos, 2i] = sin(pos / 10000^(2i/d)),   PE[pos, 2i+1] = cos(pos / 10000^(2i/d)),
 * interleaved as in PyTorch's transformer tutorial (pe[:, 0::2] = sin, pe[:, 1::2] = cos; not
 * the sin half then cos half of tensor2tensor). Computed in double and rounded once, so at large
 * positions it can differ from the tutorial's float32 arithmetic in the last few bits. An odd d
 * ends with a sin column (the tutorial needs d even). */
#include "op_list.h"
#include <math.h>

int nn_positional_encoding(nn_graph *g, int t, int d)
{
    if (t < 1 || d < 1) return nn_graph_fail(g, "positional encoding: needs positions >= 1 and size >= 1, got (%d, %d)", t, d);
    int pe = nn_const(g, nn_shape2(t, d), 0.0f);
    if (pe < 0) return -1;
    float *v = nn_data(g, pe);
    for (int i = 0; 2 * i < d; i++) {
        double rate = exp(-log(10000.0) * (2.0 * i) / d);   /* 1 / 10000^(2i/d), as the tutorial's div_term */
        for (int pos = 0; pos < t; pos++) {
            v[(size_t)pos * d + 2 * i] = (float)sin(pos * rate);
            if (2 * i + 1 < d) v[(size_t)pos * d + 2 * i + 1] = (float)cos(pos * rate);
        }
    }
    g->nodes[pe].no_grad = 1;
    return pe;
}
