"""Fused kernels of the whitening batch norm, on planar activations viewed as ``(B, 2, C, L)``.

Autograd through the textbook formulation (slices, broadcasts, ``cat``, a few dozen per-channel
ops for ``V^{-1/2}``) costs several activation-sized passes and hundreds of small kernels per layer
and step. Here the training-mode layer is one autograd function with a hand-derived backward,
and eval mode is one affine function; both run in a handful of passes.

Training (:class:`WhitenTrain`), per channel, with ``n`` values ``x = (Re, Im)``:

* forward: ``mu = mean(x)``, ``xc = x - mu``, ``V = xc xc^T / n + eps I = [[a, b], [b, c]]``,
  ``s = sqrt(ac - b^2)``, ``t = sqrt(a + c + 2s)``,
  ``W = V^{-1/2} = [[c + s, -b], [-b, a + s]] / (s t)``,
  ``A = G W`` (``G`` the symmetric 2x2 scale), ``y = A xc + beta``.
* backward, given ``dy``: ``dbeta = sum dy``, ``dA = sum dy xc^T``, ``dG = dA W^T``,
  ``dW = G dA``; ``(da, db, dc)`` by the chain rule through the closed form of ``W``;
  ``dx = A^T (dy - dbeta / n) + K xc / n`` with ``K = [[2 da, db], [db, 2 dc]]`` (the mean's
  gradient vanishes from the covariance term because ``sum xc = 0``).

Both backward passes are first-order only (``once_differentiable``: double backward raises a
clear error).

Eval (:class:`Affine2x2`): ``y = A x + c`` with ``A``, ``c`` from the running statistics (built by
autograd on per-channel tensors); backward ``dx = A^T dy``, ``dA = sum dy x^T``, ``dc = sum dy``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


def _col(t: Tensor) -> Tensor:
    return t.view(1, -1, 1)


def mix2x2(x: Tensor, a: Tensor, c: Tensor) -> Tensor:
    """``y[:, p] = sum_q a[p, q] * x[:, q] + c[p]`` for ``x (B, 2, C, L)``, ``a (2, 2, C)``,
    ``c (2, C)``; two passes over ``x``."""
    y = torch.empty_like(x)
    for p in (0, 1):
        torch.addcmul(_col(c[p]), x[:, 0], _col(a[p, 0]), out=y[:, p])
        y[:, p].addcmul_(x[:, 1], _col(a[p, 1]))
    return y


def _outer_sums(u: Tensor, v: Tensor) -> Tensor:
    """``sum over (batch, positions) of u v^T`` per channel: ``(B, 2, C, L)`` -> ``(2, 2, C)``."""
    diag = torch.linalg.vecdot(u, v, dim=-1).sum(0)  # (2, C): u_r.v_r, u_i.v_i
    off01 = torch.linalg.vecdot(u[:, 0], v[:, 1], dim=-1).sum(0)
    off10 = torch.linalg.vecdot(u[:, 1], v[:, 0], dim=-1).sum(0)
    return torch.stack([torch.stack([diag[0], off01]), torch.stack([off10, diag[1]])])


def _sym(g: Tensor) -> Tensor:
    """Packed rows ``(g_rr, g_ri, g_ii)`` ``(3, C)`` -> symmetric ``(2, 2, C)``."""
    return torch.stack([torch.stack([g[0], g[1]]), torch.stack([g[1], g[2]])])


def _matmul(p: Tensor, q: Tensor) -> Tensor:
    """Per-channel 2x2 product of ``(2, 2, C)`` tensors."""
    return (p.unsqueeze(2) * q.unsqueeze(0)).sum(1)


def det_2x2(a: Tensor, b: Tensor, c: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """``det V = a c - b^2`` for ``V = S + eps I`` (``S`` a covariance), and where it is clamped.

    ``det V >= eps (a + c) - eps^2`` in exact arithmetic (``S`` is positive semi-definite), but in
    float32 the difference cancels for nearly rank-1 ``S`` (a constant-phase channel) and can even
    turn negative; it is clamped to that bound.
    """
    det = a * c - b * b
    floor = eps * (a + c) - eps * eps
    clamped = det < floor
    return torch.where(clamped, floor, det), clamped


def inv_sqrt_2x2(a: Tensor, b: Tensor, c: Tensor, eps: float
                 ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``V^{-1/2}`` of ``V = [[a, b], [b, c]]`` (``a``, ``c`` including ``eps``) per channel, and
    ``(s, t, q = 1/(s t))``."""
    s = torch.sqrt(det_2x2(a, b, c, eps)[0])
    t = torch.sqrt(a + c + 2 * s)
    q = 1.0 / (s * t)
    w = torch.stack([torch.stack([(c + s) * q, -b * q]), torch.stack([-b * q, (a + s) * q])])
    return w, s, t, q


