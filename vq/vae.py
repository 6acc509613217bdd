"""Gaussian (VAE) bottlenecks, real and complex (Kingma & Welling 2014).

**Real.** The encoder gives ``(B, 2D, *S)``: a mean ``mu`` and a log-variance ``log s^2`` per
position and dimension. Training samples ``mu + s * eps`` (reparameterization, ``eps ~ N(0, I)``);
eval uses ``mu``, or samples with :attr:`eval_generator` when one is set (evaluation at the
KL rate: :mod:`lab.evaluate`).
``KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - log s^2 - 1) / 2`` per dimension.

**Complex** (circular, or proper, Gaussian; e.g. Neeser & Massey 1993). The encoder gives complex
``(B, 2D, *S)``: the complex mean ``mu`` and, in the real part of the second half, ``log s^2``
(the imaginary part is not used). ``z = mu + s * eps`` with ``eps ~ CN(0, 1)``:
``Re eps, Im eps ~ N(0, 1/2)`` independent, so ``E|z - mu|^2 = s^2`` and the pseudo-covariance is
0. Against the prior ``CN(0, 1)``, ``KL = |mu|^2 + s^2 - log s^2 - 1`` per complex dimension,
which is exactly the real KL of the equivalent 2-D Gaussian ``N((Re mu, Im mu), s^2/2 I)`` against
``N(0, I/2)``; what differs from two real dimensions is that both parts share one variance (a
proper Gaussian has no real/imaginary correlation). The improper case (a pseudo-covariance) is
not implemented.

The log-variance is clamped to :data:`LOGVAR_RANGE` before use (a large early encoder output made
``e^logvar`` and the KL overflow in training: a quick-profile VAE reached a KL of 10^17).

Losses: ``vae/kl = beta * max(KL, free_bits ln 2)``, ``KL`` the batch mean over vectors of the KL
summed over dimensions (nats). ``free_bits`` (Kingma et al. 2016, "free bits", here one budget per
latent vector) makes the first ``free_bits`` bits of each vector free: below it the KL has no
gradient, above it costs ``beta`` per nat, so with a large enough ``beta`` the KL settles at the
budget: a VAE at a chosen rate (8 bits per vector at the frames model's 1,000 vectors/s, 8 groups
x 125 frames, is the VQ-256's 8 kbit/s).
Metrics: ``vae/kl_bits`` (unweighted KL per latent vector in bits); the same as the output's
``kl`` rate (:class:`~vq.base.Rate`), from which a model reports ``rate/kl_bps`` = vectors per
second x bits. Config: :class:`VAEConfig` (the ``vae.*`` keys); spec: :data:`SPEC` (the encoder
gives two numbers per latent dimension).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from cvnn.layout import check_complex
from vq.base import Bottleneck, BottleneckOutput, BottleneckSpec, Rate


@dataclass(frozen=True)
class VAEConfig:
    """A Gaussian bottleneck's settings (the ``vae.*`` keys of a run)."""

    beta: float = 1.0  # weight of the KL term
    free_bits: float = 0.0  # KL budget per latent vector (bits) that costs nothing

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta >= 0):
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if not (math.isfinite(self.free_bits) and self.free_bits >= 0):
            raise ValueError(f"free_bits must be >= 0, got {self.free_bits}")

# log-variances are clamped to this range (as latent-diffusion's DiagonalGaussianDistribution,
# Rombach et al. 2022): an early, large encoder output cannot make e^logvar overflow the KL
LOGVAR_RANGE = (-30.0, 20.0)


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """Elementwise ``KL(N(mu, e^logvar) || N(0, 1))`` (nats)."""
    return 0.5 * (mu.square() + logvar.exp() - logvar - 1.0)


def complex_gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """Elementwise ``KL(CN(mu, e^logvar) || CN(0, 1))`` for complex ``mu`` (nats)."""
    return mu.abs().square() + logvar.exp() - logvar - 1.0


class _GaussianBase(Bottleneck):
    def __init__(self, dim: int, beta: float = 1.0, free_bits: float = 0.0) -> None:
        super().__init__()
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim, self.beta, self.free_bits = dim, beta, free_bits

    def _noise(self, like: Tensor) -> Tensor:
        if self.training or self.eval_generator is None:
            return torch.randn_like(like)
        return torch.randn(like.shape, generator=self.eval_generator, device=like.device,
                           dtype=like.dtype)

    def _sampling(self) -> bool:
        return self.training or self.eval_generator is not None

    def _check(self, z: Tensor) -> None:
        if z.ndim < 2 or z.shape[1] != 2 * self.dim:
            raise ValueError(f"{type(self).__name__} expects (B, {2 * self.dim}, ...) = mean and "
                             f"log-variance of {self.dim} dims, got {tuple(z.shape)}")

    def _output(self, latent: Tensor, kl: Tensor) -> BottleneckOutput:
        per_vector = kl.sum(dim=1).mean()
        bits = per_vector.detach() / math.log(2)
        cost = per_vector.clamp(min=self.free_bits * math.log(2))  # free bits: no gradient below
        return BottleneckOutput(latent, None, {"vae/kl": self.beta * cost},
                                {"vae/kl_bits": bits}, Rate("kl", bits))

    def extra_repr(self) -> str:
        free = f", free_bits={self.free_bits:g}" if self.free_bits else ""
        return f"dim={self.dim}, beta={self.beta}{free}"


class GaussianBottleneck(_GaussianBase):
    """Real VAE bottleneck: ``(B, 2D, *S)`` -> latent ``(B, D, *S)``."""

    def forward(self, z: Tensor) -> BottleneckOutput:
        self._check(z)
        mu, logvar = z.chunk(2, dim=1)
        logvar = logvar.clamp(*LOGVAR_RANGE)
        latent = mu + (0.5 * logvar).exp() * self._noise(mu) if self._sampling() else mu
        return self._output(latent, gaussian_kl(mu, logvar))


class ComplexGaussianBottleneck(_GaussianBase):
    """Complex (circular) VAE bottleneck: complex ``(B, 2D, *S)`` -> complex ``(B, D, *S)``."""

    def forward(self, z: Tensor) -> BottleneckOutput:
        check_complex(z, "ComplexGaussianBottleneck")
        self._check(z)
        mu, second = z.chunk(2, dim=1)
        logvar = second.real.clamp(*LOGVAR_RANGE)
        if self._sampling():
            eps = torch.complex(self._noise(logvar), self._noise(logvar)) / math.sqrt(2)
            latent = mu + (0.5 * logvar).exp() * eps
        else:
            latent = mu
        return self._output(latent, complex_gaussian_kl(mu, logvar))


SPEC = BottleneckSpec("vae", "vae", VAEConfig,
                      lambda dim, c: GaussianBottleneck(dim, c.beta, c.free_bits),
                      lambda dim, c: ComplexGaussianBottleneck(dim, c.beta, c.free_bits),
                      lambda c: f"vae-b{c.beta:g}" + (f"-fb{c.free_bits:g}" if c.free_bits else ""),
                      lambda c: f"VAE β={c.beta:g}" + (
                          f", {c.free_bits:g} free bits" if c.free_bits else ""),
                      input_factor=2)
