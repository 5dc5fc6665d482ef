#!/usr/bin/python3
"""PyTorch (CPU) twins of nnrun's two French -> English translation specs.

The translation issue compares nnrun's seq2seq models with PyTorch twins trained "with the same
split, sizes and epochs". This script is those twins; it reads nnrun's data rather than
re-deriving it: the normalised sentences and the split come from `bin/nnrun corpus` (pairs
under 10 words: 21197 train, 2701 test), and the vocabularies are rebuilt here exactly as
nnrun's nn_vocab_build_sentences builds them (runtime/data/data_text_vocab.c): ids 0 <pad>,
1 <sos>, 2 <eos>, 3 <unk>, then the training part's words seen at least twice, by count, ties
going to the word seen first (7374 French, 6631 English ids).

  x: [10] French ids, right-padded with 0; y: [10] English ids, the words then EOS then PAD;
  the decoder reads SOS + y[:-1] (teacher forcing). Batches of 64 shuffled each epoch by a
  seeded torch.Generator, the last partial batch kept. Embeddings of 100 dims start from
  data/vectors/fr_skipgram_100d.vec (encoder) and en_glove_100d.txt (decoder), both fine-tuned;
  words the files lack keep nn.Embedding's N(0, 1) init, PAD's row is 0.

MODEL:
  seq2seq_transformer  2 encoder + 2 decoder nn.Transformer*Layer (d 100, 4 heads, ff 512,
                       dropout 0.1, post-norm, relu), learned position tables, Linear(100, 6631);
                       Adam 5e-4
  seq2seq_rnn          the PyTorch tutorial's EncoderRNN (GRU 256 over the real steps only) and
                       AttnDecoderRNN with Bahdanau attention (padding source steps masked);
                       Adam 1e-3
Loss: cross-entropy over the non-padding target tokens. After each epoch: the test loss (mean
over the test set's non-padding target tokens) and token accuracy (teacher-forced argmax).
After training: greedy decoding and beam search (--beam K; 0 skips it) of the test sources,
scored with `bin/nnrun bleu` (sacreBLEU's corpus BLEU).

Beam search (nnrun's, interpreter/run/seq_search.c): each sentence starts with one live
hypothesis, <sos>. At each of the (at most 10) steps every live hypothesis is extended by every
token and the 2K extensions of highest summed log-probability are taken in order: one that ends
with <eos>, or reaches 10 tokens, is finished (the first K finished are kept, scored summed
log-probability / length in tokens, <eos> included); the first K others are the next live
hypotheses. A sentence stops once K hypotheses have finished; the answer is the finished one of
best score.

Needs Debian's python3-torch; run with /usr/bin/python3 from the checkout's top folder:

  seq2seq_torch.py MODEL [--data data/translation] [--vectors data/vectors] [--epochs N]
                   [--limit-batches N] [--threads 2] [--beam K] [--out DIR]

Prints one line per epoch, then
  RESULT model=MODEL sec_per_epoch=MEDIAN epochs=N batches_per_epoch=B train_loss=...
         test_loss=... test_accuracy=... bleu_greedy=... bleu_beam=...
sec_per_epoch is training alone (evaluation and decoding excluded), the median over epochs.
DIR (default a new temporary folder) gets test_ref.txt, test_greedy.txt and test_beam.txt.
"""
import argparse, collections, os, re, statistics, subprocess, sys, tempfile, time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
# libgomp's waiting threads spin for milliseconds by default, which on a shared machine made
# PyTorch's small ops 5-10x slower; make bench runs its twins with this setting too
# (scripts/bench_common.sh). It must be set before torch loads libgomp.
os.environ.setdefault('GOMP_SPINCOUNT', '10000')
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, SOS, EOS, UNK, FIRST_WORD = 0, 1, 2, 3, 4
SPECIALS = ['<pad>', '<sos>', '<eos>', '<unk>']   # nn_vocab_word's names (nn/text.h)
MAX_WORDS = 10      # pairs with both sides under 10 words; sequences of 10 ids
MIN_COUNT = 2
BATCH = 64
EMB, HIDDEN = 100, 256
NNRUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bin', 'nnrun')


# ---- data: nnrun's sentences, vocabularies and vectors ----------------------------------------

