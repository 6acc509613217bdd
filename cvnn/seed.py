"""The seed's public names, with the seed's I/O convention (real tensors ``(..., 2)``).

Each class here is the corrected :mod:`cvnn` layer or architecture, wrapped so that it takes and
returns the seed's trailing-2 layout through zero-copy views (:func:`torch.view_as_complex` /
:func:`torch.view_as_real`). Parameters and math are those of :mod:`cvnn` (see the README's table
of what the seed got wrong). The top-level modules ``complex_neural_net``, ``Complex_Vgg_net``,
``Complex_LeNet`` and ``Complex_Google_Inception`` re-export these, so the seed's usage examples
(``from complex_neural_net import CConv2d``) run unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor

from cvnn import batchnorm, conv, linear, pooling, recurrent
from cvnn.layout import check_trailing2, trailing_to_complex
from cvnn.models import googlenet, lenet, vgg


def _to_complex(x: Tensor, who: str) -> Tensor:
    check_trailing2(x, who)
    return trailing_to_complex(x)


class CLinear(linear.CLinear):
    """:class:`cvnn.CLinear` on ``(*, in_features, 2)`` -> ``(*, out_features, 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CLinear")))


class CConv2d(conv.CConv2d):
    """:class:`cvnn.CConv2d` on ``(B, C_in, H, W, 2)`` -> ``(B, C_out, H', W', 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CConv2d")))


class CConvTrans2d(conv.CConvTranspose2d):
    """:class:`cvnn.CConvTranspose2d` on ``(B, C_in, H, W, 2)`` -> ``(B, C_out, H', W', 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CConvTrans2d")))


class CBatchnorm(batchnorm.CBatchNorm2d):
    """:class:`cvnn.CBatchNorm2d` (whitening) on ``(B, C, H, W, 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CBatchnorm")))


class CMaxPool2d(pooling.CMaxPool2d):
    """:class:`cvnn.CMaxPool2d` (by modulus) on ``(B, C, H, W, 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CMaxPool2d")))


class CAvgPool2d(pooling.CAvgPool2d):
    """:class:`cvnn.CAvgPool2d` on ``(B, C, H, W, 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "CAvgPool2d")))


class CLSTM(recurrent.CLSTM):
    """:class:`cvnn.CLSTM` on ``(B, T, F, 2)`` (``batch_first``) or ``(T, B, F, 2)``.

    Returns ``(out (..., H, 2), CLSTMState)``; the state continues the sequence.
    """

    def forward(
        self, x: Tensor, state: recurrent.CLSTMState | tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, recurrent.CLSTMState]:
        out, new_state = super().forward(_to_complex(x, "CLSTM"), state)
        return torch.view_as_real(out), new_state


class Complex_VGG_net(vgg.ComplexVGG):
    """The seed's VGG (VGG-16 by default, now selectable): ``(N, C, 224, 224, 2)`` -> ``(N, K, 2)``.

    ``input_size`` sizes the classifier (224 by default, as in the seed).
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 1000, depth: int = 16,
                 input_size: int | tuple[int, int] = 224) -> None:
        super().__init__(depth=depth, in_channels=in_channels, num_classes=num_classes,
                         input_size=input_size)

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "Complex_VGG_net")))


class Complex_LeNet(lenet.ComplexLeNet):
    """The seed's LeNet: ``(N, C, 32, 32, 2)`` -> ``(N, K, 2)``."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.view_as_real(super().forward(_to_complex(x, "Complex_LeNet")))


class Complex_GoogLeNet(googlenet.ComplexGoogLeNet):
    """The seed's GoogLeNet: ``(N, C, H, W, 2)`` -> ``(N, K, 2)``; in training mode with
    ``aux_logits`` it returns ``(aux1, aux2, logits)``, as the seed did."""

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        out = super().forward(_to_complex(x, "Complex_GoogLeNet"))
        logits = torch.view_as_real(out.logits)
        if out.aux1 is not None and out.aux2 is not None:
            return torch.view_as_real(out.aux1), torch.view_as_real(out.aux2), logits
        return logits


__all__ = ["CLSTM", "CAvgPool2d", "CBatchnorm", "CConv2d", "CConvTrans2d", "CLinear",
           "CMaxPool2d", "Complex_GoogLeNet", "Complex_LeNet", "Complex_VGG_net"]
