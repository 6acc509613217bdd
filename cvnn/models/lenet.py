"""LeNet-5 (LeCun et al. 1998) in complex form.

``CConv2d(in, 6, 5) -> CReLU -> CMaxPool2d(2) -> CConv2d(6, 16, 5) -> CReLU -> CMaxPool2d(2)``, then
``CLinear(16*h*w, 120) -> CReLU -> CLinear(120, 84) -> CReLU -> CLinear(84, num_classes)``, with
``h, w`` computed from ``input_size``. Shapes: ``(B, in_channels, H, W)`` complex ->
``(B, num_classes)`` complex logits. Runs planar inside (:mod:`cvnn.module`).
"""

from __future__ import annotations

from torch import Tensor

from cvnn.activation import CReLU
from cvnn.conv import CConv2d
from cvnn.linear import CLinear
from cvnn.module import CFlatten, ComplexModule, CSequential
from cvnn.pooling import CMaxPool2d


def _features_side(n: int) -> int:
    return ((n - 4) // 2 - 4) // 2


class ComplexLeNet(ComplexModule):
    """Complex LeNet-5: ``(B, in_channels, H, W)`` -> ``(B, num_classes)`` complex."""

    planar_dim = 1

    def __init__(self, in_channels: int = 1, num_classes: int = 10,
                 input_size: int | tuple[int, int] = 32) -> None:
        super().__init__()
        h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
        fh, fw = _features_side(h), _features_side(w)
        if fh < 1 or fw < 1:
            raise ValueError(f"LeNet needs inputs of at least 16x16, got {h}x{w}")
        self.features = CSequential(
            CConv2d(in_channels, 6, 5), CReLU(), CMaxPool2d(2),
            CConv2d(6, 16, 5), CReLU(), CMaxPool2d(2),
        )
        self.classifier = CSequential(
            CFlatten(), CLinear(16 * fh * fw, 120), CReLU(), CLinear(120, 84), CReLU(),
            CLinear(84, num_classes),
        )

    def forward_planar(self, x: Tensor) -> Tensor:
        return self.classifier.forward_planar(self.features.forward_planar(x))
