/* PyTorch's default initialisation of each layer kind's parameters (or the spec's init:),
 * the init column of layer_build.c's table. */
#include "build_internal.h"
#include "nn/init.h"
#include <math.h>
#include <string.h>

static int init_error(const layer_spec *l, const char *err, diag *d)
{
    diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
    return -1;
}

static int init_param(nn_graph *g, int id, const nn_init *init, int fan_out, int fan_in, nn_rng *r, const layer_spec *l,
                      diag *d)
{
    char err[256];
    return nn_init_fill(nn_data(g, id), fan_out, fan_in, init, r, err, sizeof err) < 0 ? init_error(l, err, d) : 0;
}

/* dense, conv, conv_transpose, conv1d: fans by position, as torch.nn.init counts them (dim 0
 * out, dim 1 in, times the kernel); the bias from the weight's fan-in */
int init_by_fans(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d)
{
    const nn_shape *w = &g->nodes[weight].shape;
    int fan_out = w->d[0], fan_in = (int)(nn_shape_numel(w) / (size_t)w->d[0]);
    const nn_init *wi = l->has_init ? &l->init : &net->init;
    char err[256];
    if (w->ndim >= 3) {   /* conv (F, C, KH, KW), conv1d (F, C, K) */
        int ksize = (int)(nn_shape_numel(w) / ((size_t)w->d[0] * w->d[1]));
        if (nn_init_fill_conv(nn_data(g, weight), w->d[0], w->d[1], ksize, wi, r, err, sizeof err) < 0)
            return init_error(l, err, d);
    } else if (init_param(g, weight, wi, fan_out, fan_in, r, l, d) < 0)
        return -1;
    if (bias < 0) return 0;
    const nn_init *bi = l->has_bias_init ? &l->bias_init : &net->bias_init;
    if (nn_init_fill_bias(nn_data(g, bias), (int)nn_numel(g, bias), fan_in, bi, r, err, sizeof err) < 0)
        return init_error(l, err, d);
    return 0;
}

/* gamma 1, beta 0, running mean 0, running variance 1 */
int init_batchnorm(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d)
{
    (void)net, (void)l, (void)r, (void)d;
    int c = g->nodes[weight].shape.d[0];
    int rvar = bias + 2;   /* created right after bias and running_mean (layer_build.c) */
    for (int k = 0; k < c; k++) {
        nn_data(g, weight)[k] = 1.0f;
        nn_data(g, rvar)[k] = 1.0f;
    }
    return 0;
}

void init_torch_linear(nn_graph *g, int id, nn_rng *r)
{
    const nn_shape *s = &g->nodes[id].shape;
    int fan_in = s->ndim == 2 ? s->d[1] : g->nodes[id - 1].shape.d[1];
    float bound = 1.0f / sqrtf((float)fan_in), *w = nn_data(g, id);
    for (size_t j = 0; j < nn_numel(g, id); j++) w[j] = nn_rng_range(r, -bound, bound);
}

/* PyTorch: every recurrent parameter U(-1/sqrt(H), 1/sqrt(H)); `init:` applies to each w_ih.
 * A gru that attends has its attention's Linears after them (layer_attend_gru.c), each
 * initialised as nn.Linear. */
int init_recurrent(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d)
{
    (void)bias;
    float bound = 1.0f / sqrtf((float)l->units);
    int n_dirs = l->rnn_bidir ? 2 : 1, per_dir = recurrent_param_count(l->kind);   /* in a row */
    for (int id = weight; id < weight + per_dir * n_dirs; id++) {
        float *w = nn_data(g, id);
        for (size_t j = 0; j < nn_numel(g, id); j++) w[j] = nn_rng_range(r, -bound, bound);
    }
    for (int id = weight + per_dir * n_dirs, end = layer_params_end(g, net, l, weight); id < end; id++) init_torch_linear(g, id, r);
    for (int dir = 0; l->has_init && dir < n_dirs; dir++) {
        int wih = weight + per_dir * dir, rows = g->nodes[wih].shape.d[0];
        if (init_param(g, wih, &l->init, rows, (int)(nn_numel(g, wih) / (size_t)rows), r, l, d) < 0) return -1;
    }
    return 0;
}

/* PyTorch's nn.Embedding: N(0, 1), the padding row zero (or the spec's init:) */
int init_embedding(const model_spec *net, const layer_spec *l, nn_graph *g, int weight, int bias, nn_rng *r, diag *d)
{
    if (l->has_init) return init_by_fans(net, l, g, weight, bias, r, d);
    float *w = nn_data(g, weight);
    for (size_t k = 0; k < nn_numel(g, weight); k++) w[k] = nn_rng_normal(r);
    if (l->padding_id >= 0 && l->padding_id < l->vocab) memset(w + (size_t)l->padding_id * l->units, 0, (size_t)l->units * sizeof(float));
    return 0;
}
