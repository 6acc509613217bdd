"""Layout conversions: native complex <-> planar <-> trailing-2, and input checks."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from cvnn.layout import (
    FromPlanar,
    FromTrailing,
    ToPlanar,
    ToTrailing,
    check_complex,
    check_trailing2,
    complex_dtype_for,
    complex_to_planar,
    complex_to_trailing,
    planar_cat,
    planar_parts,
    planar_to_complex,
    relayout_planar,
    trailing_to_complex,
)


def _rand_complex(*shape: int, seed: int = 0, dtype: torch.dtype = torch.complex128) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
def test_complex_planar_round_trip(dim: int) -> None:
    z = _rand_complex(3, 4, 5)
    x = complex_to_planar(z, dim)
    assert not x.is_complex()
    assert x.dtype == torch.float64
    expected_shape = list(z.shape)
    expected_shape[dim] *= 2
    assert list(x.shape) == expected_shape
    re, im = x.chunk(2, dim=dim)
    torch.testing.assert_close(re, z.real, rtol=0, atol=0)
    torch.testing.assert_close(im, z.imag, rtol=0, atol=0)
    back = planar_to_complex(x, dim)
    assert back.dtype == torch.complex128
    torch.testing.assert_close(back, z, rtol=0, atol=0)


def test_planar_layout_dim1_is_re_then_im_channels() -> None:
    z = _rand_complex(2, 3, 4)
    x = complex_to_planar(z)  # default dim 1
    for c in range(3):
        torch.testing.assert_close(x[:, c], z[:, c].real, rtol=0, atol=0)
        torch.testing.assert_close(x[:, 3 + c], z[:, c].imag, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_planar_keeps_precision(dtype: torch.dtype) -> None:
    z = _rand_complex(2, 2, dtype=dtype)
    x = complex_to_planar(z)
    assert x.dtype == z.real.dtype
    assert planar_to_complex(x).dtype == dtype
    assert complex_dtype_for(x.dtype) == dtype


def test_complex_dtype_for_rejects_non_float() -> None:
    with pytest.raises(TypeError, match="no complex dtype"):
        complex_dtype_for(torch.int64)


def test_trailing_round_trip_is_zero_copy() -> None:
    z = _rand_complex(2, 3, 4)
    t = complex_to_trailing(z)
    assert t.shape == (2, 3, 4, 2)
    assert t.dtype == torch.float64
    assert t.data_ptr() == z.data_ptr()
    torch.testing.assert_close(t[..., 0], z.real, rtol=0, atol=0)
    torch.testing.assert_close(t[..., 1], z.imag, rtol=0, atol=0)
    back = trailing_to_complex(t)
    assert back.data_ptr() == z.data_ptr()
    torch.testing.assert_close(back, z, rtol=0, atol=0)
    # writes through the view reach the original storage
    t[0, 0, 0, 1] = 123.0
    assert z[0, 0, 0].imag.item() == 123.0
    back[1, 2, 3] = complex(-7.0, 5.0)
    assert t[1, 2, 3].tolist() == [-7.0, 5.0]


def test_trailing_to_complex_shares_storage_of_real_input() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 5, 2, generator=g)
    z = trailing_to_complex(x)
    assert z.dtype == torch.complex64
    assert z.shape == (4, 5)
    assert z.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    torch.testing.assert_close(z, torch.complex(x[..., 0], x[..., 1]), rtol=0, atol=0)


def test_trailing_to_complex_copies_when_not_viewable() -> None:
    g = torch.Generator().manual_seed(2)
    base = torch.randn(2, 4, 3, generator=g)
    x = base.transpose(1, 2)[..., 1:3]  # last dim 2 but strides not viewable as complex
    z = trailing_to_complex(x)
    torch.testing.assert_close(z, torch.complex(x[..., 0], x[..., 1]), rtol=0, atol=0)


def test_trailing_to_complex_copies_contiguous_slice_at_odd_offset() -> None:
    g = torch.Generator().manual_seed(3)
    base = torch.randn(13, generator=g, dtype=torch.float64)
    x = base[1:].view(6, 2)  # contiguous, but starts at an odd storage offset
    assert x.is_contiguous() and x.storage_offset() == 1
    z = trailing_to_complex(x)
    torch.testing.assert_close(z, torch.complex(x[..., 0], x[..., 1]), rtol=0, atol=0)


def test_module_forms_round_trip() -> None:
    z = _rand_complex(2, 3, 4)
    x = ToPlanar(dim=-1)(z)
    torch.testing.assert_close(x, complex_to_planar(z, -1), rtol=0, atol=0)
    torch.testing.assert_close(FromPlanar(dim=-1)(x), z, rtol=0, atol=0)
    t = ToTrailing()(z)
    torch.testing.assert_close(FromTrailing()(t), z, rtol=0, atol=0)
    assert "dim=-1" in repr(ToPlanar(dim=-1))


@pytest.mark.parametrize("dim", [1, -1, 0])
def test_planar_cat_equals_complex_cat(dim: int) -> None:
    zs = [_rand_complex(2, 3, 4, seed=s) for s in range(3)]
    # vary the size along the concatenation axis
    zs[1] = torch.cat([zs[1], zs[1]], dim=dim)
    xs = [complex_to_planar(z, dim) for z in zs]
    y = planar_cat(xs, dim)
    torch.testing.assert_close(planar_to_complex(y, dim), torch.cat(zs, dim=dim), rtol=0, atol=0)


@pytest.mark.parametrize(("src", "dst"), [(1, -1), (-1, 1), (0, 2), (1, 1), (2, -1)])
def test_relayout_planar(src: int, dst: int) -> None:
    z = _rand_complex(2, 3, 4)
    x = complex_to_planar(z, src)
    y = relayout_planar(x, src, dst)
    torch.testing.assert_close(y, complex_to_planar(z, dst), rtol=0, atol=0)
    torch.testing.assert_close(planar_to_complex(y, dst), z, rtol=0, atol=0)


def test_planar_parts_are_halves() -> None:
    z = _rand_complex(2, 3, 4)
    re, im = planar_parts(complex_to_planar(z, 2), 2)
    torch.testing.assert_close(re, z.real, rtol=0, atol=0)
    torch.testing.assert_close(im, z.imag, rtol=0, atol=0)


# ---------------------------------------------------------------------------- errors


def test_real_tensor_to_complex_api_gives_helpful_type_error() -> None:
    x = torch.randn(2, 3)
    with pytest.raises(TypeError, match=r"complex tensor.*real tensor of dtype torch.float32"):
        complex_to_planar(x)
    with pytest.raises(TypeError, match="complex"):
        complex_to_trailing(x)


def test_real_trailing2_tensor_gets_conversion_hint() -> None:
    x = torch.randn(2, 3, 2)
    with pytest.raises(TypeError, match=r"trailing_to_complex"):
        check_complex(x, "SomeLayer")
    with pytest.raises(TypeError, match="SomeLayer"):
        check_complex(x, "SomeLayer")


def test_check_complex_rejects_non_tensor() -> None:
    with pytest.raises(TypeError, match="list"):
        check_complex([1.0, 2.0], "Layer")  # type: ignore[arg-type]


def test_trailing_dim_not_two_gives_value_error() -> None:
    with pytest.raises(ValueError, match=r"last dimension is 2.*\(2, 3\)"):
        trailing_to_complex(torch.randn(2, 3))
    with pytest.raises(ValueError, match="last dimension is 2"):
        check_trailing2(torch.tensor(1.0), "x")


def test_complex_tensor_to_trailing_api_gives_type_error() -> None:
    z = _rand_complex(2, 2)
    with pytest.raises(TypeError, match=r"view_as_real"):
        trailing_to_complex(z)


def test_integer_trailing_tensor_gives_type_error() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        trailing_to_complex(torch.ones(3, 2, dtype=torch.int64))


def test_planar_odd_size_gives_value_error() -> None:
    x = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="even size"):
        planar_to_complex(x, 1)
    with pytest.raises(ValueError, match="even size"):
        planar_parts(x, 1)
    with pytest.raises(ValueError, match="even size"):
        planar_cat([torch.randn(2, 4), x], 1)


def test_planar_to_complex_rejects_complex() -> None:
    with pytest.raises(TypeError, match="real tensor"):
        planar_to_complex(_rand_complex(2, 4))


@pytest.mark.parametrize(("shape", "dim"), [((3,), 1), ((), 0), ((2, 3), -3)])
def test_complex_to_planar_missing_axis_gives_value_error(shape: tuple[int, ...],
                                                          dim: int) -> None:
    z = torch.ones(shape, dtype=torch.complex64)
    with pytest.raises(ValueError, match="too few dimensions"):
        complex_to_planar(z, dim)
