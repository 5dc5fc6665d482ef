/* nn/expr.h — a small arithmetic expression language, parsed once and evaluated many times.
 *
 * Used for generated datasets (`function: "1/(1+25*x^2)"`) and anywhere a spec gives a formula.
 * Values are doubles; comparisons and and/or/not give 1 or 0, and any non-zero value is true.
 *
 *   numbers      2, 0.5, .5, 1e-3, 2.5E+4
 *   variables    x by default; the caller may name others (x0..x9 for N-D inputs)
 *   constants    pi, e
 *   operators    (lowest to highest precedence)
 *                  c ? a : b                      right-assoc; only the chosen branch runs
 *                  or  ||
 *                  and &&
 *                  not !                          prefix
 *                  < <= > >= == !=
 *                  + -
 *                  * /
 *                  unary - +                      so -2^2 = -4, as in maths
 *                  ^ **                           right-assoc: 2^3^2 = 512; 2^-1 = 0.5
 *   functions    sin cos tan asin acos atan sinh cosh tanh exp log log2 log10 sqrt abs
 *                floor ceil round sign sigmoid (one argument); pow min max atan2 (two);
 *                if(c, a, b) (lazy, like c ? a : b)
 *
 * Example: "x < 0 ? 5 + sin(x) + sin(2*x) + sin(3*x) + sin(4*x) : cos(10*x)".
 *
 * Internally the source is compiled to a short stack-machine program (no recursion and no
 * allocation at evaluation time), so evaluating it is cheap and a nn_expr may be shared by
 * threads.
 */
#ifndef NN_EXPR_H
#define NN_EXPR_H

#include <stddef.h>

typedef struct nn_expr nn_expr;

/* Parses src with the single variable "x". On error returns NULL, writes a message such as
 * "expected ')' at column 7" or "unknown function 'sine' (did you mean 'sin'?) at column 0"
 * into err, and the 0-based column of the problem into *err_col (err_col may be NULL). */
nn_expr *nn_expr_parse(const char *src, char *err, size_t errlen, int *err_col);

/* The same with caller-given variable names: vars[k] in nn_expr_eval is the value of
 * names[k]. Names are identifiers; they may not shadow a function or constant. */
nn_expr *nn_expr_parse_vars(const char *src, const char *const *names, int n_names,
                            char *err, size_t errlen, int *err_col);

/* Evaluates with vars[k] = value of variable k (at least nn_expr_vars_used() values). */
double nn_expr_eval(const nn_expr *e, const double *vars);

/* 1 + the highest variable index the expression reads (0 if it reads none). A caller that
 * has fewer values than this must not evaluate it. */
int nn_expr_vars_used(const nn_expr *e);

void nn_expr_free(nn_expr *e);

#endif
