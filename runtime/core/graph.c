/* Graph construction: nodes, shapes, parameters, labels and build errors. */
#include "nn/graph.h"
#include "nn/big_alloc.h"
#include "nn/ops.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nn_shape nn_shape_make(int ndim, const int *d)
{
    nn_shape s = {0};
    s.ndim = ndim;
    for (int i = 0; i < ndim && i < NN_MAX_DIMS; i++) s.d[i] = d[i];
    return s;
}
nn_shape nn_shape1(int a) { return (nn_shape){1, {a}}; }
nn_shape nn_shape2(int a, int b) { return (nn_shape){2, {a, b}}; }
nn_shape nn_shape3(int a, int b, int c) { return (nn_shape){3, {a, b, c}}; }
nn_shape nn_shape4(int a, int b, int c, int d) { return (nn_shape){4, {a, b, c, d}}; }

size_t nn_shape_numel(const nn_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->ndim; i++) n *= (size_t)s->d[i];
    return n;
}

int nn_shape_eq(const nn_shape *a, const nn_shape *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

char *nn_shape_str(const nn_shape *s, char *buf, size_t len)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "[");
    for (int i = 0; i < s->ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, i ? ", %d" : "%d", s->d[i]);
    if (k < len) snprintf(buf + k, len - k, "]");
    return buf;
}

/* The node array starts at GRAPH_CAP0 and grows to GRAPH_GROW(cap). Sanitizer builds grow it
 * by one node at a time, so every new node moves it and a pointer into it kept across a call
 * that adds nodes (an easy slip in backward rules) is reported as a use after free. */
#ifdef NN_GRAPH_GROW_BY_ONE
#define GRAPH_CAP0 1
#define GRAPH_GROW(cap) ((cap) + 1)
#else
#define GRAPH_CAP0 256
#define GRAPH_GROW(cap) ((cap) * 2)
#endif

nn_graph *nn_graph_new(uint64_t seed)
{
    nn_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->cap = GRAPH_CAP0;
    g->nodes = calloc((size_t)g->cap, sizeof *g->nodes);
    if (!g->nodes) {
        free(g);
        return NULL;
    }
    g->training = 1;
    nn_rng_seed(&g->rng, seed);
    return g;
}

void nn_graph_free(nn_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) free(g->nodes[i].owned);
    free(g->nodes);
    free(g->param_block);
    free(g);
}

void nn_graph_set_label(nn_graph *g, const char *label)
{
    snprintf(g->cur_label, sizeof g->cur_label, "%s", label ? label : "");
}

