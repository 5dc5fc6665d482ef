/* Barnes-Hut's quadtree over a 2-D layout: each cell keeps its points' count and centre of
 * mass; a leaf holds one position (points at exactly the same place share a leaf, and so do
 * points still apart after MAX_DEPTH halvings). */
#include <stdlib.h>
#include "tsne_impl.h"

enum { MAX_DEPTH = 60 };

struct qt_node {
    double cx, cy, hw;   /* the cell: its centre and half its side */
    double mx, my;       /* the centre of mass of its points (a leaf: their position) */
    int count;           /* points in the cell */
    int child;           /* the first of its 4 children (quadrant x >= cx: +1, y >= cy: +2), -1: a leaf */
};

void tsne_quadtree_free(tsne_quadtree *t)
{
    free(t->node);
    t->node = NULL, t->n = t->cap = 0;
}

/* A new empty leaf; its index, or -1 when out of memory. */
static int add_node(tsne_quadtree *t, double cx, double cy, double hw)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 1024;
        struct qt_node *p = realloc(t->node, (size_t)cap * sizeof *p);
        if (!p) return -1;
        t->node = p, t->cap = cap;
    }
    t->node[t->n] = (struct qt_node){cx, cy, hw, 0, 0, 0, -1};
    return t->n++;
}

/* Leaf k's points move into the one of 4 new children their position falls in. */
static int split(tsne_quadtree *t, int k)
{
    double cx = t->node[k].cx, cy = t->node[k].cy, h = t->node[k].hw / 2;
    int first = t->n;
    for (int q = 0; q < 4; q++)
        if (add_node(t, cx + (q & 1 ? h : -h), cy + (q & 2 ? h : -h), h) < 0) return -1;
    struct qt_node *c = &t->node[k];
    struct qt_node *into = &t->node[first + (c->mx >= cx) + 2 * (c->my >= cy)];
    into->mx = c->mx, into->my = c->my, into->count = c->count;
    c->child = first;
    return 0;
}

static int insert(tsne_quadtree *t, double x, double y)
{
    for (int k = 0, depth = 0;; depth++) {
        struct qt_node *c = &t->node[k];
        if (c->child < 0) {
            if (c->count == 0 || (c->mx == x && c->my == y) || depth == MAX_DEPTH) {
                c->count++;
                c->mx += (x - c->mx) / c->count, c->my += (y - c->my) / c->count;
                return 0;
            }
            if (split(t, k) < 0) return -1;
            c = &t->node[k];
        }
        c->count++;
        c->mx += (x - c->mx) / c->count, c->my += (y - c->my) / c->count;
        k = c->child + (x >= c->cx) + 2 * (y >= c->cy);
    }
}

int tsne_quadtree_build(tsne_quadtree *t, const double *y, int n)
{
    double lo[2] = {y[0], y[1]}, hi[2] = {y[0], y[1]};
    for (int i = 1; i < n; i++)
        for (int a = 0; a < 2; a++) {
            if (y[2 * i + a] < lo[a]) lo[a] = y[2 * i + a];
            if (y[2 * i + a] > hi[a]) hi[a] = y[2 * i + a];
        }
    double side = hi[0] - lo[0] > hi[1] - lo[1] ? hi[0] - lo[0] : hi[1] - lo[1];
    t->n = 0;
    if (add_node(t, (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, side / 2) < 0) return -1;
    for (int i = 0; i < n; i++)
        if (insert(t, y[2 * i], y[2 * i + 1]) < 0) return -1;
    return 0;
}

static void repulse(const tsne_quadtree *t, int k, double px, double py, double theta2, double *f, double *z)
{
    const struct qt_node *c = &t->node[k];
    if (c->count == 0) return;
    double dx = px - c->mx, dy = py - c->my, d2 = dx * dx + dy * dy;
    if (c->child >= 0 && !(4 * c->hw * c->hw < theta2 * d2)) {   /* too close to take whole: open it */
        for (int q = 0; q < 4; q++) repulse(t, c->child + q, px, py, theta2, f, z);
        return;
    }
    /* A leaf at the point itself holds it (and its duplicates, whose force is 0 but whose q is 1). */
    int others = c->child < 0 && d2 == 0 ? c->count - 1 : c->count;
    double q = 1 / (1 + d2);
    *z += others * q;
    f[0] += others * q * q * dx, f[1] += others * q * q * dy;
}

void tsne_quadtree_repulsion(const tsne_quadtree *t, double px, double py, double theta, double *f, double *z)
{
    repulse(t, 0, px, py, theta * theta, f, z);
}
