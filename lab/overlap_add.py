"""A model of fixed-length clips applied to a signal of any length: chunked Hann overlap-add.

A model trained on clips of ``C`` samples sees a longer signal as clips of ``C`` samples at hop
``H = C // 2`` (the last one zero-padded); the outputs ``y_k`` are cross-faded with a periodic
Hann window ``w`` and normalized by the summed weights,

    y(t) = sum_k w_k(t - kH) y_k(t - kH) / sum_k w_k(t - kH),

where the first clip's rising half and the last clip's falling half are flat (1), so the
signal's ends keep full weight. A clip's edges are where a model (zero-padded convolutions) and
the STFT (reflect-padded frames) are worst, and there the cross-fade weight goes to 0, so the
joins make no clicks; since ``w(j) + w(j + H) = 1`` for even ``C``, a model that returns its
input gives back the signal exactly. Two model passes per clip length of signal. A signal of at
most ``C`` samples is one clip, zero-padded at the end (as training clips were).

Used by :mod:`lab.reconstruct` (a user's files) and :mod:`lab.prompts` (a corpus's whole
prompts), so both score a long recording the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def overlap_add(wave: Tensor, clip: int, fn: Callable[[Tensor], Tensor],
                batch_size: int = 16) -> Tensor:
    """``fn`` applied to ``wave (L,)`` in clips of ``clip`` samples; ``(L,)`` in ``wave``'s dtype.

    ``fn`` maps clips ``(B, clip)`` to ``(B, clip)``, at most ``batch_size`` clips a call.
    ``L <= clip``: one clip, zero-padded at the end. Longer: see the module docstring; an
    identity ``fn`` returns ``wave``.
    """
    if wave.ndim != 1 or clip < 2:
        raise ValueError(f"need a 1-D signal and clip >= 2, got {tuple(wave.shape)}, {clip}")
    n = len(wave)
    if n <= clip:
        return fn(torch.nn.functional.pad(wave, (0, clip - n))[None])[0, :n].to(wave.dtype)
    hop = clip // 2
    count = 1 + math.ceil((n - clip) / hop)
    total = clip + (count - 1) * hop
    chunks = torch.nn.functional.pad(wave, (0, total - n)).unfold(0, clip, hop)  # (count, clip)
    outs = torch.cat([fn(chunks[i:i + batch_size]).to(wave.dtype)
                      for i in range(0, count, batch_size)])
    weights = torch.hann_window(clip, periodic=True, dtype=wave.dtype).repeat(count, 1)
    weights[0, :hop] = 1.0
    weights[-1, clip - hop:] = 1.0
    out = torch.zeros(total, dtype=wave.dtype)
    norm = torch.zeros(total, dtype=wave.dtype)
    for k in range(count):
        out[k * hop:k * hop + clip] += weights[k] * outs[k]
        norm[k * hop:k * hop + clip] += weights[k]
    return (out / norm.clamp_min(1e-12))[:n]
