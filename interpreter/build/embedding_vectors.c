/* Pre-trained word vectors for embedding layers (`vectors: FILE`): after the parameters are
 * initialised, each vocabulary word the file has gets its row; the others keep their random
 * start (PyTorch's N(0, 1)), as a user loading GloVe into nn.Embedding would do by hand. */
#include <stdio.h>
#include "embedding_vectors.h"
#include "nn/text.h"

int embedding_vectors_load(const spec *s, model_graph *m, const nn_vocab *vocab, diag *d)
{
    nn_graph *g = m->g;
    int rc = 0;
    for (int i = 0; i < s->nets[0].n_layers; i++) {
        const layer_spec *l = &s->nets[0].layers[i];
        if (l->kind != LY_EMBEDDING || !l->vectors[0]) continue;
        char err[1024];
        int found = 0;
        if (vocab->size == 0) {
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col,
                          "layer '%s': vectors need a word vocabulary (dataset: imdb with word tokens)", l->name);
            rc = -1;
        } else if (nn_word_vectors_load(l->vectors, vocab, nn_data(g, m->weight[i]), l->vocab, l->units, &found, err,
                                        sizeof err) < 0) {
            diag_error_at(d, l->pos.file, l->pos.line, l->pos.col, "layer '%s': %s", l->name, err);
            rc = -1;
        } else {
            int words = (vocab->size < l->vocab ? vocab->size : l->vocab) - 2;
            printf("%s: %d of %d words from %s%s\n", l->name, found, words, l->vectors, l->frozen ? " (frozen)" : "");
        }
    }
    return rc;
}
