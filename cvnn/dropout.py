"""Complex dropout: one mask for both parts, scaled once.

``CDropout``: each complex element is kept with probability ``1 - p`` and scaled by
``1 / (1 - p)``, so ``E[out] = z``; its real and imaginary parts are dropped together (the seed
applied :class:`torch.nn.Dropout` to the trailing-2 tensor, dropping parts independently).
``CDropout2d``: whole complex channels ``(b, c)`` are dropped together. Identity in eval mode.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cvnn.module import ComplexModule


class _CDropoutBase(ComplexModule):
    def __init__(self, p: float = 0.5, dim: int = 1) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.planar_dim = dim

    def _mask_shape(self, half: Tensor) -> list[int]:
        return list(half.shape)

    def forward_planar(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        half = x.narrow(self.planar_dim, 0, x.shape[self.planar_dim] // 2)
        keep = torch.empty(self._mask_shape(half), dtype=x.dtype, device=x.device)
        keep.bernoulli_(1.0 - self.p).div_(1.0 - self.p)
        return x * torch.cat([keep, keep], dim=self.planar_dim)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class CDropout(_CDropoutBase):
    """Element-wise complex dropout; ``dim`` is the planar split axis (channels: 1)."""


class CDropout2d(_CDropoutBase):
    """Channel-wise complex dropout over ``(B, C, H, W)``: zeroes whole complex channels."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p, dim=1)

    def _mask_shape(self, half: Tensor) -> list[int]:
        if half.ndim != 4:
            raise ValueError(f"CDropout2d expects (B, C, H, W), got {half.ndim} dims")
        return [half.shape[0], half.shape[1], 1, 1]
