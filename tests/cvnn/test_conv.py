"""Complex (transposed) convolutions against torch's native complex128 convolutions.

A layer with ``groups == 1`` runs either one real convolution with the block weight or Gauss's
three-product trick, chosen from the shapes; ``groups > 1`` always runs Gauss. Every test here
runs twice, with the choice forced to each formulation, so both are checked for every case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

import cvnn.conv
from cvnn._block import as_complex
from cvnn.conv import (
    CConv1d,
    CConv2d,
    CConvTranspose1d,
    CConvTranspose2d,
    _CConvNd,
    prefer_gauss,
)
from cvnn.layout import complex_to_planar, planar_to_complex

NATIVE: dict[type[_CConvNd], Callable[..., Tensor]] = {
    CConv1d: F.conv1d,
    CConv2d: F.conv2d,
    CConvTranspose1d: F.conv_transpose1d,
    CConvTranspose2d: F.conv_transpose2d,
}


@pytest.fixture(params=["block", "gauss"], autouse=True)
def formulation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force the block-weight or the Gauss formulation for every test of this file."""
    impl: str = request.param
    monkeypatch.setattr(cvnn.conv, "prefer_gauss", lambda x, w: impl == "gauss")
    return impl


def test_prefer_gauss_follows_the_sizes() -> None:
    """Deep layers on small inputs (weight-heavy) take Gauss; large activations the block."""
    w = torch.empty(2, 256, 256, 3, 3)
    assert prefer_gauss(torch.empty(16, 512, 4, 4), w)
    w = torch.empty(2, 32, 32, 3, 3)
    assert not prefer_gauss(torch.empty(16, 64, 64, 64), w)


def _randc(*shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.complex128)


def _make(cls: type[_CConvNd], seed: int, **kw: Any) -> _CConvNd:
    torch.manual_seed(seed)
    m = cls(**kw).double()
    if m.bias is not None:
        with torch.no_grad():  # a non-zero complex bias
            m.bias.normal_()
    return m


def _reference(m: _CConvNd, z: Tensor) -> Tensor:
    """The same map computed by torch on complex128 tensors."""
    w = as_complex(m.weight)
    b = None if m.bias is None else as_complex(m.bias)
    kw: dict[str, Any] = {"stride": m.stride, "padding": m.padding, "dilation": m.dilation,
                          "groups": m.groups}
    if m._transposed:
        kw["output_padding"] = m.output_padding
    return NATIVE[type(m)](z, w, b, **kw)


def _input(m: _CConvNd, batch: int, spatial: int, seed: int) -> Tensor:
    return _randc(batch, m.in_channels, *([spatial] * m._nd), seed=seed)


# (stride, padding, dilation, groups)
CONV_CASES: list[tuple[Any, Any, Any, int]] = [
    (1, 0, 1, 1),
    (2, 1, 1, 1),
    (1, "same", 2, 1),
    (1, "valid", 1, 1),
    (3, 2, 2, 1),
    (1, 0, 1, 2),
    (2, 1, 1, 3),
    (1, "same", 1, 2),
    (1, "valid", 2, 2),
    (2, 2, 2, 2),
]


