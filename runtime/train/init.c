/* Weight initialisers (torch.nn.init formulas); orthogonal goes through LAPACK's QR. */
#include "nn/init.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK (Fortran ABI, in libopenblas): QR factorisation and the explicit Q. */
void sgeqrf_(const int *m, const int *n, float *a, const int *lda, float *tau, float *work, const int *lwork,
             int *info);
void sorgqr_(const int *m, const int *n, const int *k, float *a, const int *lda, const float *tau, float *work,
             const int *lwork, int *info);

static const char *const init_names[NN_INIT_KIND_COUNT] = {
    "zeros",     "constant",  "normal",     "uniform",      "xavier_normal", "xavier_uniform",
    "he_normal", "he_uniform", "orthogonal", "lecun_normal", "torch_default",
};

#define INIT_FAIL(...)                                         \
    do {                                                       \
        if (err && errlen) snprintf(err, errlen, __VA_ARGS__); \
        return -1;                                             \
    } while (0)

const char *nn_init_kind_name(nn_init_kind kind)
{
    return (unsigned)kind < NN_INIT_KIND_COUNT ? init_names[kind] : "?";
}

int nn_init_kind_from_name(const char *name)
{
    static const struct { const char *alias; nn_init_kind kind; } aliases[] = {
        {"glorot_normal", NN_INIT_XAVIER_NORMAL},   {"glorot_uniform", NN_INIT_XAVIER_UNIFORM},
        {"kaiming_normal", NN_INIT_HE_NORMAL},      {"kaiming_uniform", NN_INIT_HE_UNIFORM},
    };
    if (!name) return -1;
    for (int k = 0; k < NN_INIT_KIND_COUNT; k++)
        if (strcmp(name, init_names[k]) == 0) return k;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0) return (int)aliases[i].kind;
    return -1;
}

float nn_init_default_gain(nn_init_kind kind)
{
    switch (kind) {
    case NN_INIT_HE_NORMAL:
    case NN_INIT_HE_UNIFORM:
        return sqrtf(2.0f);          /* calculate_gain('relu') */
    case NN_INIT_TORCH_DEFAULT:
        return sqrtf(1.0f / 3.0f);   /* calculate_gain('leaky_relu', sqrt(5)) = sqrt(2/(1+5)) */
    default:
        return 1.0f;
    }
}

void nn_init_defaults(nn_init_kind kind, nn_init *init)
{
    memset(init, 0, sizeof *init);
    init->kind = kind;
    init->std = 1.0f;
    init->hi = 1.0f;
    init->gain = nn_init_default_gain(kind);
}

int nn_init_check(const nn_init *init, char *err, size_t errlen)
{
    const char *n = nn_init_kind_name(init->kind);
    switch (init->kind) {
    case NN_INIT_ZEROS:
        return 0;
    case NN_INIT_CONSTANT:
        if (!isfinite(init->value)) INIT_FAIL("init constant: value is %g; give a finite number", init->value);
        return 0;
    case NN_INIT_NORMAL:
        if (!isfinite(init->mean)) INIT_FAIL("init normal: mean is %g; give a finite number", init->mean);
        if (!(init->std >= 0) || isinf(init->std)) INIT_FAIL("init normal: std is %g; it must be >= 0 and finite", init->std);
        return 0;
    case NN_INIT_UNIFORM:
        if (!isfinite(init->lo) || !isfinite(init->hi) || !(init->lo <= init->hi))
            INIT_FAIL("init uniform: range [%g, %g] is not valid; give finite lo <= hi", init->lo, init->hi);
        return 0;
    default:
        if ((unsigned)init->kind >= NN_INIT_KIND_COUNT)
            INIT_FAIL("init: unknown kind %d", (int)init->kind);
        if (isnan(init->gain) || isinf(init->gain))
            INIT_FAIL("init %s: gain is %g; give a finite number (<= 0 for the default)", n, init->gain);
        return 0;
    }
}

/* ---- elementwise fills -------------------------------------------------------------- */
static void fill_normal(float *w, size_t n, float mean, float std, nn_rng *r)
{
    for (size_t i = 0; i < n; i++) w[i] = mean + std * nn_rng_normal(r);
}

static void fill_uniform(float *w, size_t n, float lo, float hi, nn_rng *r)
{
    for (size_t i = 0; i < n; i++) w[i] = nn_rng_range(r, lo, hi);
}

