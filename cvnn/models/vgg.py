"""VGG (Simonyan & Zisserman 2015) in complex form, and its real twin for fair comparisons.

``ComplexVGG``: blocks of ``CConv2d(3x3, pad 1) -> CBatchNorm2d (whitening) -> CReLU``, with
``CMaxPool2d(2)`` (by modulus) between stages, then ``CLinear -> CReLU -> CDropout`` twice and a
final ``CLinear``. ``depth`` selects VGG-11/13/16/19 (the seed hard-coded VGG-16); stage widths are
``(1, 2, 4, 8, 8) * width``; the classifier's input size is computed from ``input_size``.

Shapes: ``(B, in_channels, H, W)`` complex -> ``(B, num_classes)`` complex logits (compose with
:class:`cvnn.Modulus` for a real-valued head). Runs planar inside (:mod:`cvnn.module`).

``VGG`` is the same network with real layers. A complex ``C -> C`` convolution costs the real
multiply-adds of a real ``2C -> 2C`` one, so ``VGG(width=2w)`` is the equal-FLOP twin of
``ComplexVGG(width=w)`` (and has about twice its parameters); ``width ~ sqrt(2) w`` matches
parameters (docs/vq.md, "Fair real twins").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor, nn

from cvnn.activation import CReLU
from cvnn.batchnorm import CBatchNorm2d
from cvnn.conv import CConv2d
from cvnn.dropout import CDropout
from cvnn.linear import CLinear
from cvnn.module import CFlatten, ComplexModule, CSequential
from cvnn.pooling import CMaxPool2d

POOL = 0  # marks a 2x2 max pooling in a stage list
_STAGES: dict[int, tuple[int, ...]] = {
    11: (1, 1, 2, 2, 2),
    13: (2, 2, 2, 2, 2),
    16: (2, 2, 3, 3, 3),
    19: (2, 2, 4, 4, 4),
}
_MULT = (1, 2, 4, 8, 8)


def vgg_spec(depth: int, width: int = 64) -> list[int]:
    """Conv widths with ``POOL`` markers, e.g. VGG-11: ``[64, P, 128, P, 256, 256, P, ...]``."""
    if depth not in _STAGES:
        raise ValueError(f"VGG depth must be one of {sorted(_STAGES)}, got {depth}")
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    spec: list[int] = []
    for n, m in zip(_STAGES[depth], _MULT, strict=True):
        spec += [m * width] * n + [POOL]
    return spec


def _size_after_pools(input_size: int | tuple[int, int]) -> tuple[int, int]:
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    fh, fw = h // 32, w // 32
    if fh < 1 or fw < 1:
        raise ValueError(f"VGG needs inputs of at least 32x32 (five 2x2 poolings), got {h}x{w}")
    return fh, fw


@dataclass(frozen=True)
class _Layers:
    """The layer constructors of one domain."""

    conv: Callable[..., nn.Module]
    norm: Callable[[int], nn.Module]
    act: Callable[[], nn.Module]
    pool: Callable[[int], nn.Module]
    flatten: Callable[[], nn.Module]
    linear: Callable[[int, int], nn.Module]
    dropout: Callable[[float], nn.Module]


_COMPLEX = _Layers(CConv2d, CBatchNorm2d, CReLU, CMaxPool2d, CFlatten, CLinear, CDropout)
_REAL = _Layers(nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear,
                nn.Dropout)


def _build(k: _Layers, depth: int, in_channels: int, num_classes: int,
           input_size: int | tuple[int, int], width: int, hidden: int, dropout: float
           ) -> tuple[list[nn.Module], list[nn.Module]]:
    """Feature and classifier layers of VGG-``depth`` in one domain."""
    features: list[nn.Module] = []
    c = in_channels
    for v in vgg_spec(depth, width):
        if v == POOL:
            features.append(k.pool(2))
        else:
            features += [k.conv(c, v, 3, padding=1), k.norm(v), k.act()]
            c = v
    fh, fw = _size_after_pools(input_size)
    classifier = [k.flatten(), k.linear(c * fh * fw, hidden), k.act(), k.dropout(dropout),
                  k.linear(hidden, hidden), k.act(), k.dropout(dropout),
                  k.linear(hidden, num_classes)]
    return features, classifier


class ComplexVGG(ComplexModule):
    """Complex VGG-``depth``: ``(B, in_channels, H, W)`` -> ``(B, num_classes)`` complex."""

    planar_dim = 1

    def __init__(self, depth: int = 16, in_channels: int = 3, num_classes: int = 1000,
                 input_size: int | tuple[int, int] = 224, width: int = 64,
                 hidden: int = 4096, dropout: float = 0.5) -> None:
        super().__init__()
        features, classifier = _build(_COMPLEX, depth, in_channels, num_classes, input_size,
                                      width, hidden, dropout)
        self.features = CSequential(*features)
        self.classifier = CSequential(*classifier)

    def forward_planar(self, x: Tensor) -> Tensor:
        return self.classifier.forward_planar(self.features.forward_planar(x))


class VGG(nn.Module):
    """The real VGG with the same spec: ``(B, in_channels, H, W)`` -> ``(B, num_classes)`` real."""

    def __init__(self, depth: int = 16, in_channels: int = 3, num_classes: int = 1000,
                 input_size: int | tuple[int, int] = 224, width: int = 64,
                 hidden: int = 4096, dropout: float = 0.5) -> None:
        super().__init__()
        features, classifier = _build(_REAL, depth, in_channels, num_classes, input_size,
                                      width, hidden, dropout)
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(*classifier)

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.classifier(self.features(x))
        return out
