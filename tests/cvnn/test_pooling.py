"""Complex pooling against brute-force window loops on complex128 tensors."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
import torch
from torch import Tensor

from cvnn.layout import complex_to_planar, planar_to_complex
from cvnn.pooling import (
    CAdaptiveAvgPool1d,
    CAdaptiveAvgPool2d,
    CAvgPool1d,
    CAvgPool2d,
    CMaxPool1d,
    CMaxPool2d,
)


def _randc(*shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.complex128)


def _tup(v: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else v


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= size + p:  # the last window must start inside the input
        out -= 1
    return out


def _windows(spatial: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...],
             p: tuple[int, ...], d: tuple[int, ...], ceil: bool
             ) -> list[tuple[tuple[int, ...], list[tuple[int, ...]], int]]:
    """For each output index: the in-range input indices of its window (scan order) and the
    window's size counting padding."""
    n = len(spatial)
    outs = [_out_size(spatial[i], k[i], s[i], p[i], d[i], ceil) for i in range(n)]
    result = []
    for o in itertools.product(*(range(q) for q in outs)):
        idx, padded = [], 0
        for off in itertools.product(*(range(q) for q in k)):
            pos = tuple(o[i] * s[i] - p[i] + off[i] * d[i] for i in range(n))
            if all(-p[i] <= pos[i] < spatial[i] + p[i] for i in range(n)):
                padded += 1
            if all(0 <= pos[i] < spatial[i] for i in range(n)):
                idx.append(pos)
        result.append((o, idx, padded))
    return result


def _max_reference(z: Tensor, k: Any, s: Any, p: Any, d: Any, ceil: bool) -> Tensor:
    n = z.ndim - 2
    wins = _windows(tuple(z.shape[2:]), _tup(k, n), _tup(s, n), _tup(p, n), _tup(d, n), ceil)
    out_shape = [max(w[0][i] for w in wins) + 1 for i in range(n)]
    out = torch.empty(*z.shape[:2], *out_shape, dtype=z.dtype)
    for b, c in itertools.product(range(z.shape[0]), range(z.shape[1])):
        for o, idx, _ in wins:
            vals = [z[(b, c, *i)] for i in idx]
            best = vals[0]
            for v in vals[1:]:
                if v.abs() > best.abs():  # strict: ties keep the first
                    best = v
            out[(b, c, *o)] = best
    return out


def _avg_reference(z: Tensor, k: Any, s: Any, p: Any, count_include_pad: bool) -> Tensor:
    n = z.ndim - 2
    wins = _windows(tuple(z.shape[2:]), _tup(k, n), _tup(s, n), _tup(p, n), (1,) * n, False)
    out_shape = [max(w[0][i] for w in wins) + 1 for i in range(n)]
    out = torch.empty(*z.shape[:2], *out_shape, dtype=z.dtype)
    for b, c in itertools.product(range(z.shape[0]), range(z.shape[1])):
        for o, idx, padded in wins:
            total = sum((z[(b, c, *i)] for i in idx), torch.zeros((), dtype=z.dtype))
            out[(b, c, *o)] = total / (padded if count_include_pad else len(idx))
    return out


def _adaptive_reference(z: Tensor, out: tuple[int, ...]) -> Tensor:
    n = z.ndim - 2
    res = torch.empty(*z.shape[:2], *out, dtype=z.dtype)
    for o in itertools.product(*(range(q) for q in out)):
        sl: list[slice] = [slice(None), slice(None)]
        for i in range(n):
            size = z.shape[2 + i]
            lo = (o[i] * size) // out[i]
            hi = -((-(o[i] + 1) * size) // out[i])  # ceil
            sl.append(slice(lo, hi))
        res[(slice(None), slice(None), *o)] = z[tuple(sl)].mean(dim=tuple(range(2, 2 + n)))
    return res


# ---------------------------------------------------------------------------- max


# (kernel, stride, padding, dilation, ceil_mode)
MAX_CASES: list[tuple[Any, Any, Any, Any, bool]] = [
    (2, None, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 1, 2, False),
    (2, 2, 0, 1, True),
    (3, 2, 1, 1, True),
]


@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), MAX_CASES)
@pytest.mark.parametrize("cls", [CMaxPool1d, CMaxPool2d])
def test_max_pool_picks_largest_modulus(cls: type[CMaxPool1d], k: Any, s: Any, p: Any,
                                        d: Any, ceil: bool) -> None:
    nd = 1 if cls is CMaxPool1d else 2
    z = _randc(2, 3, *([7] * nd), seed=0)
    m = cls(k, s, padding=p, dilation=d, ceil_mode=ceil)
    y = m(z)
    ref = _max_reference(z, k, k if s is None else s, p, d, ceil)
    assert y.dtype == torch.complex128
    assert y.shape == ref.shape
    torch.testing.assert_close(y, ref, rtol=0, atol=0)


