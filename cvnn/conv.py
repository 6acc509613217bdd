"""Complex convolutions and transposed convolutions (1-D and 2-D).

Map: ``y = W * x + b`` with complex kernel ``W = Wr + i Wi`` and complex bias ``b``, i.e.
``Re y = Wr * Re x - Wi * Im x + Re b`` and ``Im y = Wr * Im x + Wi * Re x + Im b``
(Trabelsi et al. 2018, eq. 2). Shapes as in :mod:`torch.nn`: ``(B, C_in, *S)`` complex ->
``(B, C_out, *S')`` complex; weights stored real, part-major: ``(2, C_out, C_in/groups, *k)``
(transposed: ``(2, C_in, C_out/groups, *k)``) holding ``(Wr, Wi)``; one complex bias
``(2, C_out)``.

Computed on the planar layout ``(B, 2C, *S)`` by one of two exact formulations, picked per call
from the shapes (:func:`prefer_gauss`):

* **block**: one real convolution with the block weight ``[[Wr, -Wi], [Wi, Wr]]``, the cost of one
  real ``2C -> 2C`` convolution plus building a weight-sized block;
* **Gauss**: three real ``C -> C`` convolutions, ``t1 = Wr*xr``, ``t2 = Wi*xi``,
  ``t3 = (Wr+Wi)*(xr+xi)``, ``Re y = t1 - t2``, ``Im y = t3 - t1 - t2``: 3/4 of the multiply-adds
  but a few activation-sized passes. It is also the only choice for ``groups > 1``, where a
  block weight would mix groups.

The block wins when activations are large next to the weight (early layers, long signals), Gauss
when the weight dominates (deep layers on small inputs): on the 2-core CPU, for batch 16 and 3x3
kernels, Gauss took 0.49-0.85x the block's time from 16x16 down to 2x2 positions at 64-256
channels and 1.06x at 32x32 with 32 channels. 1-D convolutions always take the block weight: the
2-D rule sent 110 of the quick model's 120 calls (frames of 126 steps, batch 8, 16-129 channels,
kernels 1 and 3) to Gauss, and in isolation Gauss won only at 64 channels and more (0.78-0.87x)
and lost below (1.2-1.7x); in the whole training step the block everywhere was faster: 1.05x
steps/s on one thread, 1.17x on two (medians of interleaved rounds, complex VQ-256, quick size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cvnn._block import (
    as_complex,
    block_weight,
    block_weight_transposed,
    planar_bias,
    weight_heavy,
)
from cvnn.init import complex_he_
from cvnn.module import ComplexModule

IntOrTuple = int | tuple[int, ...]
Padding = int | tuple[int, ...] | str


def _tuple(v: IntOrTuple, n: int, name: str) -> tuple[int, ...]:
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n:
        raise ValueError(f"{name} needs {n} values, got {v!r}")
    return t


def prefer_gauss(x: Tensor, weight: Tensor) -> bool:
    """Whether Gauss's three convolutions beat the block weight for planar input ``x`` and a
    part-major ``weight``: for 2-D maps, when the input is small next to the block weight; for
    1-D signals never (module docstring)."""
    if x.ndim == 3:
        return False
    return weight_heavy(x, weight, ratio=16)


class _CConvNd(ComplexModule):
    """Shared parameters and checks of the complex (transposed) convolutions."""

    _nd: int = 2
    _transposed: bool = False
    planar_dim = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: Padding = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        bias: bool = True,
        output_padding: IntOrTuple = 0,
    ) -> None:
        super().__init__()
        n = self._nd
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"channels must be positive, got {in_channels} -> {out_channels}")
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid'; got {padding!r}")
        if isinstance(padding, str) and self._transposed:
            raise ValueError("transposed convolutions take numeric padding")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        self.padding: str | tuple[int, ...] = (
            padding if isinstance(padding, str) else _tuple(padding, n, "padding")
        )
        self.dilation = _tuple(dilation, n, "dilation")
        self.output_padding = _tuple(output_padding, n, "output_padding")
        self.groups = groups
        if self._transposed:
            shape = (2, in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (2, out_channels, in_channels // groups, *self.kernel_size)
        self.weight = nn.Parameter(torch.empty(shape))
        self.bias = nn.Parameter(torch.empty(2, out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        complex_he_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def _check(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.ndim != self._nd + 2:
            dims = "(B, C, L)" if self._nd == 1 else "(B, C, H, W)"
            raise ValueError(f"{name} expects a batched input {dims}; got shape {self._shape(x)}")
        if x.shape[1] != 2 * self.in_channels:
            raise ValueError(
                f"{name} expects {self.in_channels} complex input channels, got {x.shape[1] // 2} "
                f"(input shape {self._shape(x)})"
            )

    @staticmethod
    def _shape(x: Tensor) -> tuple[int, ...]:
        """The complex shape of a planar tensor, for messages."""
        return (x.shape[0], x.shape[1] // 2, *x.shape[2:]) if x.ndim > 1 else tuple(x.shape)

    def _kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"stride": self.stride, "padding": self.padding,
                              "dilation": self.dilation}
        if self._transposed:
            kw["output_padding"] = self.output_padding
        return kw

    def _op(self) -> Callable[..., Tensor]:
        ops: dict[tuple[int, bool], Callable[..., Tensor]] = {
            (1, False): F.conv1d, (2, False): F.conv2d,
            (1, True): F.conv_transpose1d, (2, True): F.conv_transpose2d,
        }
        return ops[(self._nd, self._transposed)]

    def forward_planar(self, x: Tensor) -> Tensor:
        self._check(x)
        op, kw = self._op(), self._kwargs()
        if self.groups == 1 and not prefer_gauss(x, self.weight):
            w = block_weight_transposed(self.weight) if self._transposed else block_weight(
                self.weight)
            return op(x, w, planar_bias(self.bias), groups=1, **kw)
        # Gauss: three real convolutions on the halves, each keeping the group structure
        xr, xi = x.chunk(2, dim=1)
        wr, wi = self.weight.unbind(0)
        t1 = op(xr, wr, None, groups=self.groups, **kw)
        t2 = op(xi, wi, None, groups=self.groups, **kw)
        t3 = op(xr + xi, wr + wi, None, groups=self.groups, **kw)
        y = torch.cat([t1 - t2, t3 - t1 - t2], dim=1)
        b = planar_bias(self.bias)
        if b is not None:
            y = y + b.view(-1, *([1] * self._nd))
        return y

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}, padding={self.padding}")
        if any(d != 1 for d in self.dilation):
            s += f", dilation={self.dilation}"
        if self._transposed and any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + f", bias={self.bias is not None}"

    def complex_weight(self) -> Tensor:
        """The kernel as a complex tensor ``(C_out, C_in/groups, *k)`` (transposed: in, out)."""
        return as_complex(self.weight)

    def complex_bias(self) -> Tensor | None:
        """The bias as a complex ``(C_out,)`` tensor, or None."""
        return None if self.bias is None else as_complex(self.bias)


class CConv1d(_CConvNd):
    """Complex 1-D convolution: ``(B, C_in, L)`` -> ``(B, C_out, L')`` complex."""

    _nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
                 groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)


class CConv2d(_CConvNd):
    """Complex 2-D convolution: ``(B, C_in, H, W)`` -> ``(B, C_out, H', W')`` complex."""

    _nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
                 groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias)


class CConvTranspose1d(_CConvNd):
    """Complex 1-D transposed convolution, as torch's native complex ``conv_transpose1d``: the
    transpose of :class:`CConv1d` (not its adjoint, which would conjugate the kernel)."""

    _nd = 1
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                 output_padding: IntOrTuple = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrTuple = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding)


class CConvTranspose2d(_CConvNd):
    """Complex 2-D transposed convolution, as torch's native complex ``conv_transpose2d``: the
    transpose of :class:`CConv2d` (not its adjoint, which would conjugate the kernel)."""

    _nd = 2
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                 stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                 output_padding: IntOrTuple = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrTuple = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, output_padding)