static float gain_of(const nn_init *init)
{
    return init->gain > 0 ? init->gain : nn_init_default_gain(init->kind);
}

static int needs_rng(nn_init_kind k) { return k != NN_INIT_ZEROS && k != NN_INIT_CONSTANT; }

/* Kinds that need no fans, shared by weights and biases. Returns 1 if it handled the kind. */
static int fill_plain(float *w, size_t n, const nn_init *init, nn_rng *r)
{
    switch (init->kind) {
    case NN_INIT_ZEROS:
        memset(w, 0, n * sizeof *w);
        return 1;
    case NN_INIT_CONSTANT:
        for (size_t i = 0; i < n; i++) w[i] = init->value;
        return 1;
    case NN_INIT_NORMAL:
        fill_normal(w, n, init->mean, init->std, r);
        return 1;
    case NN_INIT_UNIFORM:
        fill_uniform(w, n, init->lo, init->hi, r);
        return 1;
    default:
        return 0;
    }
}

/* ---- orthogonal --------------------------------------------------------------------- */
/* Q of an m x k Gaussian matrix (m >= k), column-major in a (lda m), each column multiplied by
 * the sign of R's diagonal entry so that Q is uniformly (Haar) distributed. */
static int gaussian_q(float *a, int m, int k, nn_rng *r, char *err, size_t errlen)
{
    fill_normal(a, (size_t)m * (size_t)k, 0.0f, 1.0f, r);
    /* Workspace queries (lwork = -1): the larger of the two optimal sizes serves both. */
    int info = 0, lwork = -1;
    float wq1 = 0, wq2 = 0, tau_q = 0;
    sgeqrf_(&m, &k, a, &m, &tau_q, &wq1, &lwork, &info);
    sorgqr_(&m, &k, &k, a, &m, &tau_q, &wq2, &lwork, &info);
    lwork = k;
    if ((int)wq1 > lwork) lwork = (int)wq1;
    if ((int)wq2 > lwork) lwork = (int)wq2;
    float *tau = malloc((size_t)k * sizeof *tau), *work = malloc((size_t)lwork * sizeof *work);
    float *sign = malloc((size_t)k * sizeof *sign);
    if (!tau || !work || !sign) {
        free(tau), free(work), free(sign);
        INIT_FAIL("init orthogonal: out of memory for a %d x %d QR", m, k);
    }
    sgeqrf_(&m, &k, a, &m, tau, work, &lwork, &info);
    for (int j = 0; info == 0 && j < k; j++) sign[j] = a[(size_t)j * m + j] < 0 ? -1.0f : 1.0f;
    if (info == 0) sorgqr_(&m, &k, &k, a, &m, tau, work, &lwork, &info);
    for (int j = 0; info == 0 && j < k; j++)
        for (int i = 0; i < m; i++) a[(size_t)j * m + i] *= sign[j];
    free(tau), free(work), free(sign);
    if (info != 0) INIT_FAIL("init orthogonal: LAPACK QR failed (info %d) on a %d x %d matrix", info, m, k);
    return 0;
}

/* w (rows x cols, row-major) = gain * Q. PyTorch factors the matrix itself when rows >= cols
 * and its transpose otherwise, then transposes Q back; Q (m x k, column-major) maps to w as
 * w[i][j] = Q[i][j] (rows >= cols) or Q[j][i] (rows < cols). */
