"""One interface for every bottleneck (none, VAE, VQ, RVQ; real and complex), and its spec.

A bottleneck maps an encoder output ``z`` to the latent the decoder sees and reports, with the
same result type whatever it is (audiocraft's ``quantization/base.py`` pattern, whose quantizers
also return their bandwidth):

* ``latent``: what the decoder takes (same shape as ``z``);
* ``codes``: integer code indices for discrete bottlenecks, else ``None``: ``(B, *S)`` for one
  codebook, ``(B, N, *S)`` for ``N`` codebooks in sequence (``codebook_sizes`` has one entry per
  codebook);
* ``losses``: named scalar loss terms, already weighted, that training adds to the loss (a term
  whose weight is 0 is still reported, so an ablation keeps logging it);
* ``metrics``: named scalar statistics for logging (no gradient);
* ``rate``: the bits it spends per latent vector (:class:`Rate`): ``nominal`` for a code of
  fixed length (``sum_n log2 K_n``), ``kl`` for a Gaussian (its KL in bits, the cost of
  bits-back coding); ``None`` when the latent is not a code (the plain autoencoder).

Each bottleneck module also declares a :class:`BottleneckSpec` (``SPEC``): its name, its frozen
config dataclass, its real and complex constructors and how to label it; :mod:`vq.registry`
lists them, and nothing else in the project needs to know which bottleneck it is running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

from cvnn.layout import check_complex


@dataclass(frozen=True)
class Rate:
    """Bits per latent vector: ``bits`` (a float, or a 0-d tensor for a batch mean) of ``kind``
    ``nominal`` (fixed-length codes) or ``kl`` (a Gaussian's KL, bits-back)."""

    kind: Literal["nominal", "kl"]
    bits: float | Tensor


@dataclass
class BottleneckOutput:
    latent: Tensor
    codes: Tensor | None = None
    losses: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Tensor] = field(default_factory=dict)
    rate: Rate | None = None
    codebook_sizes: tuple[int, ...] = ()


class Bottleneck(nn.Module):
    """Base class: ``forward(z) -> BottleneckOutput``.

    ``eval_generator``: when set, a stochastic bottleneck draws its eval-mode noise from it (a
    VAE then decodes a posterior sample, reproducibly; :mod:`lab.evaluate`); ``None``: eval is
    deterministic.
    """

    def __init__(self) -> None:
        super().__init__()
        self.eval_generator: torch.Generator | None = None

    def forward(self, z: Tensor) -> BottleneckOutput:  # pragma: no cover - abstract
        raise NotImplementedError


class NoBottleneck(Bottleneck):
    """The plain autoencoder's bottleneck: the identity, no losses, no codes, no rate."""

    def forward(self, z: Tensor) -> BottleneckOutput:
        return BottleneckOutput(z)


class PlanarBottleneck(Bottleneck):
    """A complex bottleneck made of a real one over the stacked parts.

    Complex ``z (B, d, *S)`` -> real ``[Re z ; Im z] (B, 2d, *S)`` -> ``inner`` -> complex latent
    of ``z``'s shape. Exact for every bottleneck whose math is Euclidean: ``|z - e|^2 = ||Re z -
    Re e||^2 + ||Im z - Im e||^2``, so VQ on ``C^d`` *is* VQ on ``R^2d`` (docs/vq.md). Codes,
    losses, metrics and rate are the inner bottleneck's.
    """

    def __init__(self, inner: Bottleneck, dim: int) -> None:
        super().__init__()
        self.dim, self.inner = dim, inner

    def forward(self, z: Tensor) -> BottleneckOutput:
        check_complex(z, type(self).__name__)
        self.inner.eval_generator = self.eval_generator
        out: BottleneckOutput = self.inner(torch.cat([z.real, z.imag], dim=1))
        re, im = out.latent.chunk(2, dim=1)
        out.latent = torch.complex(re, im)
        return out


@dataclass(frozen=True)
class NoConfig:
    """The plain autoencoder has no settings."""


@dataclass(frozen=True)
class BottleneckSpec:
    """What the project needs to know of a bottleneck (one per module, in :mod:`vq.registry`).

    * ``section``: the :class:`lab.config.RunConfig` section (``vq``, ``vae``; ``""`` for none)
      whose keys set ``config``; bottlenecks may share a section, the most derived config class
      of a section holds every key;
    * ``real(dim, config)`` / ``complex(dim, config)``: the module for latent vectors of ``dim``
      real or complex dimensions;
    * ``input_factor``: encoder output dimensions per latent dimension (2 for a VAE: mean and
      log-variance);
    * ``label(config)``: the run-name part (``vq256``, ``rvq4x64``, ``vae-b1``, ``ae``);
      ``describe(config)``: as a table says it (``VQ K=256``, ``RVQ 4 x K=64``).
    """

    name: str
    section: str
    config: type
    real: Callable[[int, Any], Bottleneck]
    complex: Callable[[int, Any], Bottleneck]
    label: Callable[[Any], str]
    describe: Callable[[Any], str]
    input_factor: int = 1

    def build(self, domain: str, dim: int, config: Any = None) -> Bottleneck:
        """The module for ``domain`` (``real``/``complex``) with ``config`` (default: the
        config class's defaults)."""
        config = self.config() if config is None else config
        if not isinstance(config, self.config):
            raise TypeError(f"bottleneck {self.name!r} takes a {self.config.__name__}, got "
                            f"{type(config).__name__}")
        return (self.complex if domain == "complex" else self.real)(dim, config)


SPEC = BottleneckSpec("none", "", NoConfig, lambda dim, c: NoBottleneck(),
                      lambda dim, c: NoBottleneck(), lambda c: "ae",
                      lambda c: "no bottleneck (AE)")
