"""Writes a dict of torch tensors as a safetensors file (F32), the format nnrun's tests read
(runtime/io/safetensors_read.c): shared by the scripts that make the PyTorch fixtures."""
import json
import struct


def write_safetensors(path, tensors, script, torch_version):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = {'torch': torch_version, 'script': script}
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
