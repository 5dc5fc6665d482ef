/* `nnrun layers | schema | resolve`: the spec language itself, from the key tables. */
#include "cli.h"
#include "../lang/json_write.h"
#include "../lang/layer_table.h"
#include "../lang/spec_defaults.h"
#include "../lang/spec_merge.h"
#include "../lang/spec.h"
#include "../lang/spec_tables.h"
#include <stdio.h>
#include <string.h>

static int is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

/* Takes the flags of names[] (NULL-terminated) out of argv, setting on[i]; returns the new argc. */
static int take_flags(int argc, char **argv, const char *const *names, int *on)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        int k = -1;
        for (int j = 0; i > 0 && names[j]; j++)
            if (strcmp(argv[i], names[j]) == 0) k = j;
        if (k >= 0) on[k] = 1;
        else argv[n++] = argv[i];
    }
    return n;
}

int cmd_layers(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun layers [--markdown]\n"
                                "Lists every layer type of the spec language with its value forms, options (type,\n"
                                "default, meaning) and output; --markdown prints docs/spec.md's layer table.\n";
    int markdown = argc == 2 && strcmp(argv[1], "--markdown") == 0;
    if (argc > 1 && !markdown) {
        fputs(usage, is_help(argv[1]) ? stdout : stderr);
        return is_help(argv[1]) ? 0 : 2;
    }
    layers_print(stdout, markdown);
    return 0;
}

int cmd_schema(int argc, char **argv)
{
    static const char usage[] = "usage: nnrun schema\n"
                                "Prints the spec language as a JSON Schema (draft 2020-12) for editors: save it and\n"
                                "point the YAML language server at it (see README.md, 'Editing specs').\n";
    if (argc > 1) {
        fputs(usage, is_help(argv[1]) ? stdout : stderr);
        return is_help(argv[1]) ? 0 : 2;
    }
    spec_json_schema(stdout);
    return 0;
}

static int print_tree(const ynode *t, int json)
{
    if (!json) return yemit(t, stdout);
    jw w;
    jw_init(&w, stdout);
    jw_ynode(&w, NULL, t);
    jw_finish(&w);
    return 0;
}

int cmd_resolve(int argc, char **argv)
{
    static const char usage[] =
        "usage: nnrun resolve SPEC [--set KEY.PATH=VALUE]... [--defaults] [--json] [--as-written]\n"
        "Prints SPEC with its extends chain merged, model.patch and --set applied: the spec `nnrun check`\n"
        "validates. --defaults also writes out every default (the run folder's spec.yaml); --json prints\n"
        "JSON, with values typed as nnrun reads them (for a JSON Schema validator, see `nnrun schema`);\n"
        "--as-written prints the file alone, extends not followed (what an editor checks).\n";
    static const char *const flags[] = {"--defaults", "--json", "--as-written", NULL};
    int on[3] = {0};
    argc = take_flags(argc, argv, flags, on);
    spec_args a;
    int rc = parse_spec_args(argc, argv, usage, 0, &a);
    if (rc) return rc == 1 ? 0 : rc;
    if (on[2] && a.n_overrides) {
        fputs("nnrun resolve: --as-written prints the file alone; it takes no --set\n", stderr);
        return 2;
    }
    diag d;
    diag_init(&d);
    ynode *t = on[2] ? ydoc_load_file(a.spec, &d) : spec_load_tree(a.spec, a.overrides, a.n_overrides, &d);
    ynode *full = t && on[0] ? spec_with_defaults(t, &d) : NULL;
    rc = 2;
    if (t && (!on[0] || full) && !diag_count(&d)) rc = print_tree(full ? full : t, on[1]) < 0 ? 1 : 0;
    diag_print(&d, stderr);
    ynode_free(full);
    ynode_free(t);
    diag_free(&d);
    return rc;
}