class WhitenTrain(torch.autograd.Function):
    """Training-mode whitening batch norm; returns ``(y, mu, biased covariance (3, C))``."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor | None, bias: Tensor | None,
                eps: float) -> tuple[Tensor, Tensor, Tensor]:
        n_b, _, c_n, n_l = x.shape
        n = n_b * n_l
        mu = x.sum(dim=(0, 3)) / n
        xc = x - mu[None, :, :, None]
        second = torch.linalg.vector_norm(xc, dim=-1).square().sum(0) / n  # (2, C)
        vri = torch.linalg.vecdot(xc[:, 0], xc[:, 1], dim=-1).sum(0) / n
        a, b, c = second[0] + eps, vri, second[1] + eps
        w, s, t, q = inv_sqrt_2x2(a, b, c, eps)
        g = _sym(weight) if weight is not None else None
        amat = _matmul(g, w) if g is not None else w
        beta = bias if bias is not None else x.new_zeros(2, c_n)
        y = mix2x2(xc, amat, beta)
        ctx.save_for_backward(xc, amat, w, a, b, c, s, t, q, *([] if g is None else [g]))
        ctx.has_weight = weight is not None
        ctx.n = n
        ctx.eps = eps
        cov = torch.stack([second[0], vri, second[1]])
        ctx.mark_non_differentiable(mu, cov)
        return y, mu, cov

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: Tensor, _dmu: Tensor, _dcov: Tensor
                 ) -> tuple[Tensor | None, Tensor | None, Tensor | None, None]:
        xc, amat, w, a, b, c, s, t, q, *rest = ctx.saved_tensors
        n = ctx.n
        dbeta = dy.sum(dim=(0, 3))  # (2, C)
        da_mat = _outer_sums(dy, xc)  # dL/dA
        dweight = None
        if ctx.has_weight:
            g = rest[0]
            dg = _matmul(da_mat, w.transpose(0, 1))  # dA W^T
            dweight = torch.stack([dg[0, 0], dg[0, 1] + dg[1, 0], dg[1, 1]])
            dw = _matmul(g.transpose(0, 1), da_mat)  # G^T dA
        else:
            dw = da_mat
        # chain rule through W = [[c + s, -b], [-b, a + s]] q,  q = 1/(s t)
        g00, g11, goff = dw[0, 0], dw[1, 1], dw[0, 1] + dw[1, 0]
        gq = g00 * (c + s) - goff * b + g11 * (a + s)
        gs = (g00 + g11) * q - gq * q / s
        gt = -gq * q / t
        gs = gs + gt / t  # t = sqrt(a + c + 2 s)
        gdet = gs / (2 * s)  # s = sqrt(det), det = a c - b^2, or eps (a + c) - eps^2 if clamped
        eps = ctx.eps
        clamped = det_2x2(a, b, c, eps)[1]
        ga = g11 * q + gt / (2 * t) + gdet * torch.where(clamped, eps, c)
        gc = g00 * q + gt / (2 * t) + gdet * torch.where(clamped, eps, a)
        gb = -goff * q + gdet * torch.where(clamped, 0.0, -2 * b)
        dx = None
        if ctx.needs_input_grad[0]:
            at = amat.transpose(0, 1)
            k = torch.stack([torch.stack([2 * ga, gb]), torch.stack([gb, 2 * gc])]) / n
            shift = -_matmul(at, dbeta.unsqueeze(1)).squeeze(1) / n  # -A^T dbeta / n
            dx = torch.empty_like(dy)
            for p in (0, 1):
                torch.addcmul(_col(shift[p]), dy[:, 0], _col(at[p, 0]), out=dx[:, p])
                dx[:, p].addcmul_(dy[:, 1], _col(at[p, 1]))
                dx[:, p].addcmul_(xc[:, 0], _col(k[p, 0]))
                dx[:, p].addcmul_(xc[:, 1], _col(k[p, 1]))
        return dx, dweight, (dbeta if ctx.needs_input_grad[2] else None), None


class Affine2x2(torch.autograd.Function):
    """``y = A x + c`` per channel on ``(B, 2, C, L)``; see the module docstring."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, a: Tensor, c: Tensor) -> Tensor:
        ctx.save_for_backward(x, a)
        return mix2x2(x, a, c)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, dy: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, a = ctx.saved_tensors
        dx = da = dc = None
        if ctx.needs_input_grad[0]:
            dx = mix2x2(dy, a.transpose(0, 1), torch.zeros_like(a[0]))
        if ctx.needs_input_grad[1]:
            da = _outer_sums(dy, x)
        if ctx.needs_input_grad[2]:
            dc = dy.sum(dim=(0, 3))
        return dx, da, dc
