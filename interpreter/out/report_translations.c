/* The translations report: a translation model's test part translated by greedy search and by
 * beam search (translate_eval.h), each scored with sacreBLEU's corpus BLEU (printed with its
 * signature, and on the page); the outputs and the references as text files, one sentence a
 * line (test_greedy.txt, test_beam.txt, test_reference.txt: `nnrun bleu` scores them again,
 * and other systems' outputs the same way); BLEU per epoch (the trainer's test_bleu column) as
 * a figure; sample translations as a table; and for the first of them, the weights of the
 * decoder's last attention over the source as maps, output words over source words. */
#include "report.h"
#include "report_text.h"
#include "html_text.h"
#include "../run/seq_search.h"
#include "../run/translate_eval.h"
#include "nn/atomic_file.h"
#include "nn/plot.h"
#include "nn/text.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX_WORDS 64

/* name: one sentence of lines[0..n) a line, in the run folder */
static int write_lines(const trainer *t, const char *name, char *const *lines, int n, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", t->s->out_dir, name);
    nn_atomic_file *af = nn_atomic_open(path, err, errlen);
    if (!af) return -1;
    FILE *f = nn_atomic_stream(af);
    for (int i = 0; i < n; i++) fprintf(f, "%s\n", lines[i]);
    return nn_atomic_commit(af, err, errlen);
}

/* BLEU after each epoch, from the trainer's test_bleu column. */
static int bleu_curve(trainer *t, report_figures *figs, char *err, size_t errlen)
{
    const history *h = &t->h;
    for (int c = 0; c < h->n_cols; c++) {
        if (strcmp(h->name[c], "test_bleu") != 0 || h->n < 1) continue;
        float x[h->n];
        for (int e = 0; e < h->n; e++) x[e] = (float)(e + 1);
        nn_series s = {"greedy", x, h->col[c], h->n, NN_STYLE_LINE_POINTS};
        char path[1100], title[160];
        snprintf(path, sizeof path, "%s/bleu_curve.png", t->s->out_dir);
        snprintf(title, sizeof title, "%s: %s BLEU after each epoch (greedy search)", t->s->name, t->data.test_name);
        nn_line_options o = {.whole_x = 1};
        if (nn_plot_lines_with(path, title, "epoch", "BLEU", &s, 1, &o, err, errlen) < 0) return -1;
        report_add_figure(figs, "bleu_curve.png", title);
    }
    return 0;
}

/* The words of a sentence split at spaces, at most max, pointing into buf (a copy). */
static int split_words(const char *sentence, char *buf, size_t len, const char **words, int max)
{
    snprintf(buf, len, "%s", sentence);
    int n = 0;
    for (char *p = strtok(buf, " "); p && n < max; p = strtok(NULL, " ")) words[n++] = p;
    return n;
}

int report_attention_map(const char *png, const char *title, const char *source, const int *tokens, const float *att, int steps,
                         int src_len, const nn_vocab *vocab, char *err, size_t errlen)
{
    char buf[1024];
    const char *src[MAP_MAX_WORDS], *out[MAP_MAX_WORDS];
    float m[MAP_MAX_WORDS * MAP_MAX_WORDS];
    int ns = split_words(source, buf, sizeof buf, src, src_len < MAP_MAX_WORDS ? src_len : MAP_MAX_WORDS), no = 0;
    while (no < steps && no < MAP_MAX_WORDS && (no == 0 || tokens[no - 1] != NN_PAIR_EOS) && tokens[no] != 0) {
        out[no] = nn_vocab_word(vocab, tokens[no], NULL);
        no++;
    }
    if (ns == 0 || no == 0) {
        snprintf(err, errlen, "%s: nothing to draw (no source word or no output)", png);
        return -1;
    }
    for (int r = 0; r < no; r++)
        for (int c = 0; c < ns; c++) m[r * ns + c] = att[r * src_len + c];
    return nn_plot_heatmap(png, title, m, no, ns, out, src, 1, "source", "output", err, errlen);
}

