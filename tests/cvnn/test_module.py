"""The planar mechanism: CSequential equals applying its children one by one on complex tensors."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from cvnn.activation import CReLU, ModReLU
from cvnn.batchnorm import CBatchNorm1d, CBatchNorm2d
from cvnn.conv import CConv1d, CConv2d
from cvnn.dropout import CDropout
from cvnn.layout import complex_to_planar, planar_to_complex
from cvnn.linear import CLinear
from cvnn.module import CFlatten, CIdentity, ComplexModule, CSequential
from cvnn.pooling import CAdaptiveAvgPool2d, CMaxPool1d


def _randc(*shape: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.complex128)


def _one_by_one(seq: CSequential, z: Tensor) -> Tensor:
    for m in seq:
        z = m(z)
    return z


def _randomize(module: nn.Module, seed: int) -> None:
    """Non-trivial values for every parameter (biases, ModReLU thresholds, BN affine)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=p.dtype))


def _mixed_axes_chain(t: int = 4, f: int = 6) -> CSequential:
    """(B, T, F) complex: the split axis moves between -1 (linear) and 1 (channels) four times."""
    return CSequential(
        CLinear(f, 5),                 # split on the last axis: features
        ModReLU(num_features=t, dim=1),  # bias per axis-1 index: the axis matters
        CConv1d(t, 3, 2),              # axis 1 as channels: (B, 3, 4)
        CBatchNorm1d(3),
        ModReLU(num_features=4, dim=-1),
        CLinear(4, 2),                 # (B, 3, 2)
    )


def test_mixed_planar_axes_equal_one_by_one() -> None:
    torch.manual_seed(0)
    seq = _mixed_axes_chain().double()
    _randomize(seq, seed=1)
    z = _randc(5, 4, 6, seed=2)
    y = seq(z)
    ref = _one_by_one(seq, z)
    assert y.shape == (5, 3, 2)
    assert y.dtype == torch.complex128
    torch.testing.assert_close(y, ref, rtol=1e-12, atol=1e-12)


def test_mixed_chain_needs_the_split_moved() -> None:
    """Chaining the children's forward_planar without moving the [Re ; Im] split gives another
    result (ModReLU would mix real parts of some rows with real parts of others), so the equality
    above is not vacuous."""
    torch.manual_seed(0)
    seq = CSequential(CLinear(4, 4), ModReLU(num_features=1, dim=1), CLinear(4, 4)).double()
    _randomize(seq, seed=1)
    with torch.no_grad():
        seq[1].bias.fill_(-0.5)  # type: ignore[operator]
    z = _randc(3, 4, 4, seed=2)
    x = complex_to_planar(z, -1)
    for m in seq:
        x = m.forward_planar(x)  # no relayout: ModReLU splits axis 1, which is not [Re ; Im]
    ref = _one_by_one(seq, z)
    torch.testing.assert_close(seq(z), ref, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(planar_to_complex(x, -1), ref)


def test_forward_planar_equals_complex_path() -> None:
    torch.manual_seed(0)
    seq = _mixed_axes_chain().double()
    _randomize(seq, seed=3)
    z = _randc(3, 4, 6, seed=4)
    assert seq.planar_dim == -1  # the first child's split axis
    y = seq.forward_planar(complex_to_planar(z, -1))
    torch.testing.assert_close(planar_to_complex(y, -1), _one_by_one(seq, z), rtol=1e-12,
                               atol=1e-12)


def test_conv_net_chain_equals_one_by_one() -> None:
    torch.manual_seed(1)
    seq = CSequential(
        CConv2d(2, 4, 3, padding=1),
        CBatchNorm2d(4),
        CReLU(),
        CConv2d(4, 4, 3, stride=2, groups=2),
        CAdaptiveAvgPool2d((2, 2)),
        CFlatten(),
        CLinear(16, 3),
    ).double()
    _randomize(seq, seed=5)
    z = _randc(4, 2, 7, 7, seed=6)
    for training in (True, False):
        seq.train(training)
        torch.testing.assert_close(seq(z), _one_by_one(seq, z), rtol=1e-12, atol=1e-12)


def test_nested_sequential() -> None:
    torch.manual_seed(2)
    inner = CSequential(CLinear(6, 5), ModReLU(num_features=4, dim=1))
    outer = CSequential(CConv1d(4, 4, 1), inner, CMaxPool1d(2, 1)).double()
    _randomize(outer, seed=7)
    z = _randc(2, 4, 6, seed=8)
    ref = outer[2](inner[1](inner[0](outer[0](z))))
    torch.testing.assert_close(outer(z), ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(
        planar_to_complex(outer.forward_planar(complex_to_planar(z, 1)), 1), ref, rtol=1e-12,
        atol=1e-12)


def test_gradcheck_mixed_chain() -> None:
    torch.manual_seed(3)
    seq = CSequential(CLinear(3, 2), ModReLU(num_features=2, dim=1), CConv1d(2, 2, 1)).double()
    _randomize(seq, seed=9)
    z = _randc(2, 2, 3, seed=10).requires_grad_()
    assert torch.autograd.gradcheck(seq, (z,))


def test_dtype_follows_input() -> None:
    seq = CSequential(CLinear(3, 2), CReLU(dim=-1))
    assert seq(_randc(2, 3, seed=0).to(torch.complex64)).dtype == torch.complex64
    assert seq.double()(_randc(2, 3, seed=0)).dtype == torch.complex128


def test_container_protocol() -> None:
    a, b = CLinear(2, 3), CReLU()
    seq = CSequential(a, b)
    assert len(seq) == 2
    assert seq[0] is a and seq[1] is b
    assert list(seq) == [a, b]
    assert set(seq.state_dict()) == {"0.weight", "0.bias"}
    assert sum(p.numel() for p in seq.parameters()) == 2 * (2 * 3 + 3)


def test_dropout_in_sequence_eval_is_identity() -> None:
    seq = CSequential(CIdentity(), CDropout(0.9)).eval()
    z = _randc(3, 4, seed=1)
    assert torch.equal(seq(z), z)


# ---------------------------------------------------------------------------- CFlatten, CIdentity


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 4), (2, 3)])
def test_cflatten(shape: tuple[int, ...]) -> None:
    z = _randc(*shape, seed=11)
    m = CFlatten()
    torch.testing.assert_close(m(z), z.flatten(1), rtol=0, atol=0)
    # on the planar layout a plain flatten is the planar layout of the flattened tensor
    torch.testing.assert_close(m.forward_planar(complex_to_planar(z)),
                               complex_to_planar(z.flatten(1)), rtol=0, atol=0)


