#!/usr/bin/python3
"""Writes tests/fixtures/seq2seq_torch.safetensors: PyTorch's recurrent layers started from an
initial state, and the attention decoder of PyTorch's seq2seq tutorial ("NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention": AttnDecoderRNN with
BahdanauAttention, its padding masked), with random weights, an input and their outputs and
gradients, for tests/test_seq2seq_layers.c (nnrun's layers given the same weights must give the
same numbers). Run once with Debian's python3-torch:

    scripts/make_seq2seq_fixture.py tests/fixtures/seq2seq_torch.safetensors

Shapes: N = 2 sequences of S = T = 3 steps; the input inp (N,3,3) is both what the decoder
attends to (keys, F = 3 features) and, through a Linear(3, 2), the decoders' input x (N,3,E=2);
H = 3 units. Sequence 1's last step is padding, all its features negative (the test's mask
layer marks a step real when its largest feature is > 0). The initial state h0 is each
sequence's input at its last real step (nnrun's last_over), the LSTM's c0 the mean of its input
over all steps (mean_over). The modules:
  rnn   nn.RNN(2, 3) from h0
  lstm  nn.LSTM(2, 3) from (h0, c0)
  gru   nn.GRU(2, 3) from h0
  dec   the tutorial's decoder step by step from h0 (teacher forcing: x is its input), the
        attention's softmax over the real steps of inp only
Tensors under nnrun's parameter names ("<layer>.weight_ih" for PyTorch's weight_ih_l0, the rnn's
and lstm's bias_ih_l0 + bias_hh_l0 as "<layer>.bias", the decoder's attention as
"dec.attention.Wa.weight", ...), "inp", "out.<layer>", and for L = sum(out.dec * R) with a random
R: "R", "grad.h0" (dL/dh0) and "grad.inp" (dL/dinp, through x, h0 and the keys)."""
import os, sys
import torch
import torch.nn as nn
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_out import write_safetensors  # noqa: E402

N, T, E, H = 2, 3, 2, 3
torch.manual_seed(11)
inp = torch.randn(N, T, 3)
inp[:, :, 0] = inp[:, :, 0].abs() + 0.1          # every real step has a positive feature
inp[1, T - 1] = -inp[1, T - 1].abs() - 0.1        # sequence 1's last step: padding
real = inp.max(dim=2).values > 0                  # (N,T) True at real steps
last = real.long().cumsum(1).argmax(1)            # each sequence's last real step


class BahdanauAttention(nn.Module):
    """The tutorial's, with the padding of the keys masked."""

    def __init__(self, hidden_size, key_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(key_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys, mask):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))   # (N,S,1)
        scores = scores.squeeze(2).unsqueeze(1)                          # (N,1,S)
        scores = scores.masked_fill(~mask.unsqueeze(1), float('-inf'))
        weights = F.softmax(scores, dim=-1)
        return torch.bmm(weights, keys), weights


class AttnDecoder(nn.Module):
    """AttnDecoderRNN's forward_step over given inputs (its embedding and output layer are other
    layers in nnrun)."""

    def __init__(self, input_size, hidden_size, key_size):
        super().__init__()
        self.attention = BahdanauAttention(hidden_size, key_size)
        self.gru = nn.GRU(input_size + key_size, hidden_size, batch_first=True)

    def forward(self, x, h0, keys, mask):
        hidden, outputs = h0.unsqueeze(0), []
        for t in range(x.shape[1]):
            query = hidden.permute(1, 0, 2)
            context, _ = self.attention(query, keys, mask)
            output, hidden = self.gru(torch.cat((x[:, t:t + 1], context), dim=2), hidden)
            outputs.append(output)
        return torch.cat(outputs, dim=1)


lin = nn.Linear(3, E)
rnn = nn.RNN(E, H, batch_first=True)
lstm = nn.LSTM(E, H, batch_first=True)
gru = nn.GRU(E, H, batch_first=True)
dec = AttnDecoder(E, H, 3)

inp.requires_grad_(True)
x = lin(inp)
h0 = inp[torch.arange(N), last]
c0 = inp.mean(dim=1)
out_rnn, _ = rnn(x, h0.unsqueeze(0))
out_lstm, _ = lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
out_gru, _ = gru(x, h0.unsqueeze(0))
h0.retain_grad()
out_dec = dec(x, h0, inp, real)
R = torch.randn(N, T, H)
(out_dec * R).sum().backward()


def recurrent(prefix, m, summed_bias):
    t = {f'{prefix}.weight_ih': m.weight_ih_l0, f'{prefix}.weight_hh': m.weight_hh_l0}
    if summed_bias:
        t[f'{prefix}.bias'] = m.bias_ih_l0 + m.bias_hh_l0
    else:
        t.update({f'{prefix}.bias_ih': m.bias_ih_l0, f'{prefix}.bias_hh': m.bias_hh_l0})
    return t


tensors = {'inp': inp, 'x.weight': lin.weight, 'x.bias': lin.bias}
tensors.update(recurrent('rnn', rnn, True))
tensors.update(recurrent('lstm', lstm, True))
tensors.update(recurrent('gru', gru, False))
tensors.update(recurrent('dec', dec.gru, False))
for k, v in dec.attention.state_dict().items():
    tensors[f'dec.attention.{k}'] = v
tensors.update({'out.rnn': out_rnn, 'out.lstm': out_lstm, 'out.gru': out_gru, 'out.dec': out_dec, 'R': R,
                'grad.h0': h0.grad, 'grad.inp': inp.grad})

write_safetensors(sys.argv[1], tensors, 'scripts/make_seq2seq_fixture.py', torch.__version__)
