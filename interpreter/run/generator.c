/* New samples from a trained model (generator.h). */
#include "generator.h"
#include "nn/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does the plan read node `src`? */
static int plan_reads(const nn_graph *g, const nn_plan *p, int src)
{
    for (int t = 0; t < p->n; t++) {
        const nn_node *op = &g->nodes[p->order[t]];
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] == src) return 1;
    }
    return 0;
}

static int resolve(model_graph *m, const char *expr, char *err, size_t errlen)
{
    diag d;
    diag_init(&d);
    int id = model_resolve(m, expr, (spec_pos){m->s->file, 0, 0}, &d);
    if (id < 0) snprintf(err, errlen, "'%s': %s", expr, d.n ? d.items[0].msg : m->g->err);
    diag_free(&d);
    return id;
}

int generator_open(generator *gen, const spec *s, const data_info *di, const model_graph *weights, const char *of,
                   const char *from, int batch, char *err, size_t errlen)
{
    memset(gen, 0, sizeof *gen);
    gen->from = -1;
    diag d;
    diag_init(&d);
    nn_rng unused;
    nn_rng_seed(&unused, s->seed);
    gen->m = model_build(s, di, batch, 0, weights, &unused, &d);
    if (!gen->m) snprintf(err, errlen, "%s", d.n ? d.items[0].msg : "out of memory");
    diag_free(&d);
    if (!gen->m) return -1;
    model_graph *m = gen->m;
    if ((gen->out = resolve(m, of, err, errlen)) < 0) return -1;
    if (from && (gen->from = resolve(m, from, err, errlen)) < 0) return -1;
    char why[512];
    if (from && model_start_at_node(m, gen->from, gen->out, why, sizeof why) < 0) {
        snprintf(err, errlen, "'%s' from '%s': %s", of, from, why);
        return -1;
    }
    if (!from && model_plan_only(m, gen->out) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (plan_reads(m->g, m->plan, m->x)) {
        snprintf(err, errlen, "'%s' depends on the data, so it cannot be drawn from noise alone%s", of,
                 from ? "" : "; name the layer to feed with N(0, I) draws (from: z)");
        return -1;
    }
    gen->conditional = m->t >= 0 && plan_reads(m->g, m->plan, m->t);
    gen->n_classes = m->n_classes;
    gen->logits = spec_pred_is_logits(s, of);
    gen->sample = m->g->nodes[gen->out].shape;
    gen->sample.ndim--;
    memmove(gen->sample.d, gen->sample.d + 1, sizeof(int) * (size_t)gen->sample.ndim);
    gen->width = nn_shape_numel(&gen->sample);
    return 0;
}

/* Runs the n samples in batches: class ids from labels (conditional), `from` fed with the
 * given values z or, when z is NULL, draws from `feed`. */
static void run_batches(generator *gen, const int *labels, const float *z, nn_rng *feed, int n, float *out)
{
    model_graph *m = gen->m;
    nn_graph *g = m->g;
    int B = m->batch;
    size_t fw = gen->from >= 0 ? nn_numel(g, gen->from) / (size_t)B : 0;
    for (int start = 0; start < n; start += B) {
        int k = n - start < B ? n - start : B;
        if (gen->conditional) {
            float *t = nn_data(g, m->t);
            for (int i = 0; i < B; i++) t[i] = (float)labels[start + (i < k ? i : 0)];
        }
        if (gen->from >= 0) {
            float *v = nn_data(g, gen->from);
            for (size_t i = 0; i < (size_t)B * fw; i++)
                v[i] = z ? (i < (size_t)k * fw ? z[(size_t)start * fw + i] : 0.0f) : nn_rng_normal(feed);
        }
        nn_plan_run(g, m->plan);
        float *dst = out + (size_t)start * gen->width;
        memcpy(dst, nn_data(g, gen->out), (size_t)k * gen->width * sizeof(float));
        if (gen->logits)
            for (size_t i = 0; i < (size_t)k * gen->width; i++) dst[i] = 1.0f / (1.0f + expf(-dst[i]));
    }
}

static int check_labels(const generator *gen, const int *labels, int n, char *err, size_t errlen)
{
    if (gen->conditional && !labels) {
        snprintf(err, errlen, "this generator is conditional: it needs a class per sample");
        return -1;
    }
    for (int i = 0; gen->conditional && i < n; i++)
        if (labels[i] < 0 || labels[i] >= gen->n_classes) {
            snprintf(err, errlen, "class %d is not one of the %d classes", labels[i], gen->n_classes);
            return -1;
        }
    return 0;
}

int generator_draw(generator *gen, uint64_t seed, const int *labels, int n, float *out, char *err, size_t errlen)
{
    if (check_labels(gen, labels, n, err, errlen) < 0) return -1;
    nn_rng_seed(&gen->m->g->rng, seed);           /* the graph's noise inputs */
    nn_rng feed;                                  /* the values fed to `from` */
    nn_rng_seed(&feed, seed ^ 0x5a17e5ULL);
    run_batches(gen, labels, NULL, &feed, n, out);
    return 0;
}

int generator_decode(generator *gen, const float *z, const int *labels, int n, float *out, char *err, size_t errlen)
{
    if (gen->from < 0) {
        snprintf(err, errlen, "decoding chosen values needs a layer to feed them to (from)");
        return -1;
    }
    if (check_labels(gen, labels, n, err, errlen) < 0) return -1;
    nn_rng_seed(&gen->m->g->rng, 1);
    run_batches(gen, labels, z, NULL, n, out);
    return 0;
}

size_t generator_from_width(const generator *gen)
{
    return gen->from < 0 ? 0 : nn_numel(gen->m->g, gen->from) / (size_t)gen->m->batch;
}

void generator_close(generator *gen)
{
    model_free(gen->m);
    gen->m = NULL;
}
