"""Complex activations against their closed-form definitions on native complex128 tensors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor
from torch.autograd import gradcheck
from torch.func import functional_call

import cvnn
from cvnn.layout import complex_to_planar, planar_to_complex

C128 = torch.complex128
Ref = Callable[[Tensor], Tensor]


# ---- references: written with native complex ops, independent of the planar implementation ----


def ref_crelu(z: Tensor) -> Tensor:
    return torch.complex(z.real.clamp_min(0), z.imag.clamp_min(0))


def ref_zrelu(z: Tensor) -> Tensor:
    phase = torch.angle(z)
    keep = (phase >= 0) & (phase <= torch.pi / 2)
    return torch.where(keep, z, torch.zeros_like(z))


def ref_cardioid(z: Tensor) -> Tensor:
    return 0.5 * (1 + torch.cos(torch.angle(z))) * z


def ref_bounded_mask(z: Tensor) -> Tensor:
    return torch.tanh(z.abs()) * torch.exp(1j * torch.angle(z))


def ref_modrelu(z: Tensor, b: Tensor) -> Tensor:
    """``relu(|z| + b) z / |z|``; ``b`` already broadcastable to ``z``."""
    return torch.relu(z.abs() + b) * z / z.abs()


POINTWISE: dict[str, tuple[type[cvnn.ComplexModule], Ref]] = {
    "crelu": (cvnn.CReLU, ref_crelu),
    "zrelu": (cvnn.ZReLU, ref_zrelu),
    "cardioid": (cvnn.Cardioid, ref_cardioid),
    "bounded_mask": (cvnn.BoundedMask, ref_bounded_mask),
}


def randc(*shape: int, seed: int = 0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=C128, generator=g)


def away_from(z: Tensor, margin: float) -> Tensor:
    """Push real and imaginary parts at least ``margin`` away from 0 (keeping their signs)."""
    def push(x: Tensor) -> Tensor:
        return torch.where(x >= 0, x + margin, x - margin)
    return torch.complex(push(z.real), push(z.imag))


def planar_apply(m: cvnn.ComplexModule, z: Tensor, dim: int) -> Tensor:
    """Run ``m`` through its planar path explicitly: complex -> planar -> complex along ``dim``."""
    return planar_to_complex(m.forward_planar(complex_to_planar(z, dim)), dim)


def modrelu_with_bias(b: Tensor, dim: int) -> cvnn.ModReLU:
    m = cvnn.ModReLU(num_features=b.numel(), dim=dim).double()
    with torch.no_grad():
        m.bias.copy_(b)
    return m


def bias_values(n: int, seed: int = 1) -> Tensor:
    """Biases of both signs (and not all small), so that both regimes of modReLU are exercised."""
    g = torch.Generator().manual_seed(seed)
    b = torch.rand(n, dtype=torch.float64, generator=g) * 1.2 + 0.2
    b[::2] *= -1
    return b


# ---- forward against the definitions ----


@pytest.mark.parametrize("name", sorted(POINTWISE))
@pytest.mark.parametrize("dim", [1, -1])
def test_pointwise_matches_closed_form(name: str, dim: int) -> None:
    cls, ref = POINTWISE[name]
    z = randc(4, 3, 5, 6, seed=2)
    m = cls(dim=dim)
    torch.testing.assert_close(m(z), ref(z), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(planar_apply(m, z, dim), ref(z), rtol=1e-12, atol=1e-12)
    assert m(z).dtype == C128


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_complex64_input_keeps_dtype(name: str) -> None:
    cls, ref = POINTWISE[name]
    z = randc(8, 5, seed=3)
    out = cls()(z.to(torch.complex64))
    assert out.dtype == torch.complex64
    torch.testing.assert_close(out.to(C128), ref(z), rtol=1e-5, atol=1e-6)


def test_zrelu_keeps_only_first_quadrant() -> None:
    z = torch.tensor([[1 + 1j, -1 + 1j, -1 - 1j, 1 - 1j, 2 + 0j, 3j, -2 + 0j]], dtype=C128)
    want = torch.tensor([[1 + 1j, 0, 0, 0, 2 + 0j, 3j, 0]], dtype=C128)
    torch.testing.assert_close(cvnn.ZReLU()(z), want)


def test_cardioid_special_directions() -> None:
    z = torch.tensor([[2 + 0j, -2 + 0j, 3j, -3j]], dtype=C128)
    want = torch.tensor([[2 + 0j, 0j, 1.5j, -1.5j]], dtype=C128)  # identity, zero, half, half
    torch.testing.assert_close(cvnn.Cardioid()(z), want)


def test_bounded_mask_bounds_modulus_and_keeps_phase() -> None:
    z = randc(10, 100, seed=4) * 10
    out = cvnn.BoundedMask()(z)
    assert bool((out.abs() <= 1 + 1e-12).all())  # < 1 in exact arithmetic; tanh rounds to 1
    torch.testing.assert_close(out.abs(), torch.tanh(z.abs()))
    torch.testing.assert_close(torch.angle(out), torch.angle(z))
    # not the seed's per-part tanh
    seed_mask = torch.complex(torch.tanh(z.real), torch.tanh(z.imag))
    assert (out - seed_mask).abs().max() > 0.1


@pytest.mark.parametrize("dim", [1, -1])
def test_modrelu_matches_closed_form_per_feature_bias(dim: int) -> None:
    z = randc(5, 4, 3, 6, seed=5)
    n = z.shape[dim]
    b = bias_values(n)
    m = modrelu_with_bias(b, dim)
    shape = [1] * z.ndim
    shape[dim] = n
    want = ref_modrelu(z, b.view(shape))
    torch.testing.assert_close(m(z), want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(planar_apply(m, z, dim), want, rtol=1e-12, atol=1e-12)
    # the bias acts: features with b < 0 zero a disc, and the module is not the identity
    assert bool((m(z) == 0).any())
    assert not torch.allclose(m(z), z)


def test_modrelu_shared_bias_and_identity_at_zero_bias() -> None:
    z = randc(3, 4, 7, seed=6)
    torch.testing.assert_close(cvnn.ModReLU(dim=1).double()(z), z, rtol=1e-12, atol=1e-12)
    m = modrelu_with_bias(torch.tensor([-0.7], dtype=torch.float64), dim=1)
    torch.testing.assert_close(m(z), ref_modrelu(z, torch.tensor(-0.7, dtype=torch.float64)),
                               rtol=1e-12, atol=1e-12)


def test_modrelu_bias_is_learnable() -> None:
    m = cvnn.ModReLU(num_features=4, dim=-1).double()
    assert [n for n, p in m.named_parameters() if p.requires_grad] == ["bias"]
    z = randc(6, 4, seed=7)
    m(z).abs().sum().backward()
    assert m.bias.grad is not None and bool((m.bias.grad != 0).all())


def test_modrelu_in_planar_container_with_feature_last_layers() -> None:
    """ModReLU(dim=-1) after a CLinear inside CSequential equals composing them on complex data."""
    torch.manual_seed(8)
    lin = cvnn.CLinear(5, 4).double()
    act = modrelu_with_bias(bias_values(4), dim=-1)
    seq = cvnn.CSequential(lin, act)
    z = randc(2, 3, 5, seed=9)
    torch.testing.assert_close(seq(z), act(lin(z)), rtol=1e-12, atol=1e-12)


def test_modulus_is_a_real_head() -> None:
    z = randc(4, 10, seed=10)
    out = cvnn.Modulus()(z)
    assert not out.is_complex()
    torch.testing.assert_close(out, torch.sqrt(z.real**2 + z.imag**2))
    with pytest.raises(TypeError):
        cvnn.Modulus()(z.real)


@pytest.mark.parametrize("cls", [cvnn.CReLU, cvnn.ZReLU, cvnn.Cardioid, cvnn.BoundedMask,
                                 cvnn.ModReLU])
def test_real_input_rejected(cls: type[cvnn.ComplexModule]) -> None:
    with pytest.raises(TypeError):
        cls()(torch.randn(2, 3, 2))


# ---- z = 0: output 0, finite gradient ----


def _grad_at(m: torch.nn.Module, z: Tensor, seed: int = 11) -> Tensor:
    z = z.clone().requires_grad_(True)
    w = randc(*z.shape, seed=seed)
    (m(z) * w.conj()).real.sum().backward()
    assert z.grad is not None
    return z.grad


ZERO_CASES: dict[str, Callable[[], torch.nn.Module]] = {
    "crelu": lambda: cvnn.CReLU(),
    "zrelu": lambda: cvnn.ZReLU(),
    "cardioid": lambda: cvnn.Cardioid(),
    "bounded_mask": lambda: cvnn.BoundedMask(),
    "modrelu_mixed_bias": lambda: modrelu_with_bias(
        torch.tensor([0.5, -0.5, 0.0], dtype=torch.float64), dim=1),
    "modulus": lambda: cvnn.Modulus(),
}


@pytest.mark.parametrize("name", sorted(ZERO_CASES))
def test_zero_input_gives_zero_and_finite_gradient(name: str) -> None:
    m = ZERO_CASES[name]().double()
    z = randc(2, 3, 4, seed=12)
    z[:, :, ::2] = 0  # exact zeros mixed with ordinary values
    out = m(z)
    assert bool(torch.isfinite(torch.view_as_real(out) if out.is_complex() else out).all())
    zero = z == 0
    assert bool((out[zero] == 0).all())
    grad = _grad_at(m, z)
    assert bool(torch.isfinite(torch.view_as_real(grad)).all()), grad
    # parameters get finite gradients too
    for p in m.parameters():
        assert p.grad is not None and bool(torch.isfinite(p.grad).all())


def test_gradient_at_zero_where_the_function_is_differentiable() -> None:
    """Where f is differentiable at 0 the gradient there is exact.

    BoundedMask: tanh(r)/r -> 1, so f'(0) = identity. ModReLU with b < 0 is 0 on a disc
    (f'(0) = 0); with b = 0 it is the identity.
    """
    z = torch.zeros(1, 3, dtype=C128)
    w = randc(1, 3, seed=13)

    def vjp(m: torch.nn.Module) -> Tensor:
        zz = z.clone().requires_grad_(True)
        (m(zz) * w.conj()).real.sum().backward()
        assert zz.grad is not None
        return zz.grad

    torch.testing.assert_close(vjp(cvnn.BoundedMask()), w)
    m = modrelu_with_bias(torch.tensor([-0.5, 0.0, -2.0], dtype=torch.float64), dim=1)
    torch.testing.assert_close(vjp(m), w * torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))


def test_bounded_mask_gradient_continuous_near_zero() -> None:
    """Near 0 BoundedMask is the identity to first order: gradient at tiny z ~ gradient at 0."""
    w = randc(1, 3, seed=14)
    for scale in (1e-8, 1e-150):
        z = (randc(1, 3, seed=15) * scale).requires_grad_(True)
        (cvnn.BoundedMask()(z) * w.conj()).real.sum().backward()
        assert z.grad is not None
        torch.testing.assert_close(z.grad, w, rtol=1e-6, atol=1e-6)


# ---- gradcheck on complex128, away from 0 and from the non-smooth sets ----


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_gradcheck_pointwise(name: str) -> None:
    cls, _ = POINTWISE[name]
    # parts at least 0.2 away from 0: away from z = 0 and from the kinks of CReLU/ZReLU
    z = away_from(randc(3, 4, seed=16), 0.2).requires_grad_(True)
    assert gradcheck(cls(), (z,), eps=1e-6, atol=1e-7)


def test_gradcheck_modrelu_input_and_bias() -> None:
    b0 = torch.tensor([0.3, -0.4, -0.9], dtype=torch.float64)
    m = modrelu_with_bias(b0, dim=-1)
    z = randc(5, 3, seed=17)
    # keep |z| + b away from 0 (the ReLU kink) and |z| away from 0
    r = z.abs()
    bad = ((r + b0).abs() < 0.15) | (r < 0.15)
    z = torch.where(bad, z * (1.0 + 1.0 / r), z)
    assert bool((((z.abs() + b0).abs() >= 0.15) & (z.abs() >= 0.15)).all())
    z.requires_grad_(True)
    b = b0.clone().requires_grad_(True)

    def f(zz: Tensor, bb: Tensor) -> Tensor:
        out: Tensor = functional_call(m, {"bias": bb}, (zz,))
        return out

    assert gradcheck(f, (z, b), eps=1e-6, atol=1e-7)


def test_gradcheck_modulus() -> None:
    z = away_from(randc(4, 3, seed=18), 0.2).requires_grad_(True)
    assert gradcheck(cvnn.Modulus(), (z,), eps=1e-6, atol=1e-7)


def test_modrelu_feature_count_mismatch_is_clear() -> None:
    m = cvnn.ModReLU(4)
    with pytest.raises(ValueError, match="4 biases but the input has 3"):
        m(torch.zeros(2, 3, 4, dtype=torch.complex64))
    assert cvnn.ModReLU(4, dim=-1)(torch.zeros(2, 3, 4, dtype=torch.complex64)).shape == (2, 3, 4)
