/* Fuzz harness: the expression parser (nn/expr.h), on any bytes as the source. Each input is
 * parsed with the one variable x and with the variables x0..x3; what parses is evaluated at a
 * few points, none of which may read a variable the caller did not give. */
#include "fuzz_util.h"
#include "nn/expr.h"

static const char *const var_names[] = {"x0", "x1", "x2", "x3"};
#define N_VARS ((int)(sizeof var_names / sizeof *var_names))

static const double points[][N_VARS] = {{0, 0, 0, 0}, {1, -1, 0.5, 2}, {-2.5, 1e300, -1e-300, 3}, {1e308, -0.0, 7, -7}};

static void parse_and_eval(const char *src, int with_vars)
{
    char err[256];
    int col = -2;
    nn_expr *e = with_vars ? nn_expr_parse_vars(src, var_names, N_VARS, err, sizeof err, &col)
                           : nn_expr_parse(src, err, sizeof err, &col);
    if (!e) {   /* a message and a column inside the source (or just past its end) */
        FUZZ_ASSERT(err[0] != 0);
        FUZZ_ASSERT(col >= 0 && (size_t)col <= strlen(src));
        return;
    }
    int used = nn_expr_vars_used(e);
    FUZZ_ASSERT(used >= 0 && used <= (with_vars ? N_VARS : 1));
    for (size_t p = 0; p < sizeof points / sizeof *points; p++) (void)nn_expr_eval(e, points[p]);
    nn_expr_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src) return 0;
    memcpy(src, data, size);
    src[size] = 0;
    parse_and_eval(src, 0);
    parse_and_eval(src, 1);
    free(src);
    return 0;
}
