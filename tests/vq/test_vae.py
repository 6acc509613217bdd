"""VAE bottlenecks: KL against Monte-Carlo and against the equivalent real Gaussian."""

from __future__ import annotations

import math

import pytest
import torch

from vq.vae import ComplexGaussianBottleneck, GaussianBottleneck, complex_gaussian_kl, gaussian_kl

F64 = torch.float64


def test_real_kl_matches_monte_carlo() -> None:
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.tensor([0.7, -1.2], dtype=F64), torch.tensor([-0.5, 0.8], dtype=F64)
    s = (0.5 * logvar).exp()
    x = mu + s * torch.randn(400_000, 2, generator=g, dtype=F64)
    log_q = -0.5 * (((x - mu) / s) ** 2 + logvar + math.log(2 * math.pi))
    log_p = -0.5 * (x**2 + math.log(2 * math.pi))
    mc = (log_q - log_p).mean(0)
    se = (log_q - log_p).std(0) / math.sqrt(x.shape[0])
    assert ((mc - gaussian_kl(mu, logvar)).abs() < 5 * se).all()


def test_complex_kl_is_the_real_kl_of_the_2d_gaussian() -> None:
    """KL(CN(mu, s^2) || CN(0, 1)) = KL(N([Re mu, Im mu], s^2/2 I) || N(0, I/2))."""
    g = torch.Generator().manual_seed(1)
    mu = torch.randn(50, dtype=torch.complex128, generator=g)
    logvar = torch.randn(50, dtype=F64, generator=g)
    var = logvar.exp() / 2  # per real part
    two_d = sum(0.5 * (var / 0.5 + m.square() / 0.5 - 1 - torch.log(var / 0.5))
                for m in (mu.real, mu.imag))
    torch.testing.assert_close(complex_gaussian_kl(mu, logvar), two_d)


def test_complex_samples_are_circular_with_the_stated_variance() -> None:
    torch.manual_seed(2)
    b = ComplexGaussianBottleneck(1).double().train()
    mu, logvar = 0.5 + 0.25j, math.log(0.3)
    z = torch.full((200_000, 2), 0.0, dtype=torch.complex128)
    z[:, 0], z[:, 1] = mu, logvar
    out = b(z.view(200_000, 2, 1)).latent.view(-1) - mu
    assert out.abs().square().mean().item() == pytest.approx(0.3, rel=0.02)
    assert abs(out.square().mean().item()) < 0.01  # pseudo-variance 0: circular
    assert out.real.var().item() == pytest.approx(out.imag.var().item(), rel=0.03)


def test_shapes_loss_weight_and_eval_mean() -> None:
    b = GaussianBottleneck(3, beta=0.5)
    z = torch.randn(2, 6, 4, 5)
    out = b.train()(z)
    assert out.latent.shape == (2, 3, 4, 5) and out.codes is None
    kl = gaussian_kl(*z.chunk(2, dim=1)).sum(1).mean()
    torch.testing.assert_close(out.losses["vae/kl"], 0.5 * kl)
    torch.testing.assert_close(out.metrics["vae/kl_bits"], kl / math.log(2))
    torch.testing.assert_close(b.eval()(z).latent, z[:, :3])
    with pytest.raises(ValueError, match="mean and log-variance"):
        b(torch.randn(2, 5, 4))
    with pytest.raises(TypeError, match="complex"):
        ComplexGaussianBottleneck(3)(z)


def test_reparameterization_gradient_reaches_the_encoder() -> None:
    torch.manual_seed(3)
    z = torch.randn(4, 4, 3, requires_grad=True)
    out = GaussianBottleneck(2).train()(z)
    (out.latent.sum() + out.losses["vae/kl"]).backward()
    assert z.grad is not None and z.grad[:, 2:].abs().sum() > 0


@pytest.mark.parametrize("cls", [GaussianBottleneck, ComplexGaussianBottleneck])
def test_free_bits_make_the_budget_free_and_charge_beta_above_it(cls: type) -> None:
    """``vae/kl = beta * max(KL, free_bits ln 2)``: the KL (batch mean per vector, nats) has no
    gradient below the budget and ``beta`` per nat above it; the rate metric is the KL itself."""
    torch.manual_seed(4)
    z = torch.randn(2, 4, 6, dtype=F64)
    if cls is ComplexGaussianBottleneck:
        z = torch.complex(z, torch.randn_like(z))
    mu, second = z.chunk(2, dim=1)
    logvar = second.real
    kl_fn = complex_gaussian_kl if z.is_complex() else gaussian_kl
    kl = kl_fn(mu, logvar).sum(1).mean().item()  # nats per vector
    bits = kl / math.log(2)
    for free_bits, charged in ((bits + 1.0, (bits + 1.0) * math.log(2)), (bits - 1.0, kl)):
        zz = z.clone().requires_grad_(True)
        out = cls(2, beta=3.0, free_bits=free_bits).eval()(zz)
        assert out.losses["vae/kl"].item() == pytest.approx(3.0 * charged, rel=1e-12)
        assert out.metrics["vae/kl_bits"].item() == pytest.approx(bits, rel=1e-12)
        out.losses["vae/kl"].backward()
        assert zz.grad is not None
        below = free_bits > bits
        assert (zz.grad.abs().sum().item() == 0.0) is below


def test_free_bits_are_validated_and_named() -> None:
    from vq.vae import SPEC, VAEConfig

    with pytest.raises(ValueError, match="free_bits"):
        VAEConfig(free_bits=-1.0)
    assert SPEC.label(VAEConfig(beta=3.0, free_bits=64.0)) == "vae-b3-fb64"
    assert SPEC.label(VAEConfig(beta=1.0)) == "vae-b1"
