"""Vector quantization with a codebook in C^d.

For ``z, e in C^d``, ``|z - e|^2 = ||Re z - Re e||^2 + ||Im z - Im e||^2``: Euclidean VQ on
``C^d`` *is* real VQ on ``R^{2d}`` of the stacked parts (docs/vq.md). So this layer is a
:class:`~vq.quantizer.VectorQuantizer` of dimension ``2d`` behind a complex interface
(:class:`~vq.base.PlanarBottleneck`); nothing in the nearest-code search, the EMA or the losses
differs from the real case. What differs is only the accounting: a complex latent of ``d``
dimensions carries ``2d`` real numbers, so a fair comparison with a real VQ matches ``2d`` real
dimensions and the same ``K`` (same bits per vector). Losses are means over real components
(half the mean squared complex modulus).

Input ``z: (B, d, *S)`` complex; ``latent`` complex of the same shape.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from vq.base import PlanarBottleneck
from vq.quantizer import VectorQuantizer


class ComplexVectorQuantizer(PlanarBottleneck):
    """A VQ bottleneck over complex ``(B, dim, *S)``; keyword arguments as VectorQuantizer."""

    inner: VectorQuantizer

    def __init__(self, dim: int, codebook_size: int, **kwargs: float | bool | int) -> None:
        super().__init__(VectorQuantizer(2 * dim, codebook_size, **kwargs),  # type: ignore[arg-type]
                         dim)

    @property
    def quantizer(self) -> VectorQuantizer:
        """The real quantizer of ``2 dim`` dimensions."""
        return self.inner

    @property
    def codebook(self) -> Tensor:
        """The complex codebook ``(K, dim)``."""
        e = self.inner.codebook
        return torch.complex(e[:, : self.dim], e[:, self.dim:])

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str,
                              *args: Any) -> None:
        # models saved before the planar wrapper named the inner quantizer `quantizer`
        for key in [k for k in state_dict if k.startswith(prefix + "quantizer.")]:
            state_dict[prefix + "inner." + key[len(prefix + "quantizer."):]] = \
                state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args)
