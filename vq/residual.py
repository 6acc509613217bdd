"""Residual vector quantization (Zeghidour et al. 2021, SoundStream; Défossez et al. 2022, EnCodec).

``N`` quantizers in sequence, each coding what the ones before left: with ``r_1 = z``,

    q_n = VQ_n(r_n),    r_{n+1} = r_n - q_n,    q = q_1 + ... + q_N,

so the latent vector costs ``N log2 K`` bits (rate ``vectors/s x N x log2 K``, nominal) and the
error ``r_{N+1}`` shrinks as stages are added. Each stage is a
:class:`~vq.quantizer.VectorQuantizer` (EMA codebook, k-means initialization, dead-code
replacement) on its own residual.

* Gradient: one straight-through estimator on the sum, ``latent = z + sg(q - z)`` (the decoder's
  gradient reaches the encoder once; summing per-stage estimators, as audiocraft's
  ``ResidualVectorQuantization`` does, scales it by the number of stages). The residuals are
  ``r_n = z - sg(q_1 + ... + q_{n-1})``, so stage ``n``'s commitment ``beta ||r_n - sg(q_n)||^2``
  pulls the encoder towards what the first ``n`` stages can represent.
* Losses: ``vq/commitment`` and ``vq/codebook``, means over the stages used (as audiocraft).
* Quantizer dropout (SoundStream): with ``quantizer_dropout``, each training batch uses only the
  first ``n ~ U{1..N}`` stages (drawn from torch's generator, so seeded runs repeat), so that
  any prefix of the codes decodes: one model for ``N`` bitrates. Evaluation uses all ``N``.
* Codes ``(B, N, *S)`` (``(B, *S)`` when one stage is used); metrics: ``codebook/perplexity``,
  ``codebook/usage`` and ``codebook/dead_fraction`` are means over the stages,
  ``codebook/entropy_bits`` their sum (an entropy coder codes each stage's index).

The complex RVQ is the real one of ``2d`` dimensions over the stacked parts
(:class:`~vq.base.PlanarBottleneck`), as for plain VQ. Config :class:`RVQConfig` (the ``vq``
section's keys plus ``vq.codebooks`` and ``vq.quantizer_dropout``); spec :data:`SPEC`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from vq.base import Bottleneck, BottleneckOutput, BottleneckSpec, PlanarBottleneck, Rate
from vq.quantizer import VectorQuantizer, VQConfig

SUMMED = ("codebook/entropy_bits",)  # metrics that add up over stages; the others are means


@dataclass(frozen=True)
class RVQConfig(VQConfig):
    """:class:`~vq.quantizer.VQConfig` (each stage's settings) plus the number of stages."""

    codebooks: int = 1  # rvq: N codebooks in sequence, N log2 K bits per latent vector
    quantizer_dropout: bool = False  # rvq: train each batch on the first n ~ U{1..N} codebooks

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.codebooks < 1:
            raise ValueError(f"codebooks must be >= 1, got {self.codebooks}")


class ResidualVectorQuantizer(Bottleneck):
    """RVQ over ``(B, dim, *S)`` (module docstring); keyword arguments go to every stage's
    :class:`~vq.quantizer.VectorQuantizer`."""

    def __init__(self, dim: int, codebook_size: int, codebooks: int,
                 quantizer_dropout: bool = False, **kwargs: float | bool | int) -> None:
        super().__init__()
        if codebooks < 1:
            raise ValueError(f"codebooks must be >= 1, got {codebooks}")
        self.dim, self.codebook_size, self.quantizer_dropout = dim, codebook_size, quantizer_dropout
        self.stages = nn.ModuleList(
            VectorQuantizer(dim, codebook_size, **kwargs)  # type: ignore[arg-type]
            for _ in range(codebooks))

    def active(self) -> int:
        """How many stages this forward uses: all, or ``U{1..N}`` in training with dropout."""
        n = len(self.stages)
        if self.training and self.quantizer_dropout and n > 1:
            return int(torch.randint(1, n + 1, ()))
        return n

    def forward(self, z: Tensor) -> BottleneckOutput:
        n = self.active()
        residual, total = z, torch.zeros_like(z)
        codes: list[Tensor] = []
        losses: dict[str, list[Tensor]] = {}
        metrics: dict[str, list[Tensor]] = {}
        for stage in list(self.stages)[:n]:
            out = stage(residual)
            q = out.latent.detach()  # the stage's code vectors (its latent's value)
            total = total + q
            residual = residual - q
            assert out.codes is not None
            codes.append(out.codes)
            for k, v in out.losses.items():
                losses.setdefault(k, []).append(v)
            for k, v in out.metrics.items():
                metrics.setdefault(k, []).append(v)
        latent = z + (total - z).detach()
        stacked = codes[0] if n == 1 else torch.stack(codes, dim=1)
        return BottleneckOutput(
            latent, stacked, {k: torch.stack(v).mean() for k, v in losses.items()},
            {k: torch.stack(v).sum() if k in SUMMED else torch.stack(v).mean()
             for k, v in metrics.items()},
            Rate("nominal", n * math.log2(self.codebook_size)), (self.codebook_size,) * n)

    def extra_repr(self) -> str:
        return f"codebooks={len(self.stages)}, quantizer_dropout={self.quantizer_dropout}"


def build(dim: int, c: RVQConfig) -> ResidualVectorQuantizer:
    return ResidualVectorQuantizer(dim, c.codebook_size, c.codebooks, c.quantizer_dropout,
                                   commitment=c.commitment, decay=c.ema_decay)


def build_complex(dim: int, c: RVQConfig) -> PlanarBottleneck:
    return PlanarBottleneck(build(2 * dim, c), dim)


SPEC = BottleneckSpec("rvq", "vq", RVQConfig, build, build_complex,
                      lambda c: f"rvq{c.codebooks}x{c.codebook_size}",
                      lambda c: f"RVQ {c.codebooks} x K={c.codebook_size}")
