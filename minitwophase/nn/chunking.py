"""The automatic chunk size of ``Sequential.loss_and_grad`` (``chunk_size=None``).

A batch is pushed through forward and backward a chunk of samples at a time, the chunk means
combined with weights n_chunk / N, so the loss and gradient equal the one-piece ones up to
rounding. The chunk is sized so that its cached activations (what backward reads) take about
CHUNK_BYTES: small enough for the CPU's cache, where the memory-bound elementwise passes
(LayerNorm, softmax, GELU) run faster than over a whole 512-image batch (the ViT step ~1.4x,
measured in one process), and the memory of a full-batch gradient no longer grows with the data
set (vit-mlp on 5000 MNIST images needed 2.97 GiB in one piece).
"""
from __future__ import annotations

import numpy as np

CHUNK_BYTES = 8 * 2 ** 20


def held_bytes(obj, seen=None):
    """Bytes of the distinct arrays ``obj`` (an array, or nested tuples, lists, dicts) keeps alive;
    a view counts as the array it views, once."""
    seen = {} if seen is None else seen
    if isinstance(obj, np.ndarray):
        while isinstance(obj.base, np.ndarray):
            obj = obj.base
        seen[id(obj)] = obj.nbytes
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            held_bytes(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            held_bytes(item, seen)
    return sum(seen.values())


def bytes_per_sample(layers, params, sample_shape, dtype):
    """Activation bytes a forward pass caches per sample: a two-sample minus a one-sample pass
    on zeros, so what does not grow with the batch (e.g. weight copies) cancels."""
    def cached(n):
        h, caches = np.zeros((n, *sample_shape), dtype=dtype), []
        for layer, p in zip(layers, params):
            h, cache = layer.forward(p, h)
            caches.append(cache)
        return held_bytes([caches, h])
    return max(cached(2) - cached(1), 1)


def auto_chunk_size(per_sample):
    """Samples per chunk: as many as fit in CHUNK_BYTES, at least one."""
    return max(1, CHUNK_BYTES // per_sample)
