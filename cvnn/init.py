"""Complex weight initialization (Trabelsi et al. 2018, "Deep Complex Networks", sec. 3.6).

A complex weight is drawn in polar form ``W = |W| e^{i theta}`` with
``|W| ~ Rayleigh(sigma)`` and ``theta ~ U(-pi, pi)``, so that ``E[W] = 0`` and
``Var(W) = E|W|^2 = 2 sigma^2``. The scale follows the real criteria:

* Glorot: ``Var(W) = 2 / (fan_in + fan_out)``  ->  ``sigma = 1 / sqrt(fan_in + fan_out)``
* He:     ``Var(W) = 2 / fan_in``              ->  ``sigma = 1 / sqrt(fan_in)``

with fans counted in complex units, as :func:`torch.nn.init._calculate_fan_in_and_fan_out`
counts them on the complex weight's shape. Weights are stored part-major, ``(2, *shape)``
holding ``(Re W, Im W)`` (real parameters, so ``.double()``, ``clip_grad_norm_`` and every
optimizer work unchanged); these functions take that layout.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

Criterion = Literal["he", "glorot"]


def complex_fans(weight: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a part-major complex weight ``(2, out, in, *kernel)``."""
    if weight.ndim == 0 or weight.shape[0] != 2:
        raise ValueError(f"expected a part-major weight (2, ...), got {tuple(weight.shape)}")
    shape = weight.shape[1:]
    if len(shape) < 2:
        raise ValueError(f"need a weight of at least 2 complex dims, got {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def rayleigh_sigma(fan_in: int, fan_out: int, criterion: Criterion) -> float:
    """The Rayleigh scale ``sigma`` for a criterion: ``Var(W) = 2 sigma^2``."""
    if criterion == "he":
        return 1.0 / math.sqrt(fan_in)
    if criterion == "glorot":
        return 1.0 / math.sqrt(fan_in + fan_out)
    raise ValueError(f"unknown criterion {criterion!r}; use 'he' or 'glorot'")


@torch.no_grad()
def complex_rayleigh_(
    weight: Tensor, sigma: float, generator: torch.Generator | None = None
) -> Tensor:
    """Fill a part-major weight ``(2, ...)`` with ``Rayleigh(sigma) * exp(i U(-pi, pi))``.

    Drawn in chunks of about a million elements, so a large layer (the seed's 25088 x 4096 VGG
    classifier) needs no weight-sized float64 temporaries.
    """
    if weight.ndim == 0 or weight.shape[0] != 2:
        raise ValueError(f"expected a part-major weight (2, ...), got {tuple(weight.shape)}")
    if weight.is_meta:  # shapes only (a model sized before it is built): nothing to draw
        return weight
    flat = weight.view(2, -1) if weight.is_contiguous() else torch.empty(
        2, weight.numel() // 2, dtype=weight.dtype, device=weight.device)
    # draw on the generator's device (a CPU generator may fill a CUDA weight)
    device = generator.device if generator is not None else weight.device
    for part in flat.split(1 << 20, dim=1):
        n = part.shape[1]
        u = torch.rand(n, generator=generator, dtype=torch.float64, device=device)
        # inverse CDF of the Rayleigh law; 1 - u in (0, 1] keeps the log finite
        modulus = sigma * torch.sqrt(-2.0 * torch.log1p(-u))
        phase = (torch.rand(n, generator=generator, dtype=torch.float64, device=device)
                 * 2.0 - 1.0) * math.pi
        part[0].copy_(modulus * torch.cos(phase))
        part[1].copy_(modulus * torch.sin(phase))
    if flat.data_ptr() != weight.data_ptr():
        weight.copy_(flat.view(weight.shape))
    return weight


def complex_he_(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """He-criterion complex init: ``E|W|^2 = 2 / fan_in``."""
    fan_in, fan_out = complex_fans(weight)
    return complex_rayleigh_(weight, rayleigh_sigma(fan_in, fan_out, "he"), generator)


def complex_glorot_(weight: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Glorot-criterion complex init: ``E|W|^2 = 2 / (fan_in + fan_out)``."""
    fan_in, fan_out = complex_fans(weight)
    return complex_rayleigh_(weight, rayleigh_sigma(fan_in, fan_out, "glorot"), generator)
