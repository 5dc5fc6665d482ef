/* call_expr.h — the references a spec writes in losses, metrics and reports.
 *
 *   recon                 a layer of the only net (a spec's single `model:`)
 *   input, data, target   what the data gives (input and data are the same batch)
 *   noise                 any other name a net's input declares: drawn from N(0, I) each step
 *   G                     net G applied to its own inputs, bound by name (G(noise) here)
 *   D(G), D(data)         D applied to G's output, to the real batch
 *   D(G(noise, label), label)   positional arguments, one per declared input; missing trailing
 *                         ones are bound by name
 *   G.code, D(G).hidden   a named layer of a call
 *   1, 0.9                a constant of the other operand's shape (a loss target)
 *
 * This file only parses; program_build.c gives the names a meaning. Calls are canonicalised
 * (spaces dropped) so that the same call written twice is built once. */
#ifndef NNRUN_CALL_EXPR_H
#define NNRUN_CALL_EXPR_H

#include <stddef.h>

#define CX_NAME_LEN 64
#define CX_MAX_ARGS 4
#define CX_MAX_NODES 32

typedef enum { CX_REF, CX_CALL, CX_NUMBER } cx_kind;

typedef struct {
    cx_kind kind;
    char name[CX_NAME_LEN];      /* CX_REF: a source, net or layer; CX_CALL: the net called */
    char layer[CX_NAME_LEN];     /* the ".layer" that follows, or "" */
    int args[CX_MAX_ARGS];       /* CX_CALL: argument nodes (indices into cx_expr.n) */
    int n_args;
    double value;                /* CX_NUMBER */
    int col;                     /* 0-based offset of the node's text, for messages */
} cx_node;

typedef struct {
    cx_node n[CX_MAX_NODES];
    int count;
    int root;
} cx_expr;

/* Parses text into e. On a syntax error returns -1 with a message in err and the 0-based
 * offset of the problem in *err_col. */
int cx_parse(const char *text, cx_expr *e, char *err, size_t errlen, int *err_col);

/* The canonical text of node i (no spaces), e.g. "D(G(noise,label),label).hidden". */
void cx_print(const cx_expr *e, int i, char *out, size_t len);

#endif