def test_cidentity() -> None:
    z = _randc(2, 3, seed=12)
    assert torch.equal(CIdentity()(z), z)


# ---------------------------------------------------------------------------- errors


def test_rejects_real_children() -> None:
    with pytest.raises(TypeError, match=r"child 1 is a ReLU, not a cvnn ComplexModule"):
        CSequential(CLinear(2, 2), nn.ReLU())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Linear"):
        CSequential(nn.Linear(2, 2))


def test_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CSequential()


def test_rejects_real_input() -> None:
    with pytest.raises(TypeError, match="CSequential expects a complex tensor"):
        CSequential(CIdentity())(torch.ones(2, 3))
    with pytest.raises(TypeError, match="CFlatten expects a complex tensor"):
        CFlatten()(torch.ones(2, 3))


def test_base_class_is_abstract() -> None:
    class Half(ComplexModule):
        planar_dim = -1

        def forward_planar(self, x: Tensor) -> Tensor:
            return 0.5 * x

    z = _randc(2, 3, seed=13)
    torch.testing.assert_close(Half()(z), 0.5 * z, rtol=0, atol=0)
    with pytest.raises(NotImplementedError):
        ComplexModule()(z)


def test_bad_input_inside_sequence_names_expected_count() -> None:
    seq = CSequential(CConv2d(3, 4, 1), CLinear(5, 2))
    with pytest.raises(ValueError, match="expects 3 complex input channels, got 2"):
        seq(torch.ones(1, 2, 5, 5, dtype=torch.complex64))
    with pytest.raises(ValueError, match="expects 5 complex input features, got 6"):
        seq(torch.ones(1, 3, 5, 6, dtype=torch.complex64))


def test_precision_mismatch_is_a_clear_error() -> None:
    layer = CConv2d(1, 2, 3)
    with pytest.raises(TypeError, match=r"float32 parameters but got a torch.complex128 input"):
        layer(torch.zeros(1, 1, 5, 5, dtype=torch.complex128))
    seq = CSequential(CLinear(3, 2), CReLU())
    with pytest.raises(TypeError, match=r"\.double\(\)"):
        seq(torch.zeros(2, 3, dtype=torch.complex128))
    assert seq.double()(torch.zeros(2, 3, dtype=torch.complex128)).dtype == torch.complex128
