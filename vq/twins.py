"""Fair real twins of a complex autoencoder (docs/vq.md, "Fair real twins").

From a complex :class:`~vq.autoencoder.AutoencoderConfig`, the twin keeps the topology, the
bottleneck and its bits (``K`` codes), takes the planar input (``2 x in_channels`` real channels:
real and imaginary parts) and has ``2 x latent_dim`` real latent dimensions (a complex dimension
holds two real numbers, so VQ on ``C^d`` is VQ on ``R^2d``). Only the width changes, chosen so that

* ``match="params"``: the real parameter counts agree (the twin's width is about ``sqrt(2) w``);
* ``match="flops"``: the FLOPs of one forward pass on the given input size agree (about ``2 w``),
  counted on the actual implementations (:func:`~vq.autoencoder.flop_count`, at the batch size
  the models run at: a complex convolution's formulation depends on it).

The width is the integer minimizing the relative mismatch (counts grow with width, so a
bisection finds it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import Literal

from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder, flop_count, parameter_count


def twin_config(config: AutoencoderConfig, width: int,
                in_channels: int | None = None) -> AutoencoderConfig:
    """The real config of the twin at ``width``; ``in_channels`` defaults to the planar input
    (``2 x`` the complex channels); 1 makes a twin for a magnitude-only representation."""
    if config.domain != "complex":
        raise ValueError("twins are made from a complex config")
    return replace(config, domain="real", in_channels=in_channels or 2 * config.in_channels,
                   latent_dim=2 * config.latent_dim, width=width)


@functools.lru_cache(maxsize=256)
def real_twin(config: AutoencoderConfig, match: Literal["params", "flops"],
              freq: int = 257, frames: int = 126, batch: int = 16,
              in_channels: int | None = None) -> tuple[AutoencoderConfig, float]:
    """The matched real config and its relative mismatch ``|real / complex - 1|`` (FLOPs per
    clip of a ``(batch, C, freq, frames)`` input)."""
    measure: Callable[[AutoencoderConfig], int]
    if match == "params":
        def measure(c: AutoencoderConfig) -> int:
            return parameter_count(SpectrogramAutoencoder(c))
    elif match == "flops":
        def measure(c: AutoencoderConfig) -> int:
            return flop_count(SpectrogramAutoencoder(c), freq, frames, batch)
    else:
        raise ValueError(f"match must be 'params' or 'flops', got {match!r}")
    seen: dict[AutoencoderConfig, int] = {}

    def count(c: AutoencoderConfig) -> int:  # each model built and counted once
        if c not in seen:
            seen[c] = measure(c)
        return seen[c]

    target = count(config)
    lo, hi = 1, 4 * config.width
    while lo < hi:  # smallest width whose count reaches the target
        mid = (lo + hi) // 2
        if count(twin_config(config, mid, in_channels)) < target:
            lo = mid + 1
        else:
            hi = mid
    best = min((w for w in (lo - 1, lo) if w >= 1),
               key=lambda w: abs(count(twin_config(config, w, in_channels)) / target - 1))
    cfg = twin_config(config, best, in_channels)
    return cfg, abs(count(cfg) / target - 1)
