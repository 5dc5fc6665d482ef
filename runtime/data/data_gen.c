/* Generated datasets: samples of a function y = f(x) with noise, and point clouds
 * (a parabola in the plane, a uniform cube, a standard Gaussian). */
#include "nn/data.h"
#include "data_util.h"
#include <math.h>
#include <string.h>

/* Uniform double in [0, 1) with 53 random bits (finer than nn_rng_uniform's 24). */
static double uniform53(nn_rng *r) { return (double)(nn_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); }

static int check_range(double lo, double hi, char *err, size_t errlen)
{
    if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
        return nn_fail(err, errlen, "invalid range [%g, %g]: need finite lo < hi", lo, hi);
    return 0;
}

static int check_function_args(const nn_expr *f, double lo, double hi, int n, int random, float sigma, nn_rng *r,
                               char *err, size_t errlen)
{
    if (!f) return nn_fail(err, errlen, "function dataset: no expression given");
    if (nn_expr_vars_used(f) > 1)
        return nn_fail(err, errlen, "function dataset: the expression reads %d variables but only x is given",
                            nn_expr_vars_used(f));
    if (n < 1) return nn_fail(err, errlen, "function dataset: n = %d, need at least 1 point", n);
    if (check_range(lo, hi, err, errlen) < 0) return -1;
    if (!(sigma >= 0) || !isfinite(sigma))
        return nn_fail(err, errlen, "function dataset: noise sigma %g must be >= 0", (double)sigma);
    if (!r && (random || sigma > 0))
        return nn_fail(err, errlen, "function dataset: random points or noise need a random generator");
    return 0;
}

int nn_gen_function(const nn_expr *f, double lo, double hi, int n, int random, float noise_sigma, nn_rng *r,
                    nn_dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (check_function_args(f, lo, hi, n, random, noise_sigma, r, err, errlen) < 0) return -1;
    if (nn_dataset_alloc(out, n, nn_shape1(1), 1, err, errlen) < 0) return -1;
    for (int i = 0; i < n; i++) {
        double x;
        if (random) x = lo + (hi - lo) * uniform53(r);
        else x = (i == n - 1 && n > 1) ? hi : lo + (hi - lo) * i / (n > 1 ? n - 1 : 1);
        double y = nn_expr_eval(f, &x);
        if (!isfinite(y) || fabs(y) > 3.4e38) {
            nn_dataset_free(out);
            return nn_fail(err, errlen, "function dataset: f(x) = %g at x = %.9g (point %d of %d); choose a "
                                "range where the function is defined and finite", y, x, i + 1, n);
        }
        if (noise_sigma > 0) y += noise_sigma * (double)nn_rng_normal(r);
        out->x[i] = (float)x;
        out->y[i] = (float)y;
    }
    return 0;
}

static const char *const point_kind_names[] = {
    [NN_POINTS_PARABOLA] = "parabola", [NN_POINTS_CUBE] = "cube", [NN_POINTS_GAUSSIAN] = "gaussian",
};
#define N_POINT_KINDS ((int)(sizeof point_kind_names / sizeof point_kind_names[0]))

int nn_points_kind_from_name(const char *name)
{
    for (int k = 0; name && k < N_POINT_KINDS; k++)
        if (strcmp(name, point_kind_names[k]) == 0) return k;
    return -1;
}

const char *nn_points_kind_name(nn_points_kind kind)
{
    return (int)kind >= 0 && (int)kind < N_POINT_KINDS ? point_kind_names[kind] : "unknown";
}

static int check_points_args(nn_points_kind kind, int n, int *d, double lo, double hi, nn_rng *r, char *err,
                             size_t errlen)
{
    if ((int)kind < 0 || (int)kind >= N_POINT_KINDS)
        return nn_fail(err, errlen, "points: unknown kind %d (parabola, cube or gaussian)", (int)kind);
    const char *name = point_kind_names[kind];
    if (n < 1) return nn_fail(err, errlen, "%s points: n = %d, need at least 1", name, n);
    if (!r) return nn_fail(err, errlen, "%s points: need a random generator", name);
    if (kind == NN_POINTS_PARABOLA && *d == 0) *d = 2;
    if (kind == NN_POINTS_PARABOLA && *d != 2)
        return nn_fail(err, errlen, "parabola points are 2-D (x, x^2): d must be 2, got %d", *d);
    if (*d < 1 || *d > (1 << 20)) return nn_fail(err, errlen, "%s points: dimension d = %d is invalid", name, *d);
    if (kind != NN_POINTS_GAUSSIAN && check_range(lo, hi, err, errlen) < 0) return -1;
    return 0;
}

int nn_gen_points(nn_points_kind kind, int n, int d, double lo, double hi, nn_rng *r, nn_dataset *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (check_points_args(kind, n, &d, lo, hi, r, err, errlen) < 0) return -1;
    if (nn_dataset_alloc(out, n, nn_shape1(d), 0, err, errlen) < 0) return -1;
    for (int i = 0; i < n; i++) {
        float *p = out->x + (size_t)i * (size_t)d;
        if (kind == NN_POINTS_PARABOLA) {
            double x = lo + (hi - lo) * uniform53(r);
            p[0] = (float)x;
            p[1] = (float)(x * x);
        } else {
            for (int k = 0; k < d; k++)
                p[k] = kind == NN_POINTS_CUBE ? (float)(lo + (hi - lo) * uniform53(r)) : nn_rng_normal(r);
        }
    }
    return 0;
}
