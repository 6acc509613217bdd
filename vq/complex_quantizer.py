"""Vector quantization with a codebook in C^d.

For ``z, e in C^d``, ``|z - e|^2 = ||Re z - Re e||^2 + ||Im z - Im e||^2``: Euclidean VQ on
``C^d`` *is* real VQ on ``R^{2d}`` of the stacked parts (docs/vq.md). So this layer is a
:class:`~vq.quantizer.VectorQuantizer` of dimension ``2d`` behind a complex interface; nothing in
the nearest-code search, the EMA or the losses differs from the real case. What differs is only
the accounting: a complex latent of ``d`` dimensions carries ``2d`` real numbers, so a fair
comparison with a real VQ matches ``2d`` real dimensions and the same ``K`` (same bits per
vector). Losses are means over real components (half the mean squared complex modulus).

Input ``z: (B, d, *S)`` complex; ``latent`` complex of the same shape.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cvnn.layout import check_complex
from vq.base import Bottleneck, BottleneckOutput
from vq.quantizer import VectorQuantizer


class ComplexVectorQuantizer(Bottleneck):
    """A VQ bottleneck over complex ``(B, dim, *S)``; keyword arguments as VectorQuantizer."""

    def __init__(self, dim: int, codebook_size: int, **kwargs: float | bool | int) -> None:
        super().__init__()
        self.dim = dim
        self.quantizer = VectorQuantizer(2 * dim, codebook_size, **kwargs)  # type: ignore[arg-type]

    @property
    def codebook(self) -> Tensor:
        """The complex codebook ``(K, dim)``."""
        e = self.quantizer.codebook
        return torch.complex(e[:, : self.dim], e[:, self.dim:])

    def forward(self, z: Tensor) -> BottleneckOutput:
        check_complex(z, "ComplexVectorQuantizer")
        out = self.quantizer(torch.cat([z.real, z.imag], dim=1))
        re, im = out.latent.chunk(2, dim=1)
        return BottleneckOutput(torch.complex(re, im), out.codes, out.losses, out.metrics)
