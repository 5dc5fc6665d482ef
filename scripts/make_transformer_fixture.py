#!/usr/bin/python3
"""Writes tests/fixtures/transformer_torch.safetensors: PyTorch's Transformer layers with random
weights, an input and their outputs, for tests/test_transformer_layers.c (nnrun's layers given
the same weights must give the same outputs). Run once with Debian's python3-torch:

    scripts/make_transformer_fixture.py tests/fixtures/transformer_torch.safetensors

Shapes: B = 2 sequences of T = 5 steps of D = 8 features; heads 2, feed-forward 16. Sequence 1
ends in 2 padding steps, whose features are all negative (the test's mask layer marks a step
real when its largest feature is > 0). The modules, in evaluation mode (no dropout), with grad
enabled (PyTorch's plain path, not its fused inference kernel):
  enc  TransformerEncoderLayer, post-norm, relu, src_key_padding_mask
  encp TransformerEncoderLayer, norm_first, gelu, src_key_padding_mask
  mha  MultiheadAttention, queries enc's output, keys and values x, key_padding_mask
  dec  TransformerDecoderLayer, post-norm, relu, causal tgt_mask, memory enc's output,
       memory_key_padding_mask
Tensors: "<module>.<PyTorch's state_dict key>", "x", "out.<module>"."""
import os, sys
import torch
import torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_out import write_safetensors  # noqa: E402

B, T, D, HEADS, FF = 2, 5, 8, 2, 16
torch.manual_seed(7)
x = torch.randn(B, T, D)
x[:, :, 0] = x[:, :, 0].abs() + 0.1          # every real step has a positive feature
x[1, T - 2:] = -x[1, T - 2:].abs() - 0.1      # padding steps: all negative
pad = (x.max(dim=2).values <= 0)              # True at padding

enc = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.1, batch_first=True)
encp = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.1, activation='gelu', norm_first=True, batch_first=True)
mha = nn.MultiheadAttention(D, HEADS, batch_first=True)
dec = nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.1, batch_first=True)
modules = {'enc': enc, 'encp': encp, 'mha': mha, 'dec': dec}
with torch.no_grad():   # non-zero biases and norms, so that a misplaced one shows
    for m in modules.values():
        for name, p in m.named_parameters():
            if p.dim() == 1:
                p.copy_(torch.randn_like(p) * 0.3 + (1.0 if 'norm' in name and name.endswith('weight') else 0.0))
for m in modules.values():
    m.eval()

out_enc = enc(x, src_key_padding_mask=pad)
out_encp = encp(x, src_key_padding_mask=pad)
out_mha, _ = mha(out_enc, x, x, key_padding_mask=pad)
causal = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
out_dec = dec(x, out_enc, tgt_mask=causal, memory_key_padding_mask=pad)

tensors = {'x': x}
for mname, m in modules.items():
    for k, v in m.state_dict().items():
        tensors[f'{mname}.{k}'] = v
tensors.update({'out.enc': out_enc, 'out.encp': out_encp, 'out.mha': out_mha, 'out.dec': out_dec})

write_safetensors(sys.argv[1], tensors, 'scripts/make_transformer_fixture.py', torch.__version__)
