"""GoogLeNet / Inception v1 (Szegedy et al. 2015) in complex form, with its auxiliary heads.

Stem ``7x7/2 conv -> maxpool -> 1x1 conv -> 3x3 conv -> maxpool``, inception blocks 3a-3b, 4a-4e,
5a-5b with max poolings between stages, global average pooling, dropout 0.4 and a linear
classifier. Every convolution is ``CConv2d -> CBatchNorm2d -> CReLU``; max pooling is by modulus.
Each inception block concatenates four branches (1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max pool -> 1x1).
Auxiliary heads after 4a and 4d (adaptive average pooling to 4x4, 1x1 conv to 128, linear to 1024,
dropout 0.7, linear), as in the paper, are computed in training mode only. ``width`` scales every
channel count (1.0 = the paper's). Global pooling makes any input of at least 32x32 valid.

Shapes: ``(B, in_channels, H, W)`` complex -> :class:`GoogLeNetOutput` of ``(B, num_classes)``
complex logits; ``aux1``/``aux2`` are ``None`` in eval mode or when ``aux_logits=False``.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor, nn

from cvnn.activation import CReLU
from cvnn.batchnorm import CBatchNorm2d
from cvnn.conv import CConv2d, IntOrTuple
from cvnn.dropout import CDropout
from cvnn.layout import check_complex, complex_to_planar, planar_cat, planar_to_complex
from cvnn.linear import CLinear
from cvnn.module import CFlatten, ComplexModule, CSequential, check_dtype
from cvnn.pooling import CAdaptiveAvgPool2d, CMaxPool2d

# (c1x1, c3x3 reduce, c3x3, c5x5 reduce, c5x5, pool proj) per block, from the paper's Table 1
_BLOCKS: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}


class GoogLeNetOutput(NamedTuple):
    logits: Tensor
    aux1: Tensor | None
    aux2: Tensor | None


def conv_bn_relu(c_in: int, c_out: int, kernel_size: IntOrTuple, stride: int = 1,
                 padding: int = 0) -> CSequential:
    """``CConv2d (no bias) -> CBatchNorm2d -> CReLU``."""
    return CSequential(CConv2d(c_in, c_out, kernel_size, stride, padding, bias=False),
                       CBatchNorm2d(c_out), CReLU())


class CInception(ComplexModule):
    """One inception block; output channels ``c1 + c3 + c5 + pool``."""

    planar_dim = 1

    def __init__(self, c_in: int, c1: int, c3r: int, c3: int, c5r: int, c5: int,
                 pool: int) -> None:
        super().__init__()
        self.out_channels = c1 + c3 + c5 + pool
        self.b1 = conv_bn_relu(c_in, c1, 1)
        self.b2 = CSequential(conv_bn_relu(c_in, c3r, 1), conv_bn_relu(c3r, c3, 3, padding=1))
        self.b3 = CSequential(conv_bn_relu(c_in, c5r, 1), conv_bn_relu(c5r, c5, 5, padding=2))
        self.b4 = CSequential(CMaxPool2d(3, 1, 1), conv_bn_relu(c_in, pool, 1))

    def forward_planar(self, x: Tensor) -> Tensor:
        return planar_cat([b.forward_planar(x) for b in (self.b1, self.b2, self.b3, self.b4)])


class CInceptionAux(CSequential):
    """Auxiliary classifier: pool to 4x4, 1x1 conv to 128, linear 1024, dropout 0.7, linear."""

    def __init__(self, c_in: int, num_classes: int, width: float) -> None:
        c = max(1, round(128 * width))
        hidden = max(1, round(1024 * width))
        super().__init__(
            CAdaptiveAvgPool2d(4), conv_bn_relu(c_in, c, 1), CFlatten(),
            CLinear(c * 16, hidden), CReLU(), CDropout(0.7), CLinear(hidden, num_classes),
        )


class ComplexGoogLeNet(nn.Module):
    """Complex GoogLeNet; see the module docstring."""

    def __init__(self, in_channels: int = 3, num_classes: int = 1000, aux_logits: bool = True,
                 width: float = 1.0, dropout: float = 0.4) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be positive, got {width}")
        if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"in_channels must be a positive int, got {in_channels!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")

        def w(n: int) -> int:
            return max(1, round(n * width))

        self.aux_logits = aux_logits
        self.stem = CSequential(
            conv_bn_relu(in_channels, w(64), 7, stride=2, padding=3), CMaxPool2d(3, 2, 1),
            conv_bn_relu(w(64), w(64), 1), conv_bn_relu(w(64), w(192), 3, padding=1),
            CMaxPool2d(3, 2, 1),
        )
        blocks: dict[str, CInception] = {}
        c = w(192)
        for name, spec in _BLOCKS.items():
            blocks[name] = CInception(c, *(w(v) for v in spec))
            c = blocks[name].out_channels
        self.blocks = nn.ModuleDict(blocks)
        self.pool = CMaxPool2d(3, 2, 1)
        self.aux1 = CInceptionAux(blocks["4a"].out_channels, num_classes, width) \
            if aux_logits else None
        self.aux2 = CInceptionAux(blocks["4d"].out_channels, num_classes, width) \
            if aux_logits else None
        self.head = CSequential(CAdaptiveAvgPool2d(1), CFlatten(), CDropout(dropout),
                                CLinear(c, num_classes))

    def forward(self, z: Tensor) -> GoogLeNetOutput:
        check_complex(z, "ComplexGoogLeNet")
        check_dtype(self, z, "ComplexGoogLeNet")
        x = self.stem.forward_planar(complex_to_planar(z))
        aux1 = aux2 = None
        for name, block in self.blocks.items():
            if name in ("4a", "5a"):
                x = self.pool.forward_planar(x)
            assert isinstance(block, CInception)
            x = block.forward_planar(x)
            if self.training and self.aux1 is not None and self.aux2 is not None:
                if name == "4a":
                    aux1 = planar_to_complex(self.aux1.forward_planar(x))
                elif name == "4d":
                    aux2 = planar_to_complex(self.aux2.forward_planar(x))
        return GoogLeNetOutput(planar_to_complex(self.head.forward_planar(x)), aux1, aux2)
