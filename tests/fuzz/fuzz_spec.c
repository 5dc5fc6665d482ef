/* Fuzz harness: a spec file through everything `nnrun check` does (spec_check_build: YAML,
 * extends, schema, references, data description, the graph for one sample with every shape
 * inferred, class ids on disk) and the printing of its messages, without training. Each input
 * is written to fuzz.yaml in the scratch directory, beside links to every spec of specs/
 * (NNRUN_FUZZ_SPECS names another folder), so that `extends: cae_mnist.yaml` finds its parent.
 * A spec with no error has a graph; one with errors has messages that say where. */
#include "fuzz_util.h"
#include <glob.h>
#include "spec_check.h"

static FILE *devnull;

/* Links specs/ *.yaml into the scratch directory. */
static void link_specs(void)
{
    const char *dir = getenv("NNRUN_FUZZ_SPECS");
    char pattern[4096], *real = realpath(dir && *dir ? dir : "specs", NULL);
    if (!real) return;   /* no parents: extends fails, as it would for a user */
    snprintf(pattern, sizeof pattern, "%s/*.yaml", real);
    free(real);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char link[FUZZ_PATH_LEN];
        const char *base = strrchr(g.gl_pathv[i], '/') + 1;
        if (symlink(g.gl_pathv[i], fuzz_path(base, link)) != 0) perror(link);
    }
    globfree(&g);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    link_specs();
    devnull = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_LEN];
    fuzz_write_file(fuzz_path("fuzz.yaml", path), data, size);
    diag d;
    diag_init(&d);
    model_graph *m = NULL;
    spec *s = spec_check_build(path, NULL, 0, &m, &d);
    /* a valid spec has its graph, unless it is a data study (no network) */
    FUZZ_ASSERT(diag_count(&d) > 0 || (s && (m || s->n_nets == 0)));
    FUZZ_ASSERT(!m || (s && s->n_nets > 0));
    for (int i = 0; i < d.n; i++) FUZZ_ASSERT(d.items[i].file && d.items[i].msg && d.items[i].msg[0]);
    if (devnull) diag_print(&d, devnull);
    model_free(m);
    spec_free(s);
    diag_free(&d);
    return 0;
}
