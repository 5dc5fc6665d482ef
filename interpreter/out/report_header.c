/* The report's header, what ran: nnrun's version and commit, what ran its matrix products
 * (OpenBLAS's kernel, threads), when the page was written, the epochs and seconds of training,
 * the parameters, the final metrics in one line, and for a spec that extends another the keys
 * it changes (`nnrun diff` against its parent, --set overrides included). */
#include "report.h"
#include "html_text.h"
#include "../lang/spec_defaults.h"
#include "../lang/spec_merge.h"
#include "../version.h"
#include "nn/runtime.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The last epoch's losses and accuracies (not the per-term columns), "test" as the split used. */
static void put_final(FILE *f, const trainer *t)
{
    const history *h = &t->h;
    if (h->n == 0) return;
    int e = h->n - 1, shown = 0;
    fprintf(f, "<p class=\"final\">After epoch %d:", e + 1);
    for (int c = 0; c < h->n_cols; c++) {
        const char *name = h->name[c];
        float v = h->col[c][e];
        int split = strncmp(name, "train_", 6) == 0 ? 6 : strncmp(name, "test_", 5) == 0 ? 5 : 0;
        if (!split || strchr(name, '.') || isnan(v)) continue;
        fprintf(f, "%s %s %s ", shown++ ? " &middot;" : "", split == 6 ? "train" : t->data.test_name, name + split);
        if (h->fraction[c]) fprintf(f, "%.2f%%", 100.0 * v);
        else fprintf(f, "%.4g", v);
    }
    fputs("</p>\n", f);
}

/* The keys the spec changes against the parent it extends, as `nnrun diff` prints them. */
static void put_changes(FILE *f, const trainer *t)
{
    char *parent = spec_parent_file(t->s->file);
    if (!parent) return;
    diag d;
    diag_init(&d);
    ynode *pt = spec_load_resolved(parent, &d);
    ynode *pa = pt ? spec_with_defaults(pt, &d) : NULL, *ch = pa ? spec_with_defaults(t->s->tree, &d) : NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = ch ? open_memstream(&text, &len) : NULL;
    int lines = mem ? ydiff(pa, ch, mem) : -1;
    if (mem) fclose(mem);
    fputs("<details class=\"changes\"><summary>Extends <code>", f);
    html_write(f, parent, strlen(parent));
    if (lines < 0) fputs("</code> (not readable now: the keys it changes are not shown)</summary></details>\n", f);
    else fprintf(f, "</code>, changing %d key%s</summary><pre>", lines, lines == 1 ? "" : "s");
    if (lines >= 0) {
        html_write(f, text ? text : "", len);
        fputs("</pre></details>\n", f);
    }
    free(text);
    ynode_free(ch);
    ynode_free(pa);
    ynode_free(pt);
    diag_free(&d);
    free(parent);
}

void report_put_header(FILE *f, const trainer *t)
{
    const history *h = &t->h;
    double seconds = 0;
    for (int e = 0; e < h->n; e++) seconds += h->col[t->hc.seconds][e];
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    const model_graph *m = trainer_weights(t);
    fprintf(f, "<p class=\"ran\">nnrun %s (commit %s) &middot; %s kernels, %s &middot; written %s &middot; ", nnrun_version(),
            nnrun_commit(), nn_kernels_name(), nn_blas_description(), when);
    if (!t->s->n_nets) fputs("a data study: no network, nothing trained</p>\n", f);
    else
        fprintf(f, "%d epoch%s, %.1f s of training &middot; %zu parameters</p>\n", h->n, h->n == 1 ? "" : "s", seconds,
                m ? m->g->n_param_floats : (size_t)0);
    put_final(f, t);
    put_changes(f, t);
}
