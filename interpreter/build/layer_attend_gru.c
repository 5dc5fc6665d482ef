/* A gru that attends (`attend: LAYER`): the decoder of PyTorch's seq2seq tutorial
 * (AttnDecoderRNN with BahdanauAttention), built from graph ops unrolled over the T steps, so
 * that its gradients are those of ops the registry already checks. Step t, from h_{-1} = h0:
 *   scores_s  = Va . tanh(Wa h_{t-1} + ba + Ua k_s + bua) + bva      over the S steps of attend
 *   weights   = softmax of the scores over attend's real steps (attend_mask; padding never)
 *   context_t = sum_s weights_s k_s                                   (F: attend's features)
 *   h_t       = GRU cell of [x_t ; context_t] and h_{t-1}             (PyTorch's equations)
 * and the layer gives every h_t: x (N,T,E) -> (N,T,H). Parameters, in this order and with
 * PyTorch's names (the tutorial's module names under the layer): weight_ih (3H, E+F),
 * weight_hh (3H, H), bias_ih, bias_hh (3H) (the layer's gru; init_recurrent starts them
 * U(+-1/sqrt(H))), then attention.Wa.weight (H, H), attention.Wa.bias (H), attention.Ua.weight
 * (H, F), attention.Ua.bias (H), attention.Va.weight (1, H), attention.Va.bias (1) (nn.Linear's
 * start). Shapes: N batch, T steps, E input features, S attended steps, F their features, H units. */
#include "build_internal.h"
#include "nn/ops.h"
#include <stdlib.h>

#define CONCAT_PARTS 4   /* nn_concat joins 2 to 4 tensors */

typedef struct {
    int w_ih, w_hh, b_ih, b_hh;   /* the GRU's */
    int wa, ba, ua, bua, va, bva; /* the attention's Linears: Wa (H,H), Ua (H,F), Va (1,H) and their biases */
} attend_params;

/* What every step reads: the step-independent parts computed once. */
typedef struct {
    int keys;      /* attend's outputs (N,S,F) */
    int keys_u;    /* Ua k + bua (N,S,H), once for all steps */
    int mask;      /* additive (N,1,S): 0 at real steps of attend, -inf at padding; -1: all real */
    int x_gates;   /* x_t W_ih[:, :E]^T + b_ih for every step (N,T,3H), one GEMM */
    int w_ctx;     /* W_ih[:, E:] (3H,F): the context's columns */
} attend_steps;

static attend_params attend_params_create(call_ctx *c, const layer_spec *l, int e, int f)
{
    int h = l->units, w[4];
    recurrent_params(c, l, e + f, "", w);
    attend_params p = {w[0], w[1], w[2], w[3], -1, -1, -1, -1, -1, -1};
    p.wa = call_param(c, l, "attention.Wa.weight", nn_shape2(h, h));
    p.ba = call_param(c, l, "attention.Wa.bias", nn_shape1(h));
    p.ua = call_param(c, l, "attention.Ua.weight", nn_shape2(h, f));
    p.bua = call_param(c, l, "attention.Ua.bias", nn_shape1(h));
    p.va = call_param(c, l, "attention.Va.weight", nn_shape2(1, h));
    p.bva = call_param(c, l, "attention.Va.bias", nn_shape1(1));
    return p;
}

/* The context of one step from the previous state h (N,H) -> (N,F). */
static int attention_context(nn_graph *g, const attend_params *p, const attend_steps *st, int h)
{
    const nn_shape *ks = &g->nodes[st->keys_u].shape;
    int n = ks->d[0], s = ks->d[1], units = ks->d[2], f = g->nodes[st->keys].shape.d[2];
    int query = nn_reshape(g, nn_dense(g, h, p->wa, p->ba), nn_shape3(n, 1, units));                 /* (N,1,H) */
    int energy = nn_tanh(g, nn_add(g, st->keys_u, query));                                             /* (N,S,H) */
    int scores = nn_reshape(g, nn_dense(g, energy, p->va, p->bva), nn_shape3(n, 1, s));               /* (N,1,S) */
    int weights = st->mask < 0 ? nn_softmax(g, scores) : nn_softmax_masked(g, scores, st->mask);      /* (N,1,S) */
    return nn_reshape(g, nn_batch_matmul(g, weights, st->keys, 0, 0), nn_shape2(n, f));              /* (N,F) */
}

