"""Real block forms of a complex weight (shared by linear and convolution layers).

A complex map ``y = W x`` with ``W = Wr + i Wi`` acting on the planar vector ``[xr ; xi]`` is the
real map

    [yr]   [Wr  -Wi] [xr]
    [yi] = [Wi   Wr] [xi]

so one real matmul/convolution with the ``(2 out, 2 in)`` block weight computes it, at the cost of
one real layer of twice the width (DESIGN 4.2). Transposed convolutions store weights as
``(in, out, ...)``, so their block is the transpose pattern ``[[Wr, Wi], [-Wi, Wr]]``.
"""

from __future__ import annotations

import torch
from torch import Tensor


def block_weight(weight: Tensor) -> Tensor:
    """``(O, I, *k, 2)`` trailing-2 complex weight -> ``(2O, 2I, *k)`` real block weight."""
    wr, wi = weight.unbind(-1)  # unbind: its backward stacks, no zero-filled gradients
    return torch.cat([torch.cat([wr, -wi], dim=1), torch.cat([wi, wr], dim=1)], dim=0)


def block_weight_transposed(weight: Tensor) -> Tensor:
    """``(I, O, *k, 2)`` transposed-conv weight -> ``(2I, 2O, *k)`` real block weight."""
    wr, wi = weight.unbind(-1)
    return torch.cat([torch.cat([wr, wi], dim=1), torch.cat([-wi, wr], dim=1)], dim=0)


def planar_bias(bias: Tensor | None) -> Tensor | None:
    """``(O, 2)`` complex bias -> ``(2O,)`` planar ``[Re b ; Im b]``."""
    if bias is None:
        return None
    return torch.cat(bias.unbind(-1))
