"""Real block forms of a complex weight (shared by linear and convolution layers).

A complex map ``y = W x`` with ``W = Wr + i Wi`` acting on the planar vector ``[xr ; xi]`` is the
real map

    [yr]   [Wr  -Wi] [xr]
    [yi] = [Wi   Wr] [xi]

so one real matmul/convolution with the ``(2 out, 2 in)`` block weight computes it, at the cost of
one real layer of twice the width (docs/benchmarks.md). Transposed convolutions store weights as
``(in, out, ...)``, so their block is the transpose pattern ``[[Wr, Wi], [-Wi, Wr]]``.

Complex parameters are stored part-major: ``weight (2, O, I, *k)`` holds ``(Wr, Wi)`` and
``bias (2, O)`` holds ``(Re b, Im b)``, so each part is contiguous and a flattened bias is already
planar. The block is built by one autograd function that writes it in a single pass and reduces
its gradient back to the parameter in a single pass (``dWr = dB00 + dB11``,
``dWi = dB10 - dB01`` for the ``[[Wr, -Wi], [Wi, Wr]]`` pattern); composing it from ``cat``,
``neg`` and strided views costs several weight-sized passes per step (measured 4x slower), which
matters when weights are large next to activations (deep layers on small inputs).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class _Block(torch.autograd.Function):
    """``(2, O, I, *k)`` -> ``(2O, 2I, *k)``; ``sign`` is the sign of ``Wi`` in the top-right."""

    @staticmethod
    def forward(ctx: Any, weight: Tensor, sign: float) -> Tensor:
        wr, wi = weight[0], weight[1]
        o, i = wr.shape[0], wr.shape[1]
        out = weight.new_empty((2 * o, 2 * i, *wr.shape[2:]))
        out[:o, :i].copy_(wr)
        out[o:, i:].copy_(wr)
        torch.mul(wi, sign, out=out[:o, i:])
        torch.mul(wi, -sign, out=out[o:, :i])
        ctx.sign = sign
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        o, i = grad.shape[0] // 2, grad.shape[1] // 2
        out = grad.new_empty((2, o, i, *grad.shape[2:]))
        torch.add(grad[:o, :i], grad[o:, i:], out=out[0])
        top_right, bottom_left = grad[:o, i:], grad[o:, :i]
        if ctx.sign > 0:  # dWi = sign * (dTopRight - dBottomLeft)
            torch.sub(top_right, bottom_left, out=out[1])
        else:
            torch.sub(bottom_left, top_right, out=out[1])
        return out, None


def block_weight(weight: Tensor) -> Tensor:
    """``(2, O, I, *k)`` complex weight -> ``(2O, 2I, *k)`` real ``[[Wr, -Wi], [Wi, Wr]]``."""
    out: Tensor = _Block.apply(weight, -1.0)
    return out


def block_weight_transposed(weight: Tensor) -> Tensor:
    """``(2, I, O, *k)`` transposed weight -> ``(2I, 2O, *k)`` real ``[[Wr, Wi], [-Wi, Wr]]``."""
    out: Tensor = _Block.apply(weight, 1.0)
    return out


def weight_heavy(x: Tensor, weight: Tensor, ratio: float) -> bool:
    """Whether the planar input ``x`` has fewer than ``ratio`` times as many elements as the block
    weight of the part-major ``weight`` (``2 * weight.numel()`` elements); then a formulation
    that builds no block weight is the faster one (ratios measured in :mod:`cvnn.conv` and
    :mod:`cvnn.linear`)."""
    return x.numel() < ratio * 2 * weight.numel()


def planar_bias(bias: Tensor | None) -> Tensor | None:
    """``(2, O)`` complex bias -> ``(2O,)`` planar ``[Re b ; Im b]`` (a view)."""
    if bias is None:
        return None
    return bias.reshape(-1)


def as_complex(param: Tensor) -> Tensor:
    """A part-major parameter ``(2, *shape)`` as a complex tensor ``(*shape)`` (differentiable)."""
    return torch.complex(param[0], param[1])
