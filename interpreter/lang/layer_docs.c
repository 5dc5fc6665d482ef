/* `nnrun layers`: the layer table as text, or as docs/spec.md's markdown table (a test keeps
 * the two equal). Activations are listed where LY_ACTIVATION's row is, one row each. */
#include "layer_table.h"
#include <string.h>

/* A layer or an activation, as the printers see it. */
typedef struct {
    const char *key;
    unsigned forms, flags;
    const opt_def *opts;
    const char *doc;
} layer_view;

/* Markdown: a '|' inside a cell would end it. */
static void md_put(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputc('\\', out);
        fputc(*s, out);
    }
}

static void md_forms(FILE *out, const layer_view *v)
{
    char map[512];
    int n = 0, parts = !!(v->forms & LV_NONE) + !!(v->forms & LV_VALUE) + !!(v->forms & LV_MAP);
    const char *sep[] = {"", parts == 2 ? " or " : ", ", " or "};
    if (v->forms & LV_NONE) fprintf(out, "%snone", sep[n++]);
    if (v->forms & LV_VALUE) fprintf(out, "%s`%s`", sep[n++], v->opts[0].key);
    if (v->forms & LV_MAP) {
        opts_summary(v->opts, map, sizeof map);
        fprintf(out, "%s`%s`", sep[n++], map);
    }
}

static void md_options(FILE *out, const layer_view *v)
{
    int n = 0;
    for (const opt_def *o = v->opts; o && o->key; o++, n++) {
        char type[128], def[64];
        opt_type_text(o, type, sizeof type);
        fprintf(out, "%s`%s` ", n ? "<br>" : "", o->key);
        md_put(out, type);
        if (o->flags & OPT_REQUIRED) fputs(", required", out);
        else if (opt_default_text(o, NULL, NULL, def, sizeof def)) fprintf(out, ", default `%s`", def);
        fputs(": ", out);
        md_put(out, o->doc);
    }
    if (v->flags & (LF_ACT | LF_WEIGHTS))
        fprintf(out, "%salso %s%s", n ? "<br>" : "", (v->flags & LF_ACT) ? "`act`, " : "", "`init`, `bias_init`, `bias`, `l1`, `l2`");
}

static void print_markdown_row(FILE *out, const layer_view *v)
{
    fprintf(out, "| `%s` | ", v->key);
    md_forms(out, v);
    fputs(" | ", out);
    md_options(out, v);
    fputs(" | ", out);
    md_put(out, v->doc);
    fputs(" |\n", out);
}

static void print_text_row(FILE *out, const layer_view *v)
{
    char forms[640];
    layer_forms_text(v->forms, v->opts, forms, sizeof forms);
    fprintf(out, "%-16s %s\n%-16s %s\n", v->key, forms, "", v->doc);
    if (v->flags & (LF_ACT | LF_WEIGHTS))
        fprintf(out, "%-16s also takes %sinit, bias_init, bias, l1, l2\n", "", (v->flags & LF_ACT) ? "act, " : "");
    for (const opt_def *o = v->opts; o && o->key; o++) {
        char type[128], def[64];
        opt_type_text(o, type, sizeof type);
        if (o->flags & OPT_REQUIRED) snprintf(def, sizeof def, "required");
        else if (!opt_default_text(o, NULL, NULL, def, sizeof def)) def[0] = 0;
        fprintf(out, "  %-14s %-28s %-10s %s\n", o->key, type, def, o->doc);
    }
    fputc('\n', out);
}

static void print_common(FILE *out)
{
    fprintf(out, "Every layer also takes (act only dense and convolutions; init, bias_init, bias, l1, l2 only layers with "
                 "weights):\n");
    for (const opt_def *o = layer_common_opts; o->key; o++) {
        char type[128], def[64];
        opt_type_text(o, type, sizeof type);
        if (!opt_default_text(o, NULL, NULL, def, sizeof def)) def[0] = 0;
        fprintf(out, "  %-14s %-28s %-10s %s\n", o->key, type, def, o->doc);
    }
}

static void print_view(FILE *out, const layer_view *v, int markdown)
{
    if (markdown) print_markdown_row(out, v);
    else print_text_row(out, v);
}

void layers_print(FILE *out, int markdown)
{
    if (markdown) fputs("| type | value | options | output |\n|---|---|---|---|\n", out);
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        const layer_def *l = layer_def_of((layer_kind)k);
        if (!(l->flags & LF_BY_ACT)) {
            print_view(out, &(layer_view){l->key, l->forms, l->flags, l->opts, l->doc}, markdown);
            continue;
        }
        for (int a = ACT_NONE + 1; a < ACT_KIND_COUNT; a++) {   /* LY_ACTIVATION: one row per activation */
            const act_def *act = act_def_of((act_kind)a);
            print_view(out, &(layer_view){act->name, act_forms(act), 0, act->opts, act->doc}, markdown);
        }
    }
    if (!markdown) print_common(out);
}
