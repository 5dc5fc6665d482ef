/* cli.h — the nnrun commands. Each returns the process exit status:
 * 0 success, 1 run-time failure, 2 bad spec or usage, 3 non-finite loss, 130 interrupted by
 * SIGINT (Ctrl-C), 143 by SIGTERM. */
#ifndef NNRUN_CLI_H
#define NNRUN_CLI_H

int cmd_train(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_ops(int argc, char **argv);       /* cli_ops.c */
int cmd_decode(int argc, char **argv);
int cmd_compare(int argc, char **argv);   /* cli_compare.c */
int cmd_runs(int argc, char **argv);      /* cli_runs.c */
int cmd_sample(int argc, char **argv);    /* cli_sample.c */
int cmd_layers(int argc, char **argv);    /* cli_lang.c */
int cmd_schema(int argc, char **argv);    /* cli_lang.c */
int cmd_resolve(int argc, char **argv);   /* cli_lang.c */
int cmd_bleu(int argc, char **argv);      /* cli_bleu.c */
int cmd_translate(int argc, char **argv); /* cli_translate.c */
int cmd_corpus(int argc, char **argv);    /* cli_data.c */
int cmd_vectors(int argc, char **argv);   /* cli_data.c */

/* Common options of the commands that take a spec: --set, --out, --epochs, ... */
typedef struct {
    const char *spec;
    const char *overrides[64];
    int n_overrides;
    const char *out;
    int resume, quiet, profile;
    char extra[4][96];           /* overrides made from --epochs, --limit-batches */
    int n_extra;
} spec_args;

/* Parses argv[1..] into a; prints usage and returns 2 on a bad option, 1 after --help. */
int parse_spec_args(int argc, char **argv, const char *usage, int allow_train_opts, spec_args *a);

/* A whole number in [lo, hi] for option opt of command cmd; -1 with a message on stderr if text
 * is not one. */
int cli_whole_number(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out);

#endif
