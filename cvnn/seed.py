"""The seed's public names, with the seed's I/O convention (real tensors ``(..., 2)``).

Each class here is the corrected :mod:`cvnn` layer or architecture, wrapped so that it takes and
returns the seed's trailing-2 layout through zero-copy views (:func:`torch.view_as_complex` /
:func:`torch.view_as_real`). Parameters and math are those of :mod:`cvnn` (docs/cvnn.md tables
the seed's names and what the seed got wrong). The top-level modules ``complex_neural_net``,
``Complex_Vgg_net``, ``Complex_LeNet`` and ``Complex_Google_Inception`` re-export these, so the
seed's usage examples (``from complex_neural_net import CConv2d``) run unchanged.
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
    """:class:`cvnn.CLinear` on ``(*, in_channels, 2)`` -> ``(*, out_channels, 2)`` (the seed's
    argument names)."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, bias)

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
    """:class:`cvnn.CBatchNorm2d` (whitening) on ``(B, C, H, W, 2)`` (the seed's argument names)."""

    def __init__(self, in_channels: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 mode: batchnorm.Mode = "whiten") -> None:
        super().__init__(in_channels, eps, momentum, affine, track_running_stats, mode)

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
    """:class:`cvnn.CLSTM` on ``(B, T, F, 2)`` (``batch_first``) or ``(T, B, F, 2)``, with the
    seed's argument names and call ``forward(x, h0=None, c0=None)``.

    Returns ``(out (..., H, 2), CLSTMState)``. The state is the corrected one, ``(4, L, B, H)``
    per tensor (one per real pass, see :mod:`cvnn.recurrent`), which continues the sequence; the
    seed's ``(L, B, H, 2)`` states could not, and are refused with an explanation.
    """

    def __init__(self, in_channels: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__(in_channels, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)

    def forward(  # type: ignore[override]
        self, x: Tensor, h0: Tensor | recurrent.CLSTMState | None = None,
        c0: Tensor | None = None,
    ) -> tuple[Tensor, recurrent.CLSTMState]:
        state: recurrent.CLSTMState | None
        if isinstance(h0, tuple):
            state = recurrent.CLSTMState(*h0)
        elif h0 is None and c0 is None:
            state = None
        elif h0 is None or c0 is None:
            raise ValueError("CLSTM needs both h0 and c0, or neither")
        else:
            if h0.ndim == 4 and h0.shape[-1] == 2 and h0.shape[0] != 4:
                raise ValueError(
                    "CLSTM no longer takes the seed's (num_layers, B, H, 2) states: they mixed the "
                    "states of different passes and could not continue a sequence. Pass the state "
                    "returned by a previous call (h and c of shape (4, num_layers, B, H)), or None."
                )
            state = recurrent.CLSTMState(h0, c0)
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
    """The seed's GoogLeNet, ``Complex_GoogLeNet(aux_logits=True, num_classes=1000)``:
    ``(N, C, H, W, 2)`` -> ``(N, K, 2)``; in training mode with ``aux_logits`` it returns
    ``(aux1, aux2, logits)``, as the seed did."""

    def __init__(self, aux_logits: bool = True, num_classes: int = 1000, in_channels: int = 3,
                 width: float = 1.0, dropout: float = 0.4) -> None:
        super().__init__(in_channels=in_channels, num_classes=num_classes,
                         aux_logits=aux_logits, width=width, dropout=dropout)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        out = super().forward(_to_complex(x, "Complex_GoogLeNet"))
        logits = torch.view_as_real(out.logits)
        if out.aux1 is not None and out.aux2 is not None:
            return torch.view_as_real(out.aux1), torch.view_as_real(out.aux2), logits
        return logits


__all__ = ["CLSTM", "CAvgPool2d", "CBatchnorm", "CConv2d", "CConvTrans2d", "CLinear",
           "CMaxPool2d", "Complex_GoogLeNet", "Complex_LeNet", "Complex_VGG_net"]
