/* Embedding layers against the data's vocabularies, in every net the graph calls: each table
 * must hold every id of the vocabulary its `words:` names (x's words, or a translation's
 * English), since an id past the table makes the loss NaN in the middle of training; and a
 * layer with `vectors: FILE` gets, after the parameters are initialised, the row of each
 * vocabulary word the file has, the others keeping their random start (PyTorch's N(0, 1)), as
 * a user loading GloVe into nn.Embedding would do by hand. The coverage is printed per layer. */
#include <stdio.h>
#include "embedding_vectors.h"
#include "nn/text.h"

static const char *const words_names[EMB_WORDS_COUNT] = {"source", "target"};

/* One embedding layer l of net n, its table at `table`. */
static int load_layer(const spec *s, int n, const layer_spec *l, float *table, const nn_vocab *vocab, diag *d)
{
    const nn_vocab *v = &vocab[l->words];
    char name[2 * SPEC_NAME_LEN + 2], err[1024];
    snprintf(name, sizeof name, "%s%s%s", s->n_nets > 1 ? s->nets[n].name : "", s->n_nets > 1 ? "." : "", l->name);
    if (v->size > l->vocab) {
        diag_error_at(d, l->pos.file, l->pos.line, l->pos.col,
                      "layer '%s': vocab %d, but the data's %s vocabulary has %d ids (0..%d): set vocab: %d", name, l->vocab,
                      words_names[l->words], v->size, v->size - 1, v->size);
        return -1;
    }
    if (!l->vectors[0]) return 0;
    int found = 0;
    if (v->size == 0) {
        diag_error_at(d, l->pos.file, l->pos.line, l->pos.col,
                      "layer '%s': vectors need the data's %s vocabulary (dataset: imdb with word tokens, or translation)", name,
                      words_names[l->words]);
        return -1;
    }
    if (nn_word_vectors_load(l->vectors, v, table, l->vocab, l->units, &found, err, sizeof err) < 0) {
        diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", name, err);
        return -1;
    }
    int words = v->size - v->first_word;
    printf("%s: %d of %d %s words (%.1f%%) from %s%s\n", name, found, words, words_names[l->words],
           words > 0 ? 100.0 * found / words : 0.0, l->vectors, l->frozen ? " (frozen)" : "");
    return 0;
}

int embedding_vectors_load(const spec *s, model_graph *m, const nn_vocab *vocab, diag *d)
{
    int rc = 0;
    for (int n = 0; n < s->n_nets; n++) {
        int c = model_first_call(m, n);   /* the call holding the net's parameters */
        for (int i = 0; c >= 0 && i < s->nets[n].n_layers; i++) {
            const layer_spec *l = &s->nets[n].layers[i];
            if (l->kind == LY_EMBEDDING && load_layer(s, n, l, nn_data(m->g, m->calls[c].weight[i]), vocab, d) < 0) rc = -1;
        }
    }
    return rc;
}
