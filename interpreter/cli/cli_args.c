/* Option parsing shared by the commands that take a spec. */
#include "cli.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int positive(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 1 || v > 1 << 30) return -1;
    *out = (int)v;
    return 0;
}

int cli_whole_number(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "nnrun %s: %s takes a whole number from %ld to %ld, not '%s'\n", cmd, opt, lo, hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

int parse_spec_args(int argc, char **argv, const char *usage, int allow_train_opts, spec_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int n;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if (strcmp(o, "--set") == 0 && i + 1 < argc) {
            if (a->n_overrides == 64) {
                fprintf(stderr, "nnrun: at most 64 --set options\n");
                return 2;
            }
            a->overrides[a->n_overrides++] = argv[++i];
        } else if (strncmp(o, "--set=", 6) == 0 && a->n_overrides < 64) {
            a->overrides[a->n_overrides++] = o + 6;
        } else if (allow_train_opts && strcmp(o, "--out") == 0 && i + 1 < argc) {
            a->out = argv[++i];
        } else if (allow_train_opts && strcmp(o, "--resume") == 0) {
            a->resume = 1;
        } else if (allow_train_opts && strcmp(o, "--quiet") == 0) {
            a->quiet = 1;
        } else if (allow_train_opts && strcmp(o, "--profile") == 0) {
            a->profile = 1;
        } else if (allow_train_opts && (strcmp(o, "--epochs") == 0 || strcmp(o, "--limit-batches") == 0) && i + 1 < argc) {
            if (positive(argv[i + 1], &n) < 0 || a->n_extra == 4) {
                fprintf(stderr, "nnrun: %s takes a positive whole number, not '%s'\n", o, argv[i + 1]);
                return 2;
            }
            snprintf(a->extra[a->n_extra], sizeof a->extra[0], "train.%s=%d", o[2] == 'e' ? "epochs" : "limit_batches", n);
            a->overrides[a->n_overrides++] = a->extra[a->n_extra++];
            i++;
        } else if (o[0] == '-' && o[1]) {
            fprintf(stderr, "nnrun: unknown option '%s' (see --help)\n", o);
            return 2;
        } else if (!a->spec) {
            a->spec = o;
        } else {
            fprintf(stderr, "nnrun: unexpected argument '%s' (see --help)\n", o);
            return 2;
        }
    }
    if (!a->spec) {
        fputs(usage, stderr);
        return 2;
    }
    return 0;
}
