"""Real block forms of a complex weight (shared by linear and convolution layers).

A complex map ``y = W x`` with ``W = Wr + i Wi`` acting on the planar vector ``[xr ; xi]`` is the
real map

    [yr]   [Wr  -Wi] [xr]
    [yi] = [Wi   Wr] [xi]

so one real matmul/convolution with the ``(2 out, 2 in)`` block weight computes it, at the cost of
one real layer of twice the width (DESIGN 4.2). Transposed convolutions store weights as
``(in, out, ...)``, so their block is the transpose pattern ``[[Wr, Wi], [-Wi, Wr]]``.

The block is built by one autograd function that writes it in a single pass and reduces its
gradient back to the trailing-2 parameter in a single pass (``dWr = dB00 + dB11``,
``dWi = dB10 - dB01`` for the ``[[Wr, -Wi], [Wi, Wr]]`` pattern); composing it from ``cat``,
``neg`` and ``unbind`` costs several weight-sized passes per step, which matters when weights are
large next to activations (deep layers on small inputs).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


class _Block(torch.autograd.Function):
    """``(O, I, *k, 2)`` -> ``(2O, 2I, *k)``; ``sign`` is the sign of ``Wi`` in the top-right."""

    @staticmethod
    def forward(ctx: Any, weight: Tensor, sign: float) -> Tensor:
        o, i = weight.shape[0], weight.shape[1]
        wr, wi = weight[..., 0], weight[..., 1]
        out = weight.new_empty((2 * o, 2 * i, *weight.shape[2:-1]))
        out[:o, :i].copy_(wr)
        out[o:, i:].copy_(wr)
        torch.mul(wi, sign, out=out[:o, i:])
        torch.mul(wi, -sign, out=out[o:, :i])
        ctx.sign = sign
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        o, i = grad.shape[0] // 2, grad.shape[1] // 2
        out = grad.new_empty((o, i, *grad.shape[2:], 2))
        torch.add(grad[:o, :i], grad[o:, i:], out=out[..., 0])
        top_right, bottom_left = grad[:o, i:], grad[o:, :i]
        if ctx.sign > 0:  # dWi = sign * (dTopRight - dBottomLeft)
            torch.sub(top_right, bottom_left, out=out[..., 1])
        else:
            torch.sub(bottom_left, top_right, out=out[..., 1])
        return out, None


def block_weight(weight: Tensor) -> Tensor:
    """``(O, I, *k, 2)`` trailing-2 complex weight -> ``(2O, 2I, *k)`` real ``[[Wr, -Wi], [Wi, Wr]]``."""
    out: Tensor = _Block.apply(weight, -1.0)
    return out


def block_weight_transposed(weight: Tensor) -> Tensor:
    """``(I, O, *k, 2)`` transposed-conv weight -> ``(2I, 2O, *k)`` real ``[[Wr, Wi], [-Wi, Wr]]``."""
    out: Tensor = _Block.apply(weight, 1.0)
    return out


def planar_bias(bias: Tensor | None) -> Tensor | None:
    """``(O, 2)`` complex bias -> ``(2O,)`` planar ``[Re b ; Im b]``."""
    if bias is None:
        return None
    return torch.cat(bias.unbind(-1))
