"""Complex activations, and the modulus as a real-valued head.

With ``z = x + iy = r e^{i phi}``:

* :class:`CReLU`: ``ReLU(x) + i ReLU(y)`` (Trabelsi et al. 2018).
* :class:`ModReLU`: ``ReLU(r + b) e^{i phi}`` with a learnable real bias ``b`` per feature
  (Arjovsky et al. 2016). Sign convention: ``b`` is *added* to the modulus, so ``b < 0`` zeroes a
  disc of radius ``-b`` and ``b = 0`` is the identity. Init ``b = 0``.
* :class:`ZReLU`: ``z`` where ``0 <= phi <= pi/2`` (both parts non-negative), else 0
  (Guberman 2016).
* :class:`Cardioid`: ``(1 + cos phi) z / 2`` (Virtue, Yu & Lustig 2017, "Better than Real:
  Complex-valued Neural Nets for MRI Fingerprinting"): the identity on the positive real axis,
  zero on the negative one, phase kept.
* :class:`BoundedMask`: ``tanh(r) e^{i phi}`` (Choi et al. 2019, DCUNet's bounded mask): modulus
  in ``[0, 1)``, phase kept. The seed applied ``tanh`` to each part instead.
* :class:`Modulus`: ``|z|`` as a real tensor, e.g. to feed complex logits to a real loss.

At ``z = 0`` the phase is undefined; every function here returns 0 there, with finite gradients.
The modulus-based ones (ModReLU, Cardioid, BoundedMask) scale ``z`` by a real gain ``g(z)``; it is
computed so that no ``0/0`` reaches autograd, and ``g(0)``, which is then the derivative used at
0, is the limit of ``g`` where one exists: 1 for BoundedMask, 1 for ModReLU with ``b = 0`` and 0
with ``b < 0`` (all exact derivatives); 1/2, the mean over directions, for Cardioid; and 1 for
ModReLU with ``b > 0``, where the function jumps at 0.
Each works on any shape that has the axis ``dim``, the axis that the planar layout splits
(channels: 1, the default; -1 for feature-last data such as ``(B, T, F)``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cvnn.layout import check_complex
from cvnn.module import ComplexModule


def _halves(x: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    re, im = x.chunk(2, dim=dim)
    return re, im


def _modulus(re: Tensor, im: Tensor) -> tuple[Tensor, Tensor]:
    """``(|z| with 1 where z = 0, mask z != 0)``; no ``0/0`` reaches autograd at ``z = 0``.

    ``sqrt``/``hypot`` have an infinite derivative at 0, so the input itself is replaced there
    (replacing only the output would still send ``0 * inf = nan`` back through the masked branch).
    """
    nz = (re != 0) | (im != 0)
    r = torch.hypot(torch.where(nz, re, torch.ones_like(re)), im)
    return r, nz


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
        if self.num_features not in (1, re.shape[self.planar_dim]):
            raise ValueError(
                f"ModReLU has {self.num_features} biases but the input has "
                f"{re.shape[self.planar_dim]} complex features along dim {self.planar_dim} "
                f"(complex shape {tuple(re.shape)}); set dim= to the feature axis"
            )
        r, nz = _modulus(re, im)
        shape = [1] * x.ndim
        shape[self.planar_dim] = -1
        b = self.bias.view(shape)
        scale = torch.where(nz, F.relu(r + b) / r, (b >= 0).to(x.dtype))
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
        r, _ = _modulus(re, im)
        scale = 0.5 * (1.0 + re / r)  # re = 0 where z = 0: scale 1/2 there
        return x * torch.cat([scale, scale], dim=self.planar_dim)


class BoundedMask(_PointwiseActivation):
    """``tanh(|z|) z / |z|``: a complex mask with modulus below 1 (DCUNet)."""

    def forward_planar(self, x: Tensor) -> Tensor:
        re, im = _halves(x, self.planar_dim)
        r, nz = _modulus(re, im)
        scale = torch.where(nz, torch.tanh(r) / r, torch.ones_like(r))
        return x * torch.cat([scale, scale], dim=self.planar_dim)


class Modulus(nn.Module):
    """``|z|``: complex ``(*)`` -> real ``(*)``; a real-valued head for classification."""

    def forward(self, z: Tensor) -> Tensor:
        check_complex(z, "Modulus")
        return z.abs()
