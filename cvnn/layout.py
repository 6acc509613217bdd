"""Named conversions between the three layouts of complex data, and input checks.

Layouts (docs/cvnn.md, "Layouts"):

* **native**: a complex tensor (``torch.complex64`` / ``complex128``), e.g. ``(B, C, H, W)``.
  This is the public boundary of every layer in :mod:`cvnn`.
* **trailing-2** (the seed's convention): a real tensor ``(..., 2)`` whose last axis holds
  ``(Re, Im)``. Converted to and from native with zero-copy views
  (:func:`torch.view_as_complex` / :func:`torch.view_as_real`).
* **planar**: a real tensor where real and imaginary parts are concatenated along the channel
  axis: ``z: (B, C, H, W) complex  <->  x = [Re z ; Im z]: (B, 2C, H, W) real``. Layers compute in
  this layout internally, so a complex ``C -> C`` convolution is one real ``2C -> 2C`` convolution
  with the block weight ``[[Wr, -Wi], [Wi, Wr]]`` (docs/cvnn.md, "Speed"). The channel axis is
  ``dim=1`` for convolution, normalization, pooling and dropout, and the last axis for linear and
  recurrent layers, as in :mod:`torch.nn`; for ``(B, F)`` tensors the two agree.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_REAL_TO_COMPLEX = {
    torch.float16: torch.complex32,
    torch.float32: torch.complex64,
    torch.float64: torch.complex128,
}


_COMPLEX_TO_REAL = {c: r for r, c in _REAL_TO_COMPLEX.items()}


def part_dtype_for(dtype: torch.dtype) -> torch.dtype | None:
    """The real dtype of the parts of a complex dtype (complex64 -> float32), or None."""
    return _COMPLEX_TO_REAL.get(dtype)


def complex_dtype_for(dtype: torch.dtype) -> torch.dtype:
    """The complex dtype whose parts have real dtype ``dtype`` (float32 -> complex64, ...)."""
    try:
        return _REAL_TO_COMPLEX[dtype]
    except KeyError:
        raise TypeError(f"no complex dtype has parts of dtype {dtype}") from None


def check_complex(z: Tensor, who: str) -> None:
    """Raise a clear ``TypeError`` unless ``z`` is a complex tensor."""
    if not isinstance(z, Tensor):
        raise TypeError(f"{who} expects a complex torch.Tensor, got {type(z).__name__}")
    if not z.is_complex():
        hint = ""
        if z.ndim > 0 and z.shape[-1] == 2:
            hint = (
                " It looks like the seed's trailing-2 layout: convert it with "
                "cvnn.trailing_to_complex(x), or use the seed-compatible classes in cvnn.seed."
            )
        raise TypeError(
            f"{who} expects a complex tensor (complex64/complex128), got a real tensor of "
            f"dtype {z.dtype} and shape {tuple(z.shape)}.{hint}"
        )


def check_trailing2(x: Tensor, who: str) -> None:
    """Raise a clear error unless ``x`` is a real tensor with a trailing dimension of 2."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{who} expects a torch.Tensor, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(
            f"{who} follows the seed's convention and expects a real tensor (..., 2) holding "
            f"(Re, Im); got a complex tensor of shape {tuple(x.shape)}. Pass "
            "torch.view_as_real(z), or use the native class from cvnn."
        )
    if x.ndim == 0 or x.shape[-1] != 2:
        raise ValueError(
            f"{who} expects a real tensor whose last dimension is 2 (Re, Im); got shape "
            f"{tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise TypeError(f"{who} expects a floating-point tensor, got dtype {x.dtype}")


def trailing_to_complex(x: Tensor) -> Tensor:
    """``(..., 2)`` real -> ``(...)`` complex; a zero-copy view when ``x`` is laid out for it."""
    check_trailing2(x, "trailing_to_complex")
    if x.stride(-1) != 1 or any(s % 2 for s in x.stride()[:-1]) or x.storage_offset() % 2:
        # a fresh copy: .contiguous() would keep an odd storage offset of a contiguous slice
        x = x.clone(memory_format=torch.contiguous_format)
    return torch.view_as_complex(x)


def complex_to_trailing(z: Tensor) -> Tensor:
    """``(...)`` complex -> ``(..., 2)`` real, as a zero-copy view."""
    check_complex(z, "complex_to_trailing")
    return torch.view_as_real(z)


def complex_to_planar(z: Tensor, dim: int = 1) -> Tensor:
    """``z: (..., C, ...)`` complex -> ``[Re z ; Im z]: (..., 2C, ...)`` real along ``dim``."""
    check_complex(z, "complex_to_planar")
    if not -z.ndim <= dim < z.ndim:
        raise ValueError(
            f"cannot split a complex tensor of shape {tuple(z.shape)} into [Re ; Im] along dim "
            f"{dim}: it has {z.ndim} dims (a layer got an input with too few dimensions)"
        )
    return torch.cat([z.real, z.imag], dim=dim)


def planar_to_complex(x: Tensor, dim: int = 1) -> Tensor:
    """``[Re ; Im]: (..., 2C, ...)`` real -> ``(..., C, ...)`` complex along ``dim``."""
    if x.is_complex():
        raise TypeError(f"planar_to_complex expects a real tensor, got {x.dtype}")
    if x.shape[dim] % 2:
        raise ValueError(
            f"a planar tensor has an even size along dim {dim} ([Re ; Im]); got {tuple(x.shape)}"
        )
    re, im = x.chunk(2, dim=dim)
    return torch.complex(re, im)


def relayout_planar(x: Tensor, src: int, dst: int) -> Tensor:
    """Move the ``[Re ; Im]`` split of a planar tensor from axis ``src`` to axis ``dst``."""
    if src % x.ndim == dst % x.ndim:
        return x
    re, im = x.chunk(2, dim=src)
    return torch.cat([re, im], dim=dst)


def planar_parts(x: Tensor, dim: int = 1) -> tuple[Tensor, Tensor]:
    """Views of the real and imaginary halves of a planar tensor along ``dim``."""
    if x.shape[dim] % 2:
        raise ValueError(
            f"a planar tensor has an even size along dim {dim} ([Re ; Im]); got {tuple(x.shape)}"
        )
    re, im = x.chunk(2, dim=dim)
    return re, im


class ToPlanar(nn.Module):
    """Module form of :func:`complex_to_planar`: complex ``(B, C, ...)`` -> real ``(B, 2C, ...)``"""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, z: Tensor) -> Tensor:
        return complex_to_planar(z, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class FromPlanar(nn.Module):
    """Module form of :func:`planar_to_complex`: real ``(B, 2C, ...)`` -> complex ``(B, C, ...)``"""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return planar_to_complex(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class ToTrailing(nn.Module):
    """Module form of :func:`complex_to_trailing`: complex ``(...)`` -> real ``(..., 2)``."""

    def forward(self, z: Tensor) -> Tensor:
        return complex_to_trailing(z)


class FromTrailing(nn.Module):
    """Module form of :func:`trailing_to_complex`: real ``(..., 2)`` -> complex ``(...)``."""

    def forward(self, x: Tensor) -> Tensor:
        return trailing_to_complex(x)


def planar_cat(xs: list[Tensor], dim: int = 1) -> Tensor:
    """Concatenate planar tensors along their split axis: all real halves, then all imaginary.

    The planar form of ``torch.cat([z_1, ..., z_n], dim)`` for complex ``z_k``.
    """
    halves = [planar_parts(x, dim) for x in xs]
    return torch.cat([h[0] for h in halves] + [h[1] for h in halves], dim=dim)
