/* The effective difference of two specs, as key paths (see spec_merge.h for the format). */
#include "spec_merge.h"
#include <stdlib.h>
#include <string.h>

#define FLOW_MAX 80            /* longer added/removed values are listed leaf by leaf */
#define LCS_MAX_CELLS 4000000  /* bigger sequences are compared index by index */

typedef struct {
    FILE *out;
    int count;
    char *path;                /* current key path, e.g. "model.layers.3" */
    size_t len, cap;
} differ;

/* Appends ".comp" (or "comp" at the root); returns the old length to restore with pop. */
static size_t push(differ *D, const char *comp)
{
    size_t old = D->len, need = D->len + strlen(comp) + 2;
    if (need > D->cap) {
        char *p = realloc(D->path, need * 2);
        if (!p) return old;   /* keep the shorter path rather than fail the diff */
        D->path = p;
        D->cap = need * 2;
    }
    if (D->len) D->path[D->len++] = '.';
    strcpy(D->path + D->len, comp);
    D->len += strlen(comp);
    return old;
}

static size_t push_index(differ *D, int i)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", i);
    return push(D, buf);
}

static void pop(differ *D, size_t old)
{
    D->len = old;
    if (D->path) D->path[old] = '\0';
}

static const char *shown_path(const differ *D) { return D->len ? D->path : "(root)"; }

static void print_side(differ *D, char sign, const ynode *n)
{
    char *flow = yemit_flow(n);
    if (n->kind == YN_SCALAR || n->n == 0 || (flow && strlen(flow) <= FLOW_MAX)) {
        fprintf(D->out, "%c %s: %s\n", sign, shown_path(D), flow ? flow : "?");
        D->count++;
    } else {
        for (int i = 0; i < n->n; i++) {
            size_t old = n->kind == YN_MAP ? push(D, n->keys[i]) : push_index(D, i);
            print_side(D, sign, n->items[i]);
            pop(D, old);
        }
    }
    free(flow);
}

static void print_change(differ *D, const ynode *a, const ynode *b)
{
    char *fa = yemit_flow(a), *fb = yemit_flow(b);
    fprintf(D->out, "~ %s: %s -> %s\n", shown_path(D), fa ? fa : "?", fb ? fb : "?");
    D->count++;
    free(fa);
    free(fb);
}

static void diff_node(differ *D, const ynode *a, const ynode *b);

static void diff_maps(differ *D, const ynode *a, const ynode *b)
{
    for (int i = 0; i < a->n; i++) {
        size_t old = push(D, a->keys[i]);
        const ynode *bv = ymap_get(b, a->keys[i]);
        if (bv) diff_node(D, a->items[i], bv);
        else print_side(D, '-', a->items[i]);
        pop(D, old);
    }
    for (int j = 0; j < b->n; j++) {
        if (ymap_index(a, b->keys[j]) >= 0) continue;
        size_t old = push(D, b->keys[j]);
        print_side(D, '+', b->items[j]);
        pop(D, old);
    }
}

/* Between two matched items: the first removed items pair with the first added ones and
 * are diffed in place (path uses b's index); the rest are plain '-' (a's index) or '+'. */
static void diff_run(differ *D, const ynode *a, int i0, int i1, const ynode *b, int j0, int j1)
{
    int paired = (i1 - i0) < (j1 - j0) ? i1 - i0 : j1 - j0;
    for (int k = 0; k < paired; k++) {
        size_t old = push_index(D, j0 + k);
        diff_node(D, a->items[i0 + k], b->items[j0 + k]);
        pop(D, old);
    }
    for (int i = i0 + paired; i < i1; i++) {
        size_t old = push_index(D, i);
        print_side(D, '-', a->items[i]);
        pop(D, old);
    }
    for (int j = j0 + paired; j < j1; j++) {
        size_t old = push_index(D, j);
        print_side(D, '+', b->items[j]);
        pop(D, old);
    }
}

/* Longest common subsequence of equal items, so inserting one layer is one '+' line. */
static void diff_seqs(differ *D, const ynode *a, const ynode *b)
{
    int n = a->n, m = b->n;
    int *L = (long)(n + 1) * (m + 1) <= LCS_MAX_CELLS ? calloc((size_t)(n + 1) * (m + 1), sizeof *L) : NULL;
    if (!L) {                                     /* huge: compare item by item */
        diff_run(D, a, 0, n, b, 0, m);
        return;
    }
#define LCS(i, j) L[(size_t)(i) * (m + 1) + (j)]  /* LCS length of a[i..] and b[j..] */
    for (int i = n - 1; i >= 0; i--)
        for (int j = m - 1; j >= 0; j--)
            LCS(i, j) = ynode_equal(a->items[i], b->items[j]) ? LCS(i + 1, j + 1) + 1
                        : LCS(i + 1, j) > LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1);
    int i = 0, j = 0, ri = 0, rj = 0;             /* ri, rj: start of the unmatched run */
    while (i < n || j < m) {
        if (i < n && j < m && ynode_equal(a->items[i], b->items[j]) && LCS(i, j) == LCS(i + 1, j + 1) + 1) {
            diff_run(D, a, ri, i, b, rj, j);
            ri = ++i;
            rj = ++j;
        } else if (j >= m || (i < n && LCS(i + 1, j) >= LCS(i, j + 1))) {
            i++;
        } else {
            j++;
        }
    }
    diff_run(D, a, ri, n, b, rj, m);
#undef LCS
    free(L);
}

static void diff_node(differ *D, const ynode *a, const ynode *b)
{
    if (ynode_equal(a, b)) return;
    if (a->kind == YN_MAP && b->kind == YN_MAP) diff_maps(D, a, b);
    else if (a->kind == YN_SEQ && b->kind == YN_SEQ) diff_seqs(D, a, b);
    else print_change(D, a, b);
}

int ydiff(const ynode *a, const ynode *b, FILE *out)
{
    differ D = {.out = out};
    diff_node(&D, a, b);
    free(D.path);
    return D.count;
}