def corpus(data, part, side):
    """The normalised sentences of one part and side, as `nnrun corpus` prints them."""
    out = subprocess.run([NNRUN, 'corpus', data, '--part', part, '--side', side, '--max-words', str(MAX_WORDS)],
                         check=True, stdout=subprocess.PIPE).stdout.decode('utf-8')
    return out.split('\n')[:-1]


def tokens(sentence):
    """The space-separated tokens (nn_vocab_encode: empty ones skipped)."""
    return [w for w in sentence.split(' ') if w]


def build_vocab(sentences):
    """nn_vocab_build_sentences: the specials, then the words seen MIN_COUNT times or more, by
    count, ties going to the word seen first (a Counter keeps first-seen order; sorted is stable)."""
    count = collections.Counter()
    for s in sentences:
        count.update(tokens(s))
    words = sorted(count, key=lambda w: -count[w])
    return SPECIALS + [w for w in words if count[w] >= MIN_COUNT]


def encode(sentences, w2i, end):
    """[n, 10] ids: the words (unknown -> UNK), then `end` (EOS or PAD), then PAD."""
    x = torch.zeros(len(sentences), MAX_WORDS, dtype=torch.long)
    for r, s in enumerate(sentences):
        ids = [w2i.get(w, UNK) for w in tokens(s)] + ([end] if end != PAD else [])
        assert 0 < len(ids) <= MAX_WORDS, s
        x[r, :len(ids)] = torch.tensor(ids)
    return x


def load_vectors(path, vocab, table):
    """Copies into table's rows the vectors of the vocabulary's words, as nn_word_vectors_load
    does: word2vec's "COUNT DIM" header skipped, a word's first line wins, specials left alone.
    Returns the number of words found."""
    w2i = {w.encode('utf-8'): i for i, w in enumerate(vocab) if i >= FIRST_WORD}
    seen = set()
    with open(path, 'rb') as f:
        for n, line in enumerate(f):
            if n == 0 and re.fullmatch(rb'\s*\d+\s+\d+\s*', line):
                continue
            word = re.match(rb'[^ \t\r\n]*', line).group(0)
            i = w2i.get(word)
            if i is None or i in seen:
                continue
            values = np.array(line[len(word):].split(), dtype=np.float32)
            assert len(values) == table.shape[1], '%s:%d: %d values' % (path, n + 1, len(values))
            table[i] = torch.from_numpy(values)
            seen.add(i)
    return len(seen)


def load_data(data):
    src_tr, tgt_tr = corpus(data, 'train', 'source'), corpus(data, 'train', 'target')
    src_te, tgt_te = corpus(data, 'test', 'source'), corpus(data, 'test', 'target')
    assert len(src_tr) == len(tgt_tr) and len(src_te) == len(tgt_te)
    fr, en = build_vocab(src_tr), build_vocab(tgt_tr)
    fr_ids, en_ids = {w: i for i, w in enumerate(fr)}, {w: i for i, w in enumerate(en)}
    d = dict(fr=fr, en=en, ref=tgt_te,
             xtr=encode(src_tr, fr_ids, PAD), ytr=encode(tgt_tr, en_ids, EOS),
             xte=encode(src_te, fr_ids, PAD), yte=encode(tgt_te, en_ids, EOS))
    print('translation: under %d words: %d train, %d test; vocabularies: %d French, %d English ids'
          % (MAX_WORDS, len(src_tr), len(src_te), len(fr), len(en)), flush=True)
    return d


def pretrained_embedding(vocab, path, side):
    emb = nn.Embedding(len(vocab), EMB, padding_idx=PAD)
    with torch.no_grad():
        found = load_vectors(path, vocab, emb.weight)
    print('vectors %s: %s %d/%d words found (%.1f%%)' % (side, path, found, len(vocab), 100.0 * found / len(vocab)),
          flush=True)
    return emb


def decoder_input(y):
    """SOS followed by y[:-1]."""
    return torch.cat([torch.full((y.shape[0], 1), SOS, dtype=y.dtype), y[:, :-1]], 1)


# ---- the models ---------------------------------------------------------------------------------
# Each has forward(x, dec_in) -> logits (N, T, V) for training, and for decoding
# encode(x) -> state, step(state, prefix) -> (log-probabilities (rows, V) of the next token,
# state), reorder(state, rows) -> the state of the rows kept by a beam.

