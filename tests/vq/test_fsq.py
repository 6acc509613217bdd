"""FSQ and polar FSQ against their closed forms: the values each dimension takes, the codes, the
rate, the straight-through gradient, and the complex constructions."""

from __future__ import annotations

import math

import pytest
import torch

from vq.base import PlanarBottleneck
from vq.fsq import FSQ, FSQConfig, PolarFSQ, combine
from vq.registry import spec


@pytest.mark.parametrize("levels", [(4,), (5,), (8, 5, 5, 5), (2, 3)])
def test_each_dimension_takes_exactly_its_levels(levels: tuple[int, ...]) -> None:
    n = len(levels)
    fsq = FSQ(n, levels)
    x = torch.linspace(-8, 8, 4001).repeat(n, 1).T  # every dimension swept over its range
    latent, digits = fsq.quantize(x)
    for i, size in enumerate(levels):
        values = torch.unique(latent[:, i])
        half = size // 2
        expected = torch.arange(-half, size - half, dtype=torch.float32) / half
        torch.testing.assert_close(values, expected)  # odd: symmetric; even: one more below
        assert sorted(torch.unique(digits[:, i]).tolist()) == list(range(size))
        # monotone: a larger input never gets a smaller value
        assert bool((latent[1:, i] >= latent[:-1, i]).all())


def test_codes_rate_and_every_code_reachable() -> None:
    levels = (3, 4, 2)
    fsq = FSQ(3, levels)
    g = torch.Generator().manual_seed(0)
    z = 3 * torch.randn(64, 3, 50, generator=g)
    out = fsq(z)
    assert out.codebook_sizes == (24,) and out.rate is not None
    assert out.rate.bits == pytest.approx(math.log2(24))
    assert out.codes is not None and out.codes.shape == (64, 50)
    assert sorted(torch.unique(out.codes).tolist()) == list(range(24))
    # the code is the mixed-radix number of the digits: decode it back to the latent
    codes = out.codes.flatten()
    digits = torch.stack([codes % 3, (codes // 3) % 4, codes // 12], -1)
    half = torch.tensor([1.0, 2.0, 1.0])
    latent = out.latent.movedim(1, -1).reshape(-1, 3)
    torch.testing.assert_close(latent, (digits - half) / half)
    assert combine(torch.tensor([2, 3, 1]), levels).item() == 2 + 3 * 3 + 1 * 12


def test_straight_through_gradient_is_the_bound_s() -> None:
    """d latent / dx = width sech^2(x + shift) / floor(L/2), the bound's derivative."""
    fsq = FSQ(1, (5,))
    x = torch.linspace(-2, 2, 41, dtype=torch.float32)[:, None].requires_grad_()
    latent, _ = fsq.quantize(x)
    latent.sum().backward()
    width = 4 * (1 + 1e-3) / 2
    expected = width / torch.cosh(x.detach()) ** 2 / 2
    assert x.grad is not None
    torch.testing.assert_close(x.grad, expected)


def test_projections_when_the_latent_has_other_dimensions() -> None:
    fsq = FSQ(6, (4, 4))
    out = fsq(torch.randn(2, 6, 7))
    assert out.latent.shape == (2, 6, 7) and out.rate is not None and out.rate.bits == 4
    assert sum(p.numel() for p in fsq.parameters()) == (6 * 2 + 2) + (2 * 6 + 6)


def test_complex_fsq_is_fsq_of_the_stacked_parts() -> None:
    module = spec("fsq").build("complex", 2, FSQConfig(("4", "4", "4", "4")))
    assert isinstance(module, PlanarBottleneck)
    z = torch.randn(3, 2, 9, dtype=torch.complex64)
    out = module(z)
    real = FSQ(4, (4, 4, 4, 4))(torch.cat([z.real, z.imag], 1))
    torch.testing.assert_close(torch.cat([out.latent.real, out.latent.imag], 1), real.latent)
    assert out.codes is not None and real.codes is not None
    assert torch.equal(out.codes, real.codes)


def test_polar_fsq_rounds_magnitude_and_phase() -> None:
    m_levels, p_levels = 4, 8
    polar = PolarFSQ(1, (m_levels, p_levels))
    g = torch.Generator().manual_seed(1)
    r = 3 * torch.rand(500, generator=g)
    theta = (torch.rand(500, generator=g) * 2 - 1) * math.pi
    z = torch.polar(r, theta)[:, None]  # (500, 1): one complex dimension
    latent, digits = polar.quantize(z)
    mag = torch.round((m_levels - 1) * torch.tanh(r)) / (m_levels - 1)
    step = torch.round(theta * p_levels / (2 * math.pi))
    expected = torch.polar(mag, step * 2 * math.pi / p_levels)[:, None]
    torch.testing.assert_close(latent, expected, atol=1e-6, rtol=0)
    assert bool((digits[:, 0] == torch.round((m_levels - 1) * torch.tanh(r)).long()).all())
    assert bool((digits[:, 1] == torch.remainder(step.long(), p_levels)).all())
    assert digits[:, 1].min() >= 0 and digits[:, 1].max() < p_levels


def test_polar_fsq_module_rate_codes_and_gradient() -> None:
    module = spec("polar_fsq").build("complex", 3, FSQConfig(("4", "8", "2", "4")))
    z = torch.randn(2, 3, 11, dtype=torch.complex64, requires_grad=True)
    out = module(z)
    assert out.latent.shape == z.shape and out.latent.dtype == torch.complex64
    assert out.codebook_sizes == (4 * 8 * 2 * 4,) and out.rate is not None
    assert out.rate.bits == pytest.approx(math.log2(256))
    assert out.codes is not None and int(out.codes.max()) < 256
    out.latent.abs().sum().backward()
    assert z.grad is not None and bool(torch.isfinite(torch.view_as_real(z.grad)).all())
    assert float(z.grad.abs().sum()) > 0  # straight-through: the encoder learns


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="integers >= 2"):
        FSQConfig(("4", "1"))
    with pytest.raises(ValueError, match="pairs"):
        PolarFSQ(2, (4, 4, 4))
    with pytest.raises(ValueError, match="complex latent"):
        PolarFSQ(1, (4, 4))(torch.randn(2, 1, 3))
    with pytest.raises(ValueError, match="at most"):
        FSQConfig(("4096", "4096", "2"))
