"""CLinear against torch's native complex128 arithmetic.

CLinear runs either the block weight or the batch-stacked form, chosen from the shapes; every
test here runs twice, with the choice forced to each formulation.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

import cvnn.linear
from cvnn._block import as_complex
from cvnn.layout import complex_to_planar, planar_to_complex
from cvnn.linear import CLinear, prefer_stacked


@pytest.fixture(params=["block", "stacked"], autouse=True)
def formulation(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force the block-weight or the batch-stacked formulation for every test of this file."""
    impl: str = request.param
    monkeypatch.setattr(cvnn.linear, "prefer_stacked", lambda x, w: impl == "stacked")
    return impl


def test_prefer_stacked_follows_the_sizes() -> None:
    assert prefer_stacked(torch.empty(3, 2 * 4096), torch.empty(2, 4096, 4096))
    assert not prefer_stacked(torch.empty(1600, 128), torch.empty(2, 64, 64))


def _randc(*shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.complex128)


def _layer(in_f: int, out_f: int, bias: bool, seed: int) -> CLinear:
    torch.manual_seed(seed)
    m = CLinear(in_f, out_f, bias=bias).double()
    if m.bias is not None:
        with torch.no_grad():  # non-zero bias, so that its real/imag handling is tested
            m.bias.normal_()
    return m


def _reference(m: CLinear, z: Tensor) -> Tensor:
    w = as_complex(m.weight)
    b = None if m.bias is None else as_complex(m.bias)
    return F.linear(z, w, b)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("batch", "in_f", "out_f"), [((4,), 3, 5), ((2, 3), 7, 2), ((), 4, 4), ((2, 1, 3), 1, 6)]
)
def test_matches_native_complex(batch: tuple[int, ...], in_f: int, out_f: int,
                                bias: bool) -> None:
    m = _layer(in_f, out_f, bias, seed=in_f * 10 + out_f)
    z = _randc(*batch, in_f, seed=1)
    y = m(z)
    assert y.dtype == torch.complex128
    assert y.shape == (*batch, out_f)
    torch.testing.assert_close(y, _reference(m, z), rtol=1e-12, atol=1e-12)


def test_forward_planar_equals_complex_path() -> None:
    m = _layer(5, 3, True, seed=3)
    z = _randc(2, 4, 5, seed=2)
    x = complex_to_planar(z, -1)
    y = m.forward_planar(x)
    assert y.shape == (2, 4, 6)
    torch.testing.assert_close(planar_to_complex(y, -1), _reference(m, z), rtol=1e-12,
                               atol=1e-12)


def test_bias_is_one_complex_bias() -> None:
    m = CLinear(2, 3).double()
    with torch.no_grad():
        m.weight.zero_()
        m.bias.copy_(torch.tensor([[1.0, -3.0, 0.0], [2.0, 0.5, -1.0]]))  # type: ignore[union-attr]
    y = m(_randc(4, 2, seed=0))
    expected = torch.tensor([1 + 2j, -3 + 0.5j, -1j], dtype=torch.complex128).expand(4, 3)
    torch.testing.assert_close(y, expected, rtol=0, atol=0)


def test_complex64_in_complex64_out() -> None:
    m = CLinear(3, 2)
    z = _randc(4, 3, seed=0).to(torch.complex64)
    y = m(z)
    assert y.dtype == torch.complex64
    w = as_complex(m.weight.detach())
    b = as_complex(m.bias.detach())  # type: ignore[union-attr]
    torch.testing.assert_close(y, F.linear(z, w, b), rtol=1e-5, atol=1e-5)


def test_parameter_shapes() -> None:
    m = CLinear(3, 4)
    assert m.weight.shape == (2, 4, 3)  # part-major (Re, Im)
    assert m.bias is not None and m.bias.shape == (2, 4)
    assert torch.count_nonzero(m.bias) == 0  # zero-initialized bias
    assert sum(p.numel() for p in m.parameters()) == 2 * (3 * 4 + 4)
    assert CLinear(3, 4, bias=False).bias is None


def test_gradcheck() -> None:
    m = _layer(3, 2, True, seed=7)
    z = _randc(2, 3, seed=8).requires_grad_()
    assert torch.autograd.gradcheck(m, (z,))


def test_gradients_reach_parameters() -> None:
    m = _layer(3, 2, True, seed=7)
    z = _randc(2, 3, seed=8)
    # L = sum |y|^2, with the complex reference: same gradients on the trailing-2 parameters
    m(z).abs().square().sum().backward()
    assert m.weight.grad is not None and m.bias is not None and m.bias.grad is not None
    w = m.weight.detach().clone().requires_grad_()
    b = m.bias.detach().clone().requires_grad_()
    F.linear(z, as_complex(w), as_complex(b)).abs().square().sum().backward()
    torch.testing.assert_close(m.weight.grad, w.grad)
    torch.testing.assert_close(m.bias.grad, b.grad)


def test_wrong_feature_count_names_expected() -> None:
    m = CLinear(4, 2)
    with pytest.raises(ValueError, match="expects 4 complex input features, got 3"):
        m(torch.zeros(2, 3, dtype=torch.complex64))


def test_real_input_rejected() -> None:
    with pytest.raises(TypeError, match="CLinear expects a complex tensor"):
        CLinear(2, 2)(torch.zeros(3, 2))


@pytest.mark.parametrize(("i", "o"), [(0, 2), (2, 0), (-1, 3)])
def test_non_positive_features_rejected(i: int, o: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        CLinear(i, o)