class Transformer(nn.Module):
    def __init__(s, fr_emb, en_emb, vocab_out, heads=4, ff=512, layers=2, dropout=0.1):
        super().__init__()
        s.src_emb, s.src_pos = fr_emb, nn.Embedding(MAX_WORDS, EMB)
        s.tgt_emb, s.tgt_pos = en_emb, nn.Embedding(MAX_WORDS, EMB)
        s.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(EMB, heads, ff, dropout, batch_first=True), layers, norm=None,
            enable_nested_tensor=False)   # its eval fast path would trim memory to the longest source
        s.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(EMB, heads, ff, dropout, batch_first=True), layers, norm=None)
        s.out = nn.Linear(EMB, vocab_out)

    def encode(s, x):
        pad = x == PAD
        h = s.src_emb(x) + s.src_pos(torch.arange(x.shape[1]))
        return s.encoder(h, src_key_padding_mask=pad), pad

    def decode(s, memory, pad, dec_in):
        T = dec_in.shape[1]
        causal = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
        h = s.tgt_emb(dec_in) + s.tgt_pos(torch.arange(T))
        return s.decoder(h, memory, tgt_mask=causal, memory_key_padding_mask=pad)

    def forward(s, x, dec_in):
        return s.out(s.decode(*s.encode(x), dec_in))

    def step(s, state, prefix):   # re-runs the whole prefix (no cache: decoding speed is not measured)
        h = s.decode(*state, prefix)[:, -1]
        return F.log_softmax(s.out(h), -1), state

    def reorder(s, state, rows):
        return tuple(t[rows] for t in state)


class BahdanauAttention(nn.Module):
    """The tutorial's, with padding source steps masked before the softmax. Ua(keys) does not
    depend on the step, so it is computed once per batch (attend gets it as ukeys)."""
    def __init__(s, hidden):
        super().__init__()
        s.Wa, s.Ua, s.Va = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)

    def attend(s, query, keys, ukeys, pad):
        scores = s.Va(torch.tanh(s.Wa(query).unsqueeze(1) + ukeys)).squeeze(2)    # (N, S)
        weights = F.softmax(scores.masked_fill(pad, float('-inf')), -1)
        return torch.bmm(weights.unsqueeze(1), keys).squeeze(1)                   # (N, hidden)


class AttnRNN(nn.Module):
    """EncoderRNN: embedding, dropout, GRU over each sentence's real steps (packed), the final
    state the last real step's. AttnDecoderRNN, one step: embedding of the input token, dropout;
    query = the previous state; context = attention over the encoder outputs; GRU on
    [embedded, context]; Linear to the vocabulary. The decoder's one-step nn.GRU is written as
    nn.GRUCell (the same computation and initialisation)."""
    def __init__(s, fr_emb, en_emb, vocab_out, hidden=HIDDEN, dropout=0.1):
        super().__init__()
        s.src_emb, s.tgt_emb = fr_emb, en_emb
        s.enc_drop, s.dec_drop = nn.Dropout(dropout), nn.Dropout(dropout)
        s.enc_gru = nn.GRU(EMB, hidden, batch_first=True)
        s.attention = BahdanauAttention(hidden)
        s.dec_gru = nn.GRUCell(EMB + hidden, hidden)
        s.out = nn.Linear(hidden, vocab_out)

    def encode(s, x):
        pad = x == PAD
        lengths = (~pad).sum(1)
        packed = nn.utils.rnn.pack_padded_sequence(s.enc_drop(s.src_emb(x)), lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, h = s.enc_gru(packed)
        keys, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return h[0], keys, s.attention.Ua(keys), pad

    def cell(s, token, h, keys, ukeys, pad):
        """One decoder step: the new state from the input token and the previous state."""
        context = s.attention.attend(h, keys, ukeys, pad)
        return s.dec_gru(torch.cat([s.dec_drop(s.tgt_emb(token)), context], 1), h)

    def forward(s, x, dec_in):
        h, keys, ukeys, pad = s.encode(x)
        states = []
        for t in range(dec_in.shape[1]):
            h = s.cell(dec_in[:, t], h, keys, ukeys, pad)
            states.append(h)
        return s.out(torch.stack(states, 1))

    def step(s, state, prefix):
        h, keys, ukeys, pad = state
        h = s.cell(prefix[:, -1], h, keys, ukeys, pad)
        return F.log_softmax(s.out(h), -1), (h, keys, ukeys, pad)

    def reorder(s, state, rows):
        return tuple(t[rows] for t in state)


MODELS = {'seq2seq_transformer': (Transformer, 5e-4), 'seq2seq_rnn': (AttnRNN, 1e-3)}


# ---- training and evaluation --------------------------------------------------------------------

def batches(n, size, gen):
    perm = torch.randperm(n, generator=gen)
    for i in range(0, n, size):
        yield perm[i:i + size]


def train_epoch(m, opt, lossf, x, y, gen, limit):
    """One epoch; returns (seconds, mean batch loss, batches)."""
    m.train()
    t0, total, nb = time.perf_counter(), 0.0, 0
    for idx in batches(len(x), BATCH, gen):
        if limit and nb >= limit:
            break
        xb, yb = x[idx], y[idx]
        logits = m(xb, decoder_input(yb))
        loss = lossf(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
        nb += 1
    return time.perf_counter() - t0, total / max(nb, 1), nb


def evaluate(m, x, y, size=256):
    """Teacher-forced test loss and token accuracy (%), both over the non-padding targets."""
    m.eval()
    loss, right, count = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x), size):
            xb, yb = x[i:i + size], y[i:i + size]
            logits = m(xb, decoder_input(yb))
            loss += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), ignore_index=PAD,
                                    reduction='sum').item()
            real = yb != PAD
            right += ((logits.argmax(-1) == yb) & real).sum().item()
            count += real.sum().item()
    return loss / count, 100.0 * right / count