/* One GRU step: gates gi (N,3H) of the input [x_t ; context], state h (N,H) -> h_t (N,H) */
static int gru_cell(nn_graph *g, const attend_params *p, int gi, int h)
{
    int units = g->nodes[h].shape.d[1];
    int gh = nn_dense(g, h, p->w_hh, p->b_hh);                                                         /* (N,3H) */
    int rz = nn_sigmoid(g, nn_add(g, nn_slice(g, gi, 1, 0, 2 * units), nn_slice(g, gh, 1, 0, 2 * units)));
    int r = nn_slice(g, rz, 1, 0, units), z = nn_slice(g, rz, 1, units, units);
    int cand = nn_tanh(g, nn_add(g, nn_slice(g, gi, 1, 2 * units, units), nn_mul(g, r, nn_slice(g, gh, 1, 2 * units, units))));
    return nn_add(g, cand, nn_mul(g, z, nn_sub(g, h, cand)));                                          /* (1 - z) n + z h */
}

/* parts[0..n) joined along axis, CONCAT_PARTS at a time (parts is overwritten) */
static int concat_all(nn_graph *g, int *parts, int n, int axis)
{
    while (n > 1) {
        int m = 0;
        for (int k = 0; k < n; k += CONCAT_PARTS) {
            int count = n - k < CONCAT_PARTS ? n - k : CONCAT_PARTS;
            parts[m++] = count == 1 ? parts[k] : nn_concat(g, parts + k, count, axis);
        }
        n = m;
    }
    return parts[0];
}

/* attend: the layer it names must be a sequence (N,S,F) */
static int attended(call_ctx *c, int li, const layer_spec *l)
{
    nn_graph *g = c->m->g;
    int keys = resolve_in_call(c, li, l->refs[REF_ATTEND].name);
    if (keys < 0 || g->nodes[keys].shape.ndim == 3) return keys;
    char b[64];
    return nn_graph_fail(g, "attend: '%s' gives %s per sample; attend needs a sequence [steps, features] (an encoder's every-step "
                         "outputs: a recurrent layer with output: all)",
                         l->refs[REF_ATTEND].name, sample_shape_str(g, keys, b, sizeof b));
}

int build_attend_gru(call_ctx *c, int li, int x, int h0)
{
    const layer_spec *l = &c->net->layers[li];
    nn_graph *g = c->m->g;
    int keys = attended(c, li, l);
    if (keys < 0) return -1;
    const nn_shape xs = g->nodes[x].shape, ks = g->nodes[keys].shape;   /* copies: adding nodes may move g->nodes */
    int n = xs.d[0], t = xs.d[1], e = xs.d[2], s = ks.d[1], f = ks.d[2], units = l->units;
    attend_params p = attend_params_create(c, l, e, f);
    ctx_call(c)->weight[li] = p.w_ih;
    ctx_call(c)->bias[li] = p.b_ih;
    if (p.bva < 0) return -1;
    attend_steps st = {keys, nn_dense(g, keys, p.ua, p.bua), -1, nn_dense(g, x, nn_slice(g, p.w_ih, 1, 0, e), p.b_ih),
                       nn_slice(g, p.w_ih, 1, e, f)};
    int mask = key_mask(c, li, l->refs[REF_ATTEND_MASK].name, n, s, 0);   /* (N,1,1,S) */
    if (mask < -1) return -1;
    if (mask >= 0) st.mask = nn_reshape(g, mask, nn_shape3(n, 1, s));
    int h = h0 >= 0 ? h0 : nn_const(g, nn_shape2(n, units), 0.0f);
    int *steps = malloc((size_t)t * sizeof *steps);
    if (!steps) return nn_graph_fail(g, "out of memory");
    for (int k = 0; k < t && h >= 0; k++) {
        int gi = nn_add(g, nn_reshape(g, nn_slice(g, st.x_gates, 1, k, 1), nn_shape2(n, 3 * units)),
                        nn_dense(g, attention_context(g, &p, &st, h), st.w_ctx, -1));                   /* (N,3H) */
        h = gru_cell(g, &p, gi, h);
        steps[k] = nn_reshape(g, h, nn_shape3(n, 1, units));
    }
    int y = h < 0 ? -1 : concat_all(g, steps, t, 1);                                                  /* (N,T,H) */
    free(steps);
    return y;
}