def _assert_matches_native(m: _CConvNd, z: Tensor) -> None:
    y = m(z)
    ref = _reference(m, z)
    assert y.dtype == torch.complex128
    assert y.shape == ref.shape
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("stride", "padding", "dilation", "groups"), CONV_CASES)
@pytest.mark.parametrize("cls", [CConv1d, CConv2d])
def test_conv_matches_native(cls: type[_CConvNd], stride: Any, padding: Any, dilation: Any,
                             groups: int, bias: bool) -> None:
    m = _make(cls, seed=groups, in_channels=2 * groups, out_channels=3 * groups, kernel_size=3,
              stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
    z = _input(m, 2, 9, seed=5)
    _assert_matches_native(m, z)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_anisotropic(groups: int) -> None:
    m = _make(CConv2d, seed=3, in_channels=2 * groups, out_channels=2 * groups,
              kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=groups)
    z = _randc(2, 2 * groups, 7, 8, seed=4)
    torch.testing.assert_close(m(z), _reference(m, z), rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("groups", [1, 2])
def test_conv_even_kernel_same_padding(groups: int) -> None:
    m = _make(CConv1d, seed=3, in_channels=2, out_channels=4, kernel_size=4, padding="same",
              groups=groups)
    z = _randc(3, 2, 10, seed=4)
    y = m(z)
    assert y.shape == (3, 4, 10)
    torch.testing.assert_close(y, _reference(m, z), rtol=1e-12, atol=1e-12)


# (stride, padding, output_padding, dilation, groups)
TRANSPOSED_CASES: list[tuple[Any, Any, Any, Any, int]] = [
    (1, 0, 0, 1, 1),
    (2, 1, 1, 1, 1),
    (3, 0, 2, 1, 1),
    (2, 1, 0, 2, 1),
    (1, 0, 0, 1, 2),
    (2, 1, 1, 1, 2),
    (3, 2, 1, 2, 3),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("stride", "padding", "output_padding", "dilation", "groups"),
                         TRANSPOSED_CASES)
@pytest.mark.parametrize("cls", [CConvTranspose1d, CConvTranspose2d])
def test_conv_transpose_matches_native(cls: type[_CConvNd], stride: Any, padding: Any,
                                       output_padding: Any, dilation: Any, groups: int,
                                       bias: bool) -> None:
    m = _make(cls, seed=groups, in_channels=2 * groups, out_channels=3 * groups, kernel_size=3,
              stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
              groups=groups, bias=bias)
    z = _input(m, 2, 5, seed=6)
    _assert_matches_native(m, z)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv_transpose2d_anisotropic(groups: int) -> None:
    m = _make(CConvTranspose2d, seed=1, in_channels=2 * groups, out_channels=groups,
              kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
              groups=groups)
    z = _randc(1, 2 * groups, 4, 3, seed=2)
    torch.testing.assert_close(m(z), _reference(m, z), rtol=1e-12, atol=1e-12)


def test_transpose_is_adjoint_of_conv() -> None:
    """<conv(x), y> = <x, conv_transpose(y)> (complex inner product) with the same kernel."""
    conv = _make(CConv1d, seed=0, in_channels=2, out_channels=3, kernel_size=3, stride=2,
                 padding=1, bias=False)
    tconv = _make(CConvTranspose1d, seed=0, in_channels=3, out_channels=2, kernel_size=3,
                  stride=2, padding=1, output_padding=1, bias=False)
    with torch.no_grad():
        # the adjoint kernel is the conjugate of the same (in/out-swapped storage) kernel
        tconv.weight.copy_(conv.weight)
        tconv.weight[1].neg_()
    x = _randc(2, 2, 8, seed=1)
    y = _randc(2, 3, 4, seed=2)
    lhs = torch.sum(conv(x) * y.conj())
    rhs = torch.sum(x * tconv(y).conj())
    torch.testing.assert_close(lhs, rhs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("cls", [CConv1d, CConv2d, CConvTranspose1d, CConvTranspose2d])
def test_forward_planar_equals_complex(cls: type[_CConvNd], groups: int) -> None:
    kw: dict[str, Any] = {"stride": 2, "padding": 1}
    if cls in (CConvTranspose1d, CConvTranspose2d):
        kw["output_padding"] = 1
    m = _make(cls, seed=9, in_channels=2 * groups, out_channels=2 * groups, kernel_size=3,
              groups=groups, **kw)
    z = _input(m, 2, 6, seed=3)
    x = complex_to_planar(z)
    y = m.forward_planar(x)
    assert not y.is_complex()
    assert y.shape[1] == 2 * m.out_channels
    torch.testing.assert_close(planar_to_complex(y), _reference(m, z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("cls", [CConv1d, CConv2d, CConvTranspose1d, CConvTranspose2d])
def test_gradcheck(cls: type[_CConvNd], groups: int) -> None:
    kw: dict[str, Any] = {"stride": 2, "padding": 1}
    if cls in (CConvTranspose1d, CConvTranspose2d):
        kw["output_padding"] = 1
    m = _make(cls, seed=11, in_channels=groups, out_channels=groups, kernel_size=2,
              groups=groups, **kw)
    z = _input(m, 1, 3, seed=12).requires_grad_()
    assert torch.autograd.gradcheck(m, (z,))


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("cls", [CConv1d, CConvTranspose2d])
def test_parameter_gradients_match_native(cls: type[_CConvNd], groups: int) -> None:
    m = _make(cls, seed=1, in_channels=2 * groups, out_channels=2 * groups, kernel_size=3,
              groups=groups)
    z = _input(m, 2, 5, seed=2)
    m(z).abs().square().sum().backward()
    assert m.bias is not None
    w = m.weight.detach().clone().requires_grad_()
    b = m.bias.detach().clone().requires_grad_()
    ref = NATIVE[cls](z, as_complex(w), as_complex(b), groups=groups)
    ref.abs().square().sum().backward()
    torch.testing.assert_close(m.weight.grad, w.grad)
    torch.testing.assert_close(m.bias.grad, b.grad)


@pytest.mark.parametrize("groups", [1, 2])
def test_complex64_in_complex64_out(groups: int) -> None:
    torch.manual_seed(0)
    m = CConv2d(2, 2, 3, padding=1, groups=groups)
    z = _randc(1, 2, 5, 5, seed=1).to(torch.complex64)
    y = m(z)
    assert y.dtype == torch.complex64
    ref = F.conv2d(z, as_complex(m.weight.detach()),
                   as_complex(m.bias.detach()), padding=1,  # type: ignore[union-attr]
                   groups=groups)
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)


def test_seed_example_shape() -> None:
    """The seed's example (docs/cvnn.md): CConv2d(1, 2, (2, 2)) maps (1, 1, 5, 5) to
    (1, 2, 4, 4)."""
    m = CConv2d(in_channels=1, out_channels=2, kernel_size=(2, 2), stride=(1, 1), padding=(0, 0))
    assert m(torch.zeros(1, 1, 5, 5, dtype=torch.complex64)).shape == (1, 2, 4, 4)


def test_weight_layout_and_complex_weight_view() -> None:
    m = CConv2d(4, 6, (3, 2), groups=2)
    assert m.weight.shape == (2, 6, 2, 3, 2)  # part-major (Re, Im)
    assert m.bias is not None and m.bias.shape == (2, 6)
    t = CConvTranspose1d(4, 6, 3, groups=2)
    assert t.weight.shape == (2, 4, 3, 3)
    cw = m.complex_weight()
    assert cw.is_complex() and cw.shape == (6, 2, 3, 2)
    assert torch.equal(cw.real, m.weight[0]) and torch.equal(cw.imag, m.weight[1])


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls", [CConv1d, CConv2d, CConvTranspose1d, CConvTranspose2d])
def test_wrong_channel_count_names_expected(cls: type[_CConvNd]) -> None:
    m = cls(3, 2, 1)
    z = torch.zeros(1, 4, *([5] * m._nd), dtype=torch.complex64)
    with pytest.raises(ValueError, match="expects 3 complex input channels, got 4"):
        m(z)


@pytest.mark.parametrize("cls", [CConv1d, CConv2d])
def test_wrong_ndim_rejected(cls: type[_CConvNd]) -> None:
    m = cls(2, 2, 1)
    z = torch.zeros(2, *([4] * m._nd), dtype=torch.complex64)  # unbatched (C, *S)
    with pytest.raises(ValueError, match="batched input"):
        m(z)


def test_real_input_rejected() -> None:
    with pytest.raises(TypeError, match=r"CConv2d expects a complex tensor.*trailing_to_complex"):
        CConv2d(1, 1, 1)(torch.zeros(1, 1, 3, 3, 2))


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"in_channels": 3, "out_channels": 4, "kernel_size": 1, "groups": 2}, "groups=2"),
        ({"in_channels": 4, "out_channels": 3, "kernel_size": 1, "groups": 2}, "groups=2"),
        ({"in_channels": 0, "out_channels": 3, "kernel_size": 1}, "positive"),
        ({"in_channels": 2, "out_channels": 3, "kernel_size": 1, "padding": "full"}, "padding"),
        ({"in_channels": 2, "out_channels": 3, "kernel_size": (1, 2, 3)}, "kernel_size"),
    ],
)
def test_bad_constructor_arguments(kw: dict[str, Any], msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        CConv2d(**kw)


def test_transposed_rejects_string_padding() -> None:
    with pytest.raises(ValueError, match="numeric padding"):
        CConvTranspose2d(2, 2, 3, padding="same")  # type: ignore[arg-type]
