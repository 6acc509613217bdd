"""Fused kernels of the whitening batch norm, on planar activations viewed as ``(B, 2, C, L)``.

Autograd through the naive formulation (slices, broadcasts, ``cat``) materializes several
activation-sized zero tensors per op in the backward pass; these two functions compute the big,
activation-sized work in a few passes each and leave only per-channel ``(C,)`` algebra to autograd:

* :class:`Moments`: ``x -> (mu, S)``, the per-channel mean ``(2, C)`` and the biased centered
  second moments ``S = (Srr, Sri, Sii)`` ``(3, C)``. Backward: with ``N`` values per channel and
  ``K = [[2 dSrr, dSri], [dSri, 2 dSii]]``, ``dx = (dmu + K (x - mu)) / N``.
* :class:`Affine2x2`: ``y = A x + c`` per channel with ``A (2, 2, C)``, ``c (2, C)``. Backward:
  ``dx = A^T dy``, ``dA = sum dy x^T``, ``dc = sum dy`` (sums over batch and positions).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def _col(t: Tensor) -> Tensor:
    return t.view(1, -1, 1)


def mix2x2(x: Tensor, a: Tensor, c: Tensor) -> Tensor:
    """``y[:, p] = sum_q a[p, q] * x[:, q] + c[p]`` for ``x (B, 2, C, L)``, ``a (2, 2, C)``,
    ``c (2, C)``; two passes over ``x``."""
    y = torch.empty_like(x)
    xr, xi = x[:, 0], x[:, 1]
    for p in (0, 1):
        torch.addcmul(_col(c[p]), xr, _col(a[p, 0]), out=y[:, p])
        y[:, p].addcmul_(xi, _col(a[p, 1]))
    return y


class Moments(torch.autograd.Function):
    """Per-channel mean and biased covariance of ``(B, 2, C, L)``; see the module docstring."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> tuple[Tensor, Tensor]:
        n = x.shape[0] * x.shape[3]
        var, mu = torch.var_mean(x, dim=(0, 3), correction=0)  # one fused pass
        # Cov(r, i) = (Var(r + i) - Var(r) - Var(i)) / 2, with centered (Welford) variances
        var_sum = torch.var(x[:, 0] + x[:, 1], dim=(0, 2), correction=0)
        sri = 0.5 * (var_sum - var[0] - var[1])
        ctx.save_for_backward(x, mu)
        ctx.n = n
        return mu, torch.stack([var[0], sri, var[1]])

    @staticmethod
    def backward(ctx: Any, dmu: Tensor, ds: Tensor) -> Tensor:
        x, mu = ctx.saved_tensors
        n = ctx.n
        k = torch.stack([torch.stack([2 * ds[0], ds[1]]), torch.stack([ds[1], 2 * ds[2]])]) / n
        # dx = (K (x - mu) + dmu) / n  =  K x / n + (dmu / n - K mu / n)
        shift = dmu / n - torch.einsum("pqc,qc->pc", k, mu)
        return mix2x2(x, k, shift)


class Affine2x2(torch.autograd.Function):
    """``y = A x + c`` per channel on ``(B, 2, C, L)``; see the module docstring."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, a: Tensor, c: Tensor) -> Tensor:
        ctx.save_for_backward(x, a)
        return mix2x2(x, a, c)

    @staticmethod
    def backward(ctx: Any, dy: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, a = ctx.saved_tensors
        dx = da = dc = None
        if ctx.needs_input_grad[0]:
            dx = mix2x2(dy, a.transpose(0, 1), torch.zeros_like(a[0]))
        if ctx.needs_input_grad[1]:
            diag = (dy * x).sum(dim=(0, 3))
            d01 = (dy[:, 0] * x[:, 1]).sum(dim=(0, 2))
            d10 = (dy[:, 1] * x[:, 0]).sum(dim=(0, 2))
            da = torch.stack([torch.stack([diag[0], d01]), torch.stack([d10, diag[1]])])
        if ctx.needs_input_grad[2]:
            dc = dy.sum(dim=(0, 3))
        return dx, da, dc
