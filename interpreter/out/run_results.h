/* run_results.h — the named results a run's report computes (pca_baseline's errors, a character
 * model's next-character accuracy), kept in a struct the caller owns: `nnrun SPEC` shows them,
 * a sweep gathers them into sweep.csv. */
#ifndef NNRUN_RUN_RESULTS_H
#define NNRUN_RUN_RESULTS_H

typedef struct {
    double ae_train, ae_test;       /* pca_baseline: ||x - x~||^2 per sample of the network, */
    double pca_train, pca_test;     /* and of PCA (training set, evaluation split) */
    double next_char_accuracy;      /* character models: per-step accuracy on the held-out text */
    double fd, fd_floor, fd_ceiling;   /* judge: Frechet distance of samples to the test images in the
                                          judge's features; of the training images; of noise images */
    double cube_r;                  /* cube_error: the last epoch's r, a generator's distance from U[-1, 1]^d */
    double judge_label_accuracy;    /* judge, conditional generators: samples judged as their label */
    double bce_floor;               /* a per-image BCE reconstructing the input: the test images'
                                       Bernoulli entropy, the least it can be */
    double test_loss_mean;          /* models sampling at evaluation (a VAE's sample_gaussian with
                                       eval: true): the test loss with the samplers at their mean */
} run_results;

/* Every result NaN: not computed (yet). */
run_results run_results_none(void);
/* The result named name ("pca_test", "next_char_accuracy", ...), or NULL when no result has
 * that name (a per-epoch metric such as "test_loss" is the trainer's: trainer_final). */
const double *run_results_find(const run_results *r, const char *name);

#endif