def test_max_pool2d_anisotropic() -> None:
    z = _randc(1, 2, 6, 7, seed=1)
    m = CMaxPool2d((2, 3), (1, 2), padding=(1, 0), dilation=(2, 1))
    torch.testing.assert_close(m(z), _max_reference(z, (2, 3), (1, 2), (1, 0), (2, 1), False),
                               rtol=0, atol=0)


def test_max_pool_keeps_both_parts_from_one_position() -> None:
    """Per-part pooling (the seed) would give 3 + 3j here; the max-modulus element is 2 + 2.5j."""
    z = torch.tensor([[[3.0 + 0.0j, 0.0 + 3.0j, 2.0 + 2.5j, -0.5 - 0.5j]]], dtype=torch.complex128)
    y = CMaxPool1d(4)(z)
    assert y.shape == (1, 1, 1)
    assert y.item() == 2.0 + 2.5j
    # and a negative-part winner: the modulus, not the signed parts, decides
    z2 = torch.tensor([[[1.0 + 1.0j, -3.0 - 0.1j]]], dtype=torch.complex128)
    assert CMaxPool1d(2)(z2).item() == -3.0 - 0.1j


def test_max_pool_every_output_is_an_input_element() -> None:
    z = _randc(2, 3, 6, 6, seed=2)
    y = CMaxPool2d(3, 2, padding=1)(z)
    for b, c in itertools.product(range(2), range(3)):
        vals = z[b, c].flatten()
        for v in y[b, c].flatten():
            assert bool((vals == v).any())


def test_max_pool_ties_keep_first() -> None:
    z = torch.tensor([[[1.0 + 0.0j, 0.0 + 1.0j, -1.0 + 0.0j, 0.0 - 1.0j]]])
    assert CMaxPool1d(4)(z).item() == 1.0 + 0.0j
    assert CMaxPool1d(2)(z).flatten().tolist() == [1.0 + 0.0j, -1.0 + 0.0j]


def test_max_pool_forward_planar_equals_complex() -> None:
    z = _randc(2, 3, 5, 5, seed=3)
    m = CMaxPool2d(2, 1)
    torch.testing.assert_close(planar_to_complex(m.forward_planar(complex_to_planar(z))), m(z),
                               rtol=0, atol=0)


@pytest.mark.parametrize("cls", [CMaxPool1d, CMaxPool2d])
def test_max_pool_gradcheck(cls: type[CMaxPool1d]) -> None:
    nd = 1 if cls is CMaxPool1d else 2
    z = _randc(1, 2, *([4] * nd), seed=4).requires_grad_()
    assert torch.autograd.gradcheck(cls(2, 1, padding=1), (z,))


def test_max_pool_gradient_goes_to_selected_element_only() -> None:
    z = torch.tensor([[[3.0 + 0.0j, 0.0 + 3.0j, 2.0 + 2.5j, -0.5 - 0.5j]]],
                     dtype=torch.complex128, requires_grad=True)
    y = CMaxPool1d(4)(z)
    (y.real + 2 * y.imag).sum().backward()
    assert z.grad is not None
    # dL/dRe + i dL/dIm at the selected position, zero elsewhere
    expected = torch.tensor([[[0, 0, 1 + 2j, 0]]], dtype=torch.complex128)
    torch.testing.assert_close(z.grad, expected, rtol=0, atol=0)