int nn_graph_fail(nn_graph *g, const char *fmt, ...)
{
    if (g->err[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int add_node(nn_graph *g, nn_node_kind kind, nn_shape s)
{
    if (g->n == g->cap) {
        int cap = GRAPH_GROW(g->cap);
        nn_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return nn_graph_fail(g, "out of memory growing the graph");
        g->nodes = nodes;
        g->cap = cap;
    }
    nn_node *n = &g->nodes[g->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->op = -1;
    n->shape = s;
    snprintf(n->label, sizeof n->label, "%s", g->cur_label);
    return g->n++;
}

static int check_shape(nn_graph *g, nn_shape s)
{
    if (s.ndim < 1 || s.ndim > NN_MAX_DIMS) return nn_graph_fail(g, "tensors have 1 to %d dimensions, not %d", NN_MAX_DIMS, s.ndim);
    for (int i = 0; i < s.ndim; i++)
        if (s.d[i] <= 0) {
            char b[64];
            return nn_graph_fail(g, "shape %s has a dimension <= 0", nn_shape_str(&s, b, sizeof b));
        }
    return 0;
}

static int add_owned(nn_graph *g, nn_node_kind kind, nn_shape s, const char *name)
{
    if (check_shape(g, s) < 0) return -1;
    int id = add_node(g, kind, s);
    if (id < 0) return -1;
    nn_node *n = &g->nodes[id];
    if (name && name[0]) snprintf(n->label, sizeof n->label, "%s", name);
    if (kind != NN_NODE_PARAM) {
        n->owned = calloc(nn_shape_numel(&s), sizeof(float));
        if (!n->owned) return nn_graph_fail(g, "out of memory for '%s'", n->label);
        n->data = n->owned;
    }
    return id;
}

int nn_input(nn_graph *g, nn_shape s, const char *name) { return add_owned(g, NN_NODE_INPUT, s, name); }
int nn_param(nn_graph *g, nn_shape s, const char *name) { return add_owned(g, NN_NODE_PARAM, s, name); }

int nn_const(nn_graph *g, nn_shape s, float value)
{
    int id = add_owned(g, NN_NODE_CONST, s, NULL);
    if (id < 0) return -1;
    float *d = g->nodes[id].data;
    size_t n = nn_shape_numel(&s);
    for (size_t i = 0; i < n; i++) d[i] = value;
    return id;
}

int nn_op(nn_graph *g, int op, const int *in, int n_in, const nn_attrs *a)
{
    const nn_op_def *def = nn_op_def_at(op);
    if (!def) return nn_graph_fail(g, "unknown op #%d", op);
    for (int k = 0; k < n_in; k++)
        if (in[k] < 0 || in[k] >= g->n) return -1;       /* an earlier error propagates */
    if ((def->n_in >= 0 && n_in != def->n_in) || n_in < 1 || n_in > NN_MAX_INPUTS)
        return nn_graph_fail(g, "%s takes %d input(s), got %d", def->name, def->n_in, n_in);
    /* copies first: callers may pass attributes or inputs of an existing node, which move when
     * add_node grows the node array */
    nn_attrs attrs = a ? *a : (nn_attrs){0};
    int ins[NN_MAX_INPUTS];
    for (int k = 0; k < n_in; k++) ins[k] = in[k];
    int id = add_node(g, NN_NODE_OP, (nn_shape){0});
    if (id < 0) return -1;
    nn_node *n = &g->nodes[id];
    n->op = op;
    n->n_in = n_in;
    for (int k = 0; k < n_in; k++) n->in[k] = ins[k];
    n->a = attrs;
    if (def->infer(g, n) < 0) {
        g->n--;                                    /* drop the half-made node */
        return -1;
    }
    if (check_shape(g, n->shape) < 0) {
        g->n--;
        return -1;
    }
    return id;
}

int nn_op_named(nn_graph *g, const char *name, const int *in, int n_in, const nn_attrs *a)
{
    int op = nn_op_find(name);
    if (op < 0) return nn_graph_fail(g, "unknown op '%s'", name);
    return nn_op(g, op, in, n_in, a);
}

int nn_graph_alloc_params(nn_graph *g)
{
    size_t total = 0;
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].kind == NN_NODE_PARAM) total += nn_shape_numel(&g->nodes[i].shape);
    free(g->param_block);
    g->param_block = nn_big_calloc(total ? total : 1, sizeof(float));
    if (!g->param_block) return nn_graph_fail(g, "out of memory for %zu parameters", total);
    g->n_param_floats = total;
    size_t off = 0;
    for (int i = 0; i < g->n; i++) {
        nn_node *n = &g->nodes[i];
        if (n->kind != NN_NODE_PARAM) continue;
        n->data = g->param_block + off;
        n->bound = 1;
        off += nn_shape_numel(&n->shape);
    }
    return 0;
}

int nn_graph_share_params(nn_graph *dst, const nn_graph *src)
{
    int j = 0;
    for (int i = 0; i < dst->n; i++) {
        nn_node *d = &dst->nodes[i];
        if (d->kind != NN_NODE_PARAM) continue;
        while (j < src->n && src->nodes[j].kind != NN_NODE_PARAM) j++;
        if (j == src->n || !nn_shape_eq(&d->shape, &src->nodes[j].shape))
            return nn_graph_fail(dst, "internal: graphs of one model disagree on parameter '%s'", d->label);
        d->data = src->nodes[j].data;
        d->bound = 1;
        j++;
    }
    return 0;
}

void nn_node_bind(nn_graph *g, int id, float *data)
{
    nn_node *n = &g->nodes[id];
    free(n->owned);
    n->owned = NULL;
    n->data = data;
    n->bound = 1;
}

int nn_test_input(nn_graph *g, nn_shape s, nn_rng *r, float lo, float hi)
{
    int id = nn_input(g, s, "x");
    if (id < 0) return -1;
    float *d = g->nodes[id].data;
    size_t n = nn_shape_numel(&s);
    for (size_t i = 0; i < n; i++) d[i] = nn_rng_range(r, lo, hi);
    return id;
}
