"""Complex activations, and the modulus as a real-valued head.

With ``z = x + iy = r e^{i phi}``:

* :class:`CReLU`: ``ReLU(x) + i ReLU(y)`` (Trabelsi et al. 2018).
* :class:`ModReLU`: ``ReLU(r + b) e^{i phi}`` with a learnable real bias ``b`` per feature
  (Arjovsky et al. 2016). Sign convention: ``b`` is *added* to the modulus, so ``b < 0`` zeroes a
  disc of radius ``-b`` and ``b = 0`` is the identity. Init ``b = 0``.
* :class:`ZReLU`: ``z`` where ``0 <= phi <= pi/2`` (both parts non-negative), else 0
  (Guberman 2016).
* :class:`Cardioid`: ``(1 + cos phi) z / 2`` (Virtanen et al. 2017): the identity on the positive
  real axis, zero on the negative one, phase kept.
* :class:`BoundedMask`: ``tanh(r) e^{i phi}`` (Choi et al. 2019, DCUNet's bounded mask): modulus
  in ``[0, 1)``, phase kept. The seed applied ``tanh`` to each part instead.
* :class:`Modulus`: ``|z|`` as a real tensor, e.g. to feed complex logits to a real loss.

At ``z = 0`` the phase is undefined; every function here returns 0 there, with finite gradients.
Each works on any shape; ``dim`` is the axis that the planar layout splits (channels: 1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cvnn.layout import check_complex
from cvnn.module import ComplexModule

_TINY = 1e-12


def _halves(x: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    re, im = x.chunk(2, dim=dim)
    return re, im


class _PointwiseActivation(ComplexModule):
    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.planar_dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.planar_dim}"


class CReLU(_PointwiseActivation):
    """``ReLU(Re z) + i ReLU(Im z)``."""

    def forward_planar(self, x: Tensor) -> Tensor:
        return F.relu(x)


class ModReLU(_PointwiseActivation):
    """``ReLU(|z| + b) z / |z|`` with a learnable bias ``b`` of shape ``(num_features,)``.

    ``num_features`` counts complex features along ``dim``; ``num_features=1`` shares one bias.
    """

    def __init__(self, num_features: int = 1, dim: int = 1) -> None:
        super().__init__(dim)
        self.num_features = num_features
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward_planar(self, x: Tensor) -> Tensor:
        re, im = _halves(x, self.planar_dim)
        r = torch.sqrt(re * re + im * im)
        shape = [1] * x.ndim
        shape[self.planar_dim] = -1
        scale = F.relu(r + self.bias.view(shape)) / r.clamp_min(_TINY)
        return x * torch.cat([scale, scale], dim=self.planar_dim)

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, dim={self.planar_dim}"


class ZReLU(_PointwiseActivation):
    """``z`` if ``Re z >= 0`` and ``Im z >= 0``, else 0."""

    def forward_planar(self, x: Tensor) -> Tensor:
        re, im = _halves(x, self.planar_dim)
        keep = ((re >= 0) & (im >= 0)).to(x.dtype)
        return x * torch.cat([keep, keep], dim=self.planar_dim)


class Cardioid(_PointwiseActivation):
    """``(1 + cos(arg z)) z / 2`` with ``cos(arg z) = Re z / |z|``."""

    def forward_planar(self, x: Tensor) -> Tensor:
        re, im = _halves(x, self.planar_dim)
        r = torch.sqrt(re * re + im * im)
        scale = 0.5 * (1.0 + re / r.clamp_min(_TINY))
        return x * torch.cat([scale, scale], dim=self.planar_dim)


class BoundedMask(_PointwiseActivation):
    """``tanh(|z|) z / |z|``: a complex mask with modulus below 1 (DCUNet)."""

    def forward_planar(self, x: Tensor) -> Tensor:
        re, im = _halves(x, self.planar_dim)
        r = torch.sqrt(re * re + im * im).clamp_min(_TINY)
        scale = torch.tanh(r) / r
        return x * torch.cat([scale, scale], dim=self.planar_dim)


class Modulus(nn.Module):
    """``|z|``: complex ``(*)`` -> real ``(*)``; a real-valued head for classification."""

    def forward(self, z: Tensor) -> Tensor:
        check_complex(z, "Modulus")
        return z.abs()