/* Test sentence i's attention map, the k-th figure. */
static int attention_map(trainer *t, step_decoder *sd, int i, int k, report_figures *figs, char *err, size_t errlen)
{
    const nn_dataset *ds = &t->data.test;
    int T = step_decoder_steps(sd), S, tokens[MAP_MAX_WORDS];
    if (!step_decoder_attention(sd, &S)) return 0;   /* no attention over the source: no map */
    if (T > MAP_MAX_WORDS || S > MAP_MAX_WORDS) return 0;
    float att[MAP_MAX_WORDS * MAP_MAX_WORDS];
    size_t xn = nn_shape_numel(&ds->sample);
    if (seq_search(sd, ds->x + (size_t)i * xn, 1, 1, NN_PAIR_EOS, tokens, att, err, errlen) < 0) return -1;
    char path[1100], file[64], title[160];
    snprintf(file, sizeof file, "attention_map_%d.png", k + 1);
    snprintf(path, sizeof path, "%s/%s", t->s->out_dir, file);
    snprintf(title, sizeof title, "%s: attention over the source, %s sentence %d", t->s->name, t->data.test_name, i + 1);
    if (report_attention_map(path, title, t->data.test_text[0][i], tokens, att, T, S, &t->data.vocab[EMB_WORDS_TARGET], err,
                             errlen) < 0)
        return -1;
    report_add_figure(figs, file, title);
    return 0;
}

static void note_samples(trainer *t, const report_spec *r, char *const *greedy, char *const *beam, report_figures *figs)
{
    int n = r->count < t->data.test.n ? r->count : t->data.test.n;
    if (n == 0) return;
    report_note(figs, "<h3>Sample translations (%s)</h3><table><tr><th>source</th><th>reference</th><th>greedy</th>%s</tr>",
                t->data.test_name, beam ? "<th>beam</th>" : "");
    for (int i = 0; i < n; i++) {
        char a[512], b[512], c[512], d[512];
        report_note(figs, "<tr><td>%s</td><td>%s</td><td>%s</td>", html_escaped(t->data.test_text[0][i], a, sizeof a),
                    html_escaped(t->data.test_text[1][i], b, sizeof b), html_escaped(greedy[i], c, sizeof c));
        if (beam) report_note(figs, "<td>%s</td>", html_escaped(beam[i], d, sizeof d));
        report_note(figs, "</tr>");
    }
    report_note(figs, "</table>\n");
}

int report_translations(trainer *t, const report_spec *r, report_figures *figs, char *err, size_t errlen)
{
    int n = t->data.test.n, rc = 0;
    if (!t->data.test_text[1] || n == 0) {
        snprintf(err, errlen, "translations: the data has no translation test part");
        return -1;
    }
    char **greedy = calloc((size_t)n, sizeof *greedy), **beam = r->beam > 1 ? calloc((size_t)n, sizeof *beam) : NULL;
    translate_score g, b;
    if (!greedy || (r->beam > 1 && !beam)) rc = -1, snprintf(err, errlen, "out of memory");
    if (rc == 0) rc = translate_test(t->eval_full, &t->data, 1, n, greedy, &g, err, errlen);
    if (rc == 0 && beam) rc = translate_test(t->eval_full, &t->data, r->beam, n, beam, &b, err, errlen);
    if (rc == 0) rc = write_lines(t, "test_reference.txt", t->data.test_text[1], n, err, errlen);
    if (rc == 0) rc = write_lines(t, "test_greedy.txt", greedy, n, err, errlen);
    if (rc == 0 && beam) rc = write_lines(t, "test_beam.txt", beam, n, err, errlen);
    if (rc == 0) {
        const char *split = t->data.test_name;
        printf("%s BLEU, greedy search: %.2f (BLEU|%s)\n", split, g.bleu, g.signature);
        report_note(figs, "<p>%s BLEU (sacreBLEU's corpus BLEU, %s), greedy search: <b>%.2f</b>", split, g.signature, g.bleu);
        if (beam) {
            printf("%s BLEU, beam search (%d beams, length-normalised): %.2f\n", split, r->beam, b.bleu);
            report_note(figs, "; beam search with %d beams: <b>%.2f</b>", r->beam, b.bleu);
        }
        report_note(figs, " (%d sentences; outputs in test_greedy.txt%s, references in test_reference.txt)</p>\n", n,
                    beam ? " and test_beam.txt" : "");
        note_samples(t, r, greedy, beam, figs);
        rc = bleu_curve(t, figs, err, errlen);
    }
    if (rc == 0 && r->maps > 0) {
        step_decoder *sd = step_decoder_new(t->eval_full, translate_pred_layer(t->s), 1, err, errlen);
        if (!sd) rc = -1;
        for (int k = 0; rc == 0 && k < r->maps && k < n; k++) rc = attention_map(t, sd, k, k, figs, err, errlen);
        step_decoder_free(sd);
    }
    translate_outputs_free(greedy, n);
    translate_outputs_free(beam, n);
    return rc;
}
