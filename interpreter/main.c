/* nnrun — deep-learning experiments from YAML specs. Dispatches to the commands in cli_*.c. */
#include "cli/cli.h"
#include "nn/dist.h"
#include "nn/runtime.h"
#include "version.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnrun SPEC [options]          train the experiment SPEC describes\n"
    "       nnrun check SPEC [--set k=v]  validate a spec and infer every shape\n"
    "       nnrun summary SPEC [--math]   table of layers, shapes, parameters, FLOPs; --math: the equations\n"
    "       nnrun diff A.yaml B.yaml      effective difference of two specs\n"
    "       nnrun eval RUN_DIR            evaluate a trained run on its test data\n"
    "       nnrun decode RUN_DIR --layer L --points \"x,y; x,y\"   run the model from layer L\n"
    "       nnrun compare RUN_DIR...      trained runs side by side: images, losses, embeddings\n"
    "       nnrun runs [DIR]              one row per run folder: date, epochs, final losses, accuracy, BLEU, speed\n"
    "       nnrun sample RUN_DIR --count 10   new items of a generator or a VAE (--prime \"the \": a character model's text)\n"
    "       nnrun bleu HYP.txt REF.txt    corpus BLEU of any output, as sacreBLEU computes it\n"
    "       nnrun translate RUN_DIR \"je suis fatigue .\" [--beam 5]   a translation model's output (stdin: one per line)\n"
    "       nnrun ops [--bench]           list the runtime's ops; --bench times each one's forward and backward\n"
    "       nnrun layers [--markdown]     the spec language's layers, their options and defaults\n"
    "       nnrun schema                  the spec language as a JSON Schema (for editors)\n"
    "       nnrun resolve SPEC [--defaults] [--json]   the spec with extends, patches, --set applied\n"
    "       nnrun corpus [DIR] [--stats]  the translation pairs' normalised sentences (make data uses it)\n"
    "       nnrun vectors WINK.json OUT   wink's JSON word vectors as GloVe text (make data uses it)\n"
    "\n"
    "training options:\n"
    "  --set KEY.PATH=VALUE   override a spec value (repeatable), e.g. --set train.epochs=3\n"
    "  --epochs N             the same as --set train.epochs=N\n"
    "  --limit-batches N      at most N batches per epoch and per evaluation (quick trials, benchmarks)\n"
    "  --out DIR              run folder (default runs/<name>)\n"
    "  --resume               continue an interrupted run from its run folder\n"
    "  --quiet                no progress bar\n"
    "  --profile              print the time spent in each op at the end\n"
    "\n"
    "Every command takes --help. Exit status: 0 done, 1 failure, 2 bad spec or usage,\n"
    "3 non-finite loss, 130 interrupted by Ctrl-C, 143 by SIGTERM (a resumable checkpoint was written).\n";

/* The command argv[1] names (training when it names none). */
static int run_command(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("nnrun %s (%s kernels, %s)\n", nnrun_version(), nn_kernels_name(), nn_blas_description());
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {{"check", cmd_check}, {"summary", cmd_summary}, {"diff", cmd_diff},
                {"eval", cmd_eval},   {"ops", cmd_ops},         {"train", cmd_train},
                {"decode", cmd_decode}, {"compare", cmd_compare}, {"sample", cmd_sample},
                {"layers", cmd_layers}, {"schema", cmd_schema}, {"resolve", cmd_resolve}, {"runs", cmd_runs},
                {"bleu", cmd_bleu}, {"translate", cmd_translate}, {"corpus", cmd_corpus}, {"vectors", cmd_vectors}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) return cmds[i].run(argc - 1, argv + 1);
    return cmd_train(argc, argv);
}

int main(int argc, char **argv)
{
    char err[256];
    if (nn_dist_init(&argc, &argv, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun: %s\n", err);
        return 1;
    }
    nn_runtime_init();
    const char *kernels = getenv("NNRUN_KERNELS");   /* below the best this CPU runs: tests, comparisons */
    if (kernels && nn_kernels_choose(kernels, err, sizeof err) < 0) {
        fprintf(stderr, "nnrun: NNRUN_KERNELS=%s: %s\n", kernels, err);
        nn_dist_finalize();
        return 2;
    }
    int rc = run_command(argc, argv);
    nn_dist_finalize();
    return rc;
}
