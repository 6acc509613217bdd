"""Complex batch normalization: Trabelsi whitening (default) or naive per-part.

**Whitening** (Trabelsi et al. 2018, "Deep Complex Networks", sec. 3.5). For each channel, with
``x = (Re z, Im z)`` treated as a 2-vector, its mean ``mu`` and its 2x2 covariance

    V = [[Vrr, Vri], [Vri, Vii]],   Vrr = Var(Re z) + eps,  Vii = Var(Im z) + eps,
    Vri = Cov(Re z, Im z)

the output is ``gamma V^{-1/2} (x - mu) + beta`` with a learned symmetric 2x2 ``gamma``
(``gamma_rr = gamma_ii = 1/sqrt(2)``, ``gamma_ri = 0`` at init, so ``E|z|^2 = 1`` at init) and
a complex shift ``beta``. ``V^{-1/2}`` in closed form: with ``s = sqrt(det V)`` and
``t = sqrt(Vrr + Vii + 2s)``, ``V^{-1/2} = [[Vii + s, -Vri], [-Vri, Vrr + s]] / (s t)``. In
training the batch statistics are used (and differentiated through); running statistics (mean
and the unbiased covariance, updated with ``momentum`` as in :class:`torch.nn.BatchNorm2d`) are
used in eval mode. The activation-sized work runs in two fused autograd functions
(:mod:`cvnn._whiten`); only per-channel 2x2 algebra goes through autograd.

**Naive** (``mode="naive"``): an independent real batch norm on each part (real and imaginary
normalized separately, with their own scale and shift), i.e. one real batch norm over the
planar ``2C`` channels. The seed's ``CBatchnorm`` meant this but applied the real part's norm to
both parts.

Shapes: ``CBatchNorm1d``: ``(B, C)`` or ``(B, C, L)``; ``CBatchNorm2d``: ``(B, C, H, W)``;
complex. Parameters and buffers are stored part-major, so that flattening gives the planar
order: ``bias (2, C)`` (Re, Im shift) and ``running_mean (2, C)``; whiten ``weight (3, C)`` rows
``(g_rr, g_ri, g_ii)`` and ``running_covar (3, C)`` rows ``(Vrr, Vri, Vii)``; naive
``weight (2, C)`` and ``running_var (2, C)`` (scale and variance of the real and imaginary part).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cvnn._whiten import Affine2x2, WhitenTrain, inv_sqrt_2x2
from cvnn.module import ComplexModule

Mode = Literal["whiten", "naive"]


class _CBatchNorm(ComplexModule):
    planar_dim = 1
    _ndims: tuple[int, ...] = (4,)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        mode: Mode = "whiten",
    ) -> None:
        super().__init__()
        if mode not in ("whiten", "naive"):
            raise ValueError(f"mode must be 'whiten' or 'naive', got {mode!r}")
        if num_features <= 0:
            raise ValueError(f"num_features must be positive, got {num_features}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.mode = mode
        c = num_features
        self.weight: nn.Parameter | None
        self.bias: nn.Parameter | None
        if affine:
            self.weight = nn.Parameter(torch.empty(3 if mode == "whiten" else 2, c))
            self.bias = nn.Parameter(torch.empty(2, c))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.running_mean: Tensor | None
        self.num_batches_tracked: Tensor | None
        self._stat = "running_covar" if mode == "whiten" else "running_var"
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(2, c))
            self.register_buffer(self._stat, torch.zeros(3 if mode == "whiten" else 2, c))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer(self._stat, None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def _running_second(self) -> Tensor | None:
        """The running second moments: covariance rows (whiten) or variances (naive)."""
        t = getattr(self, self._stat)
        assert t is None or isinstance(t, Tensor)
        return t

    def reset_running_stats(self) -> None:
        second = self._running_second()
        if self.running_mean is not None and second is not None:
            assert self.num_batches_tracked is not None
            self.running_mean.zero_()
            second.zero_()
            second[0] = 1.0
            second[-1] = 1.0
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None and self.bias is not None:
            with torch.no_grad():
                if self.mode == "whiten":
                    self.weight.zero_()
                    self.weight[0] = self.weight[2] = 1 / math.sqrt(2)
                else:
                    self.weight.fill_(1.0)
                self.bias.zero_()

    def _check(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.ndim not in self._ndims:
            raise ValueError(f"{name} expects {self._dims_text()}; got {x.ndim} dims")
        if x.shape[1] != 2 * self.num_features:
            raise ValueError(
                f"{name} expects {self.num_features} complex channels, got {x.shape[1] // 2}"
            )

    def _dims_text(self) -> str:
        return "(B, C, H, W)"

    def _factor(self) -> float:
        """The weight of the new batch statistic in the running average."""
        assert self.num_batches_tracked is not None
        self.num_batches_tracked.add_(1)
        if self.momentum is None:
            return 1.0 / float(self.num_batches_tracked)
        return self.momentum

    def forward_planar(self, x: Tensor) -> Tensor:
        self._check(x)
        use_batch = self.training or not self.track_running_stats
        if self.mode == "naive":
            return self._naive(x, use_batch)
        return self._whiten(x, use_batch)

    def _naive(self, x: Tensor, use_batch: bool) -> Tensor:
        # part-major (2, C) tensors flatten to the planar order [Re ; Im]; batch_norm updates
        # the running buffers in place through these views
        flat = [None if t is None else t.view(-1)
                for t in (self.running_mean, self._running_second(), self.weight, self.bias)]
        momentum = self._factor() if use_batch and self.running_mean is not None else 0.0
        return F.batch_norm(x, flat[0], flat[1], flat[2], flat[3], use_batch, momentum, self.eps)

    def _whiten(self, x: Tensor, use_batch: bool) -> Tensor:
        n_b, c = x.shape[0], self.num_features
        xv = x.reshape(n_b, 2, c, -1)  # (B, 2, C, L): part, channel, positions
        covar = self._running_second()
        if use_batch:
            n = n_b * xv.shape[-1]
            if n < 2:
                raise ValueError(
                    f"{type(self).__name__} needs more than one value per channel in training "
                    f"(got input of shape {tuple(x.shape)})"
                )
            y, mean, cov = WhitenTrain.apply(xv, self.weight, self.bias, self.eps)
            if self.running_mean is not None and covar is not None:
                with torch.no_grad():
                    f = self._factor()
                    unbiased = cov * (n / (n - 1))  # as torch's running variance
                    self.running_mean.lerp_(mean.to(self.running_mean.dtype), f)
                    covar.lerp_(unbiased.to(covar.dtype), f)
            out: Tensor = y.view(x.shape)
            return out
        assert self.running_mean is not None and covar is not None
        whiten, _, _, _ = inv_sqrt_2x2(covar[0] + self.eps, covar[1], covar[2] + self.eps,
                                       self.eps)
        a = whiten
        if self.weight is not None:
            g_rr, g_ri, g_ii = self.weight
            gamma = torch.stack([torch.stack([g_rr, g_ri]), torch.stack([g_ri, g_ii])])
            a = torch.einsum("pkc,kqc->pqc", gamma, whiten)
        # y = A (x - mu) + beta = A x + (beta - A mu): the centering folds into the shift
        shift = -torch.einsum("pqc,qc->pc", a, self.running_mean)
        if self.bias is not None:
            shift = shift + self.bias
        y = Affine2x2.apply(xv, a, shift)
        out = y.view(x.shape)
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, mode={self.mode!r}, eps={self.eps}, "
                f"momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class CBatchNorm1d(_CBatchNorm):
    """Complex batch norm over ``(B, C)`` or ``(B, C, L)`` complex inputs (see module doc)."""

    _ndims = (2, 3)

    def _dims_text(self) -> str:
        return "(B, C) or (B, C, L)"


class CBatchNorm2d(_CBatchNorm):
    """Complex batch norm over ``(B, C, H, W)`` complex inputs (see module doc)."""

    _ndims = (4,)