# ---- decoding -----------------------------------------------------------------------------------

def greedy(m, x):
    """[n, <=10] ids: the argmax token each step, from SOS, until every row has emitted EOS."""
    state = m.encode(x)
    prefix = torch.full((len(x), 1), SOS, dtype=torch.long)
    done = torch.zeros(len(x), dtype=torch.bool)
    for _ in range(MAX_WORDS):
        logp, state = m.step(state, prefix)
        tok = logp.argmax(-1)
        prefix = torch.cat([prefix, tok.unsqueeze(1)], 1)
        done |= tok == EOS
        if done.all():
            break
    return prefix[:, 1:].tolist()


def beam(m, x, k):
    """The beam search the module docstring describes (nnrun's, interpreter/run/seq_search.c),
    batched over sentences: row b*k + j of the state is sentence b's j-th beam slot; a slot not
    live scores -inf."""
    n = len(x)
    state = m.reorder(m.encode(x), torch.arange(n).repeat_interleave(k))
    prefix = torch.full((n * k, 1), SOS, dtype=torch.long)
    score = torch.full((n, k), float('-inf'))
    score[:, 0] = 0.0
    ended = [[] for _ in range(n)]                                         # (normalised score, ids)
    done = [False] * n
    for t in range(MAX_WORDS):
        logp, state = m.step(state, prefix)
        V = logp.shape[-1]
        cand = (score.unsqueeze(2) + logp.view(n, k, V)).view(n, k * V)
        value, flat = cand.topk(2 * k, -1)                                 # (n, 2k), best first
        rows, toks, new_score = [], [], torch.full((n, k), float('-inf'))
        for b in range(n):
            kept = 0
            for v, f in zip(value[b].tolist(), flat[b].tolist()):
                if done[b] or kept == k or v == float('-inf'):
                    break
                slot, tok = f // V, f % V
                if tok == EOS or t + 1 == MAX_WORDS:
                    if len(ended[b]) < k:
                        ended[b].append((v / (t + 1), prefix[b * k + slot, 1:].tolist() + [tok]))
                    continue
                rows.append(b * k + slot)
                toks.append(tok)
                new_score[b, kept] = v
                kept += 1
            while kept < k:                                                # empty slots
                rows.append(b * k + kept)
                toks.append(PAD)
                kept += 1
            done[b] = done[b] or len(ended[b]) == k or t + 1 == MAX_WORDS
        rows = torch.tensor(rows)
        prefix = torch.cat([prefix[rows], torch.tensor(toks).view(-1, 1)], 1)
        state = m.reorder(state, rows)
        score = new_score
        if all(done):
            break
    return [max(e)[1] if e else [] for e in ended]


def decode_all(m, x, fn, size):
    m.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), size):
            out += fn(m, x[i:i + size])
    return out


