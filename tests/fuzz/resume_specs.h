/* resume_specs.h — the trainers the resume-state harness checks its inputs against, shared with
 * make_seeds.c (which trains them a few steps to write real state files as seeds). Between them
 * every field and tensor of a state is in use: several epochs of history, a step log, running
 * sums of several terms, a classifier's right answers, two steps (one repeated), two loss groups
 * and the raw weights of a net with ema. */
#ifndef NNRUN_FUZZ_RESUME_SPECS_H
#define NNRUN_FUZZ_RESUME_SPECS_H
#include <stdio.h>
#include "trainer.h"

typedef struct {
    const char *file;   /* written in the scratch (or seed) directory */
    const char *text;
} resume_spec;

static const resume_spec resume_specs[] = {
    /* 48 points in batches of 16: 3 batches per epoch; two terms in one group */
    {"fit.yaml", "name: fit\n"
                 "data:\n"
                 "  train: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 48}\n"
                 "  test: {dataset: function, expr: \"sin(3*x)\", range: [-1, 1], n: 8}\n"
                 "model: {input: [1], layers: [{dense: 4, act: tanh}, {dense: 1, name: out}]}\n"
                 "loss: [{mse: {pred: out, target: target}}, {l1: {pred: out, target: target, weight: 0.5}}]\n"
                 "train: {optimizer: {sgd: {lr: 0.05, momentum: 0.9}}, batch: 16, epochs: 4}\n"},
    /* a GAN with an averaged generator: 4 batches per epoch, the second step run twice */
    {"gan.yaml", "name: gan\n"
                 "data: {train: {dataset: points, points: parabola, n: 64, range: [-1, 1]}}\n"
                 "nets:\n"
                 "  G: {input: {noise: [2]}, layers: [{dense: 4, act: tanh}, {dense: 2, name: xy}], ema: 0.8}\n"
                 "  D: {input: [2], layers: [{dense: 4, act: tanh}, {dense: 1, name: logit}]}\n"
                 "losses:\n"
                 "  d: [{bce_with_logits: {pred: D(data), target: 1}}, {bce_with_logits: {pred: D(G), target: 0}}]\n"
                 "  g: {bce_with_logits: {pred: D(G), target: 1}}\n"
                 "train:\n"
                 "  batch: 16\n"
                 "  epochs: 3\n"
                 "  steps: [{minimize: d, update: D}, {minimize: g, update: G, repeat: 2}]\n"},
};
#define N_RESUME_SPECS ((int)(sizeof resume_specs / sizeof *resume_specs))

/* Writes spec k into dir and sets up its trainer (s and t); 0, or -1 with the messages on stderr. */
static inline int resume_spec_trainer(int k, const char *dir, spec **s, trainer *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, resume_specs[k].file);
    FILE *f = fopen(path, "w");
    if (!f || fputs(resume_specs[k].text, f) < 0 || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    diag d;
    diag_init(&d);
    *s = spec_load(path, NULL, 0, &d);
    int rc = *s && trainer_init(t, *s, &d) == 0 ? 0 : -1;
    diag_print(&d, stderr);
    diag_free(&d);
    return rc;
}

#endif
