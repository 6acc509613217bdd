"""One interface for every bottleneck (none, VAE, VQ; real and complex).

A bottleneck maps an encoder output ``z`` to the latent the decoder sees and reports, with the
same result type whatever it is (audiocraft's ``quantization/base.py`` pattern):

* ``latent``: what the decoder takes (same shape as ``z``);
* ``codes``: integer code indices ``(B, *S)`` for discrete bottlenecks, else ``None``;
* ``losses``: named scalar loss terms, already weighted, that training adds to the loss (a term
  whose weight is 0 is still reported, so an ablation keeps logging it);
* ``metrics``: named scalar statistics for logging (no gradient).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn


@dataclass
class BottleneckOutput:
    latent: Tensor
    codes: Tensor | None = None
    losses: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Tensor] = field(default_factory=dict)


class Bottleneck(nn.Module):
    """Base class: ``forward(z) -> BottleneckOutput``."""

    def forward(self, z: Tensor) -> BottleneckOutput:  # pragma: no cover - abstract
        raise NotImplementedError


class NoBottleneck(Bottleneck):
    """The plain autoencoder's bottleneck: the identity, no losses, no codes."""

    def forward(self, z: Tensor) -> BottleneckOutput:
        return BottleneckOutput(z)