static int fill_orthogonal(float *w, int rows, int cols, float gain, nn_rng *r, char *err, size_t errlen)
{
    int tall = rows >= cols, m = tall ? rows : cols, k = tall ? cols : rows;
    float *a = malloc((size_t)m * (size_t)k * sizeof *a);
    if (!a) INIT_FAIL("init orthogonal: out of memory for a %d x %d matrix", rows, cols);
    if (gaussian_q(a, m, k, r, err, errlen) < 0) {
        free(a);
        return -1;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            w[(size_t)i * cols + j] = gain * (tall ? a[(size_t)j * m + i] : a[(size_t)i * m + j]);
    free(a);
    return 0;
}

/* ---- the fills ---------------------------------------------------------------------- */
static int check_call(const void *w, const nn_init *init, const nn_rng *r, const char *what, char *err,
                      size_t errlen)
{
    if (!init) INIT_FAIL("init %s: no initialiser given", what);
    if (nn_init_check(init, err, errlen) < 0) return -1;
    if (!w) INIT_FAIL("init %s: no memory to fill", what);
    if (needs_rng(init->kind) && !r) INIT_FAIL("init %s: %s draws random numbers but no rng was given", what,
                                               nn_init_kind_name(init->kind));
    return 0;
}

/* rows x cols = the matrix as stored; fan_in / fan_out as PyTorch counts them. */
static int fill_matrix(float *w, int rows, int cols, int fan_in, int fan_out, const nn_init *init, nn_rng *r,
                       char *err, size_t errlen)
{
    size_t n = (size_t)rows * (size_t)cols;
    if (fill_plain(w, n, init, r)) return 0;
    float g = gain_of(init);
    float xavier = g * sqrtf(2.0f / ((float)fan_in + (float)fan_out));
    float by_fan_in = g / sqrtf((float)fan_in);   /* he, lecun, torch_default */
    switch (init->kind) {
    case NN_INIT_XAVIER_NORMAL: fill_normal(w, n, 0.0f, xavier, r); return 0;
    case NN_INIT_XAVIER_UNIFORM: fill_uniform(w, n, -sqrtf(3.0f) * xavier, sqrtf(3.0f) * xavier, r); return 0;
    case NN_INIT_HE_NORMAL:
    case NN_INIT_LECUN_NORMAL: fill_normal(w, n, 0.0f, by_fan_in, r); return 0;
    case NN_INIT_HE_UNIFORM:
    case NN_INIT_TORCH_DEFAULT: fill_uniform(w, n, -sqrtf(3.0f) * by_fan_in, sqrtf(3.0f) * by_fan_in, r); return 0;
    case NN_INIT_ORTHOGONAL: return fill_orthogonal(w, rows, cols, g, r, err, errlen);
    default: INIT_FAIL("init: unknown kind %d", (int)init->kind);
    }
}

int nn_init_fill(float *w, int fan_out, int fan_in, const nn_init *init, nn_rng *r, char *err, size_t errlen)
{
    if (check_call(w, init, r, "weight", err, errlen) < 0) return -1;
    if (fan_out <= 0 || fan_in <= 0)
        INIT_FAIL("init %s: weight is %d x %d; both sizes must be >= 1", nn_init_kind_name(init->kind), fan_out, fan_in);
    return fill_matrix(w, fan_out, fan_in, fan_in, fan_out, init, r, err, errlen);
}

int nn_init_fill_conv(float *w, int out_ch, int in_ch, int ksize, const nn_init *init, nn_rng *r, char *err,
                      size_t errlen)
{
    if (check_call(w, init, r, "conv weight", err, errlen) < 0) return -1;
    if (out_ch <= 0 || in_ch <= 0 || ksize <= 0 || (long long)in_ch * ksize > 0x7fffffff ||
        (long long)out_ch * ksize > 0x7fffffff)
        INIT_FAIL("init %s: conv weight out %d, in %d, kernel size %d; each must be >= 1 (and the fans fit an int)",
                  nn_init_kind_name(init->kind), out_ch, in_ch, ksize);
    return fill_matrix(w, out_ch, in_ch * ksize, in_ch * ksize, out_ch * ksize, init, r, err, errlen);
}

int nn_init_fill_bias(float *b, int n, int fan_in, const nn_init *init, nn_rng *r, char *err, size_t errlen)
{
    if (check_call(b, init, r, "bias", err, errlen) < 0) return -1;
    if (n <= 0) INIT_FAIL("init %s: bias has %d elements; it must have >= 1", nn_init_kind_name(init->kind), n);
    if (fill_plain(b, (size_t)n, init, r)) return 0;
    if (init->kind != NN_INIT_TORCH_DEFAULT)
        INIT_FAIL("init %s: not for biases (it needs a weight matrix); use zeros, constant, normal, uniform or "
                  "torch_default", nn_init_kind_name(init->kind));
    if (fan_in <= 0) INIT_FAIL("init torch_default: bias fan_in is %d; give the layer's fan_in (>= 1)", fan_in);
    float bound = 1.0f / sqrtf((float)fan_in);   /* nn.Linear.reset_parameters */
    fill_uniform(b, (size_t)n, -bound, bound, r);
    return 0;
}