def test_max_pool_complex64() -> None:
    z = _randc(1, 2, 4, 4, seed=5)
    y = CMaxPool2d(2)(z.to(torch.complex64))
    assert y.dtype == torch.complex64
    torch.testing.assert_close(y, _max_reference(z, 2, 2, 0, 1, False).to(torch.complex64))


# ---------------------------------------------------------------------------- average


# (kernel, stride, padding, count_include_pad)
AVG_CASES: list[tuple[Any, Any, Any, bool]] = [
    (2, None, 0, True),
    (3, 2, 1, True),
    (3, 2, 1, False),
    (3, 1, 0, True),
]


@pytest.mark.parametrize(("k", "s", "p", "cip"), AVG_CASES)
@pytest.mark.parametrize("cls", [CAvgPool1d, CAvgPool2d])
def test_avg_pool_is_complex_mean(cls: type[CAvgPool1d], k: Any, s: Any, p: Any,
                                  cip: bool) -> None:
    nd = 1 if cls is CAvgPool1d else 2
    z = _randc(2, 2, *([6] * nd), seed=6)
    y = cls(k, s, padding=p, count_include_pad=cip)(z)
    ref = _avg_reference(z, k, k if s is None else s, p, cip)
    assert y.dtype == torch.complex128
    assert y.shape == ref.shape
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)


def test_avg_pool2d_anisotropic() -> None:
    z = _randc(1, 2, 5, 6, seed=7)
    y = CAvgPool2d((2, 3), (1, 3), padding=(1, 0))(z)
    torch.testing.assert_close(y, _avg_reference(z, (2, 3), (1, 3), (1, 0), True), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize(("out", "size"), [(1, 5), (2, 5), (3, 7), (4, 4), (5, 3)])
def test_adaptive_avg_pool1d(out: int, size: int) -> None:
    z = _randc(2, 3, size, seed=8)
    y = CAdaptiveAvgPool1d(out)(z)
    assert y.shape == (2, 3, out)
    torch.testing.assert_close(y, _adaptive_reference(z, (out,)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("out", "size"), [(1, (4, 5)), ((2, 3), (5, 7)), (3, (3, 6))])
def test_adaptive_avg_pool2d(out: int | tuple[int, int], size: tuple[int, int]) -> None:
    z = _randc(2, 2, *size, seed=9)
    y = CAdaptiveAvgPool2d(out)(z)
    o = (out, out) if isinstance(out, int) else out
    assert y.shape == (2, 2, *o)
    torch.testing.assert_close(y, _adaptive_reference(z, o), rtol=1e-12, atol=1e-12)


def test_global_adaptive_pool_is_mean() -> None:
    z = _randc(2, 3, 4, 5, seed=10)
    torch.testing.assert_close(CAdaptiveAvgPool2d(1)(z)[..., 0, 0], z.mean(dim=(2, 3)),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "m", [CAvgPool1d(2, 1, padding=1), CAvgPool2d(2, 1), CAdaptiveAvgPool1d(2),
          CAdaptiveAvgPool2d((2, 1))],
    ids=["avg1d", "avg2d", "adaptive1d", "adaptive2d"],
)
def test_avg_pool_gradcheck(m: CAvgPool1d) -> None:
    nd = 1 if isinstance(m, CAvgPool1d | CAdaptiveAvgPool1d) else 2
    z = _randc(1, 2, *([3] * nd), seed=11).requires_grad_()
    assert torch.autograd.gradcheck(m, (z,))


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("m", "shape"),
    [(CMaxPool2d(2), (2, 3, 4)), (CMaxPool1d(2), (2, 3, 4, 4)), (CAvgPool2d(2), (3, 4, 4, 4, 4)),
     (CAvgPool1d(2), (2, 4, 4, 4))],
)
def test_wrong_ndim(m: CMaxPool2d, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="expects a batched"):
        m(torch.ones(shape, dtype=torch.complex64))


def test_real_input_rejected() -> None:
    with pytest.raises(TypeError, match="CMaxPool2d expects a complex tensor"):
        CMaxPool2d(2)(torch.ones(1, 1, 4, 4))
