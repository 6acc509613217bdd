"""Complex pooling: max by modulus, average, adaptive average.

* ``CMaxPool1d/2d``: in each window, the complex element of largest modulus ``|z|`` (ties: the
  first, as :func:`torch.nn.functional.max_pool2d`). The seed pooled real and imaginary parts
  independently, so one output could mix the real part of one position with the imaginary part of
  another; here both parts come from the same position.
* ``CAvgPool1d/2d`` and ``CAdaptiveAvgPool1d/2d``: the mean is linear, so averaging each part of
  the planar tensor is the complex mean.

Shapes as in :mod:`torch.nn`: ``(B, C, L)`` / ``(B, C, H, W)`` complex.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor

from cvnn.module import ComplexModule

IntOrTuple = int | tuple[int, ...]


class _CMaxPoolNd(ComplexModule):
    _nd = 2
    planar_dim = 1

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode

    def forward_planar(self, x: Tensor) -> Tensor:
        if x.ndim != self._nd + 2:
            raise ValueError(f"{type(self).__name__} expects a batched {self._nd}-D input")
        xr, xi = x.chunk(2, dim=1)
        pool: Callable[..., tuple[Tensor, Tensor]] = (
            F.max_pool1d_with_indices if self._nd == 1 else F.max_pool2d_with_indices
        )
        _, idx = pool((xr * xr + xi * xi).detach(), self.kernel_size, self.stride, self.padding,
                      self.dilation, self.ceil_mode)
        b, c = idx.shape[:2]
        flat = idx.reshape(b, 1, c, -1).expand(b, 2, c, -1)
        out = x.reshape(b, 2, c, -1).gather(3, flat)
        return out.reshape(b, 2 * c, *idx.shape[2:])

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class CMaxPool1d(_CMaxPoolNd):
    """Max pooling by modulus over ``(B, C, L)`` complex."""

    _nd = 1


class CMaxPool2d(_CMaxPoolNd):
    """Max pooling by modulus over ``(B, C, H, W)`` complex."""

    _nd = 2


class _CAvgPoolNd(ComplexModule):
    _nd = 2
    planar_dim = 1

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward_planar(self, x: Tensor) -> Tensor:
        if x.ndim != self._nd + 2:
            raise ValueError(f"{type(self).__name__} expects a batched {self._nd}-D input")
        pool: Callable[..., Tensor] = F.avg_pool1d if self._nd == 1 else F.avg_pool2d
        return pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                    self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class CAvgPool1d(_CAvgPoolNd):
    """Average pooling over ``(B, C, L)`` complex."""

    _nd = 1


class CAvgPool2d(_CAvgPoolNd):
    """Average pooling over ``(B, C, H, W)`` complex."""

    _nd = 2


class CAdaptiveAvgPool1d(ComplexModule):
    """Adaptive average pooling ``(B, C, L) -> (B, C, output_size)`` complex."""

    planar_dim = 1

    def __init__(self, output_size: int) -> None:
        super().__init__()
        self.output_size = output_size

    def forward_planar(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)


class CAdaptiveAvgPool2d(ComplexModule):
    """Adaptive average pooling ``(B, C, H, W) -> (B, C, *output_size)`` complex."""

    planar_dim = 1

    def __init__(self, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward_planar(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)