def words(ids, vocab):
    """nn_vocab_decode: stop at EOS, skip PAD and SOS, UNK as its name <unk>, spaces between."""
    w = []
    for i in ids:
        if i == EOS:
            break
        if i not in (PAD, SOS):
            w.append(vocab[i])
    return ' '.join(w)


def bleu(hyp_path, ref_path):
    """`nnrun bleu`'s score: sacreBLEU's line "BLEU|...|version:2.5.1 = SCORE p1/p2/p3/p4 (...)"."""
    line = subprocess.run([NNRUN, 'bleu', hyp_path, ref_path], check=True, stdout=subprocess.PIPE).stdout.decode()
    print('  ' + line.strip(), flush=True)
    return float(re.search(r' = ([0-9.]+) ', line).group(1))


def write_lines(path, lines):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(''.join(l + '\n' for l in lines))


def score_decoding(m, d, out, name, fn, size):
    t0 = time.perf_counter()
    hyp = [words(ids, d['en']) for ids in decode_all(m, d['xte'], fn, size)]
    path = os.path.join(out, 'test_%s.txt' % name)
    write_lines(path, hyp)
    print('%s decoding: %.1f s, %s' % (name, time.perf_counter() - t0, path), flush=True)
    return bleu(path, os.path.join(out, 'test_ref.txt'))


# ---- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('model', choices=sorted(MODELS))
    ap.add_argument('--data', default='data/translation')
    ap.add_argument('--vectors', default='data/vectors', help='folder of fr_skipgram_100d.vec and en_glove_100d.txt')
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--limit-batches', type=int, default=0, help='stop each epoch after N batches (0 = all)')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0, help='seeds the initialisation, dropout and batch order')
    ap.add_argument('--beam', type=int, default=5, help='beam width (0 = no beam search)')
    ap.add_argument('--out', help='folder for the decoded test sentences (default: a new temporary folder)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    print('torch %s, %d threads, OPENBLAS_NUM_THREADS=%s, GOMP_SPINCOUNT=%s'
          % (torch.__version__, torch.get_num_threads(), os.environ.get('OPENBLAS_NUM_THREADS'),
             os.environ.get('GOMP_SPINCOUNT')), flush=True)
    out = args.out or tempfile.mkdtemp(prefix='seq2seq_torch_')
    os.makedirs(out, exist_ok=True)

    d = load_data(args.data)
    write_lines(os.path.join(out, 'test_ref.txt'), d['ref'])
    fr_emb = pretrained_embedding(d['fr'], os.path.join(args.vectors, 'fr_skipgram_100d.vec'), 'French')
    en_emb = pretrained_embedding(d['en'], os.path.join(args.vectors, 'en_glove_100d.txt'), 'English')
    cls, lr = MODELS[args.model]
    m = cls(fr_emb, en_emb, len(d['en']))
    print('%s: %d parameters' % (args.model, sum(p.numel() for p in m.parameters())), flush=True)
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    lossf = nn.CrossEntropyLoss(ignore_index=PAD)
    gen = torch.Generator().manual_seed(args.seed)

    times = []
    for ep in range(args.epochs):
        sec, train_loss, nb = train_epoch(m, opt, lossf, d['xtr'], d['ytr'], gen, args.limit_batches)
        times.append(sec)
        test_loss, test_acc = evaluate(m, d['xte'], d['yte'])
        print('epoch %d: %.3f s  train loss %.5f  test loss %.5f  test accuracy %.2f%%'
              % (ep + 1, sec, train_loss, test_loss, test_acc), flush=True)

    bleu_greedy = score_decoding(m, d, out, 'greedy', greedy, 512)
    bleu_beam = 'none'
    if args.beam > 0:
        bleu_beam = '%.2f' % score_decoding(m, d, out, 'beam', lambda m, x: beam(m, x, args.beam), 128)
    print('RESULT model=%s sec_per_epoch=%.4f epochs=%d batches_per_epoch=%d train_loss=%.5f test_loss=%.5f '
          'test_accuracy=%.2f bleu_greedy=%.2f bleu_beam=%s'
          % (args.model, statistics.median(times), args.epochs, nb, train_loss, test_loss, test_acc, bleu_greedy,
             bleu_beam))


if __name__ == '__main__':
    sys.exit(main())
