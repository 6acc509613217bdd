"""Complex Rayleigh/uniform-phase init: moments and distributions within statistical tolerance.

With ``n`` samples, each check allows 5 standard deviations of its estimator (false-alarm rate
below 1e-6 per check), and the generators are seeded, so the tests are deterministic.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from cvnn.conv import CConv1d, CConv2d, CConvTranspose2d
from cvnn.init import (
    complex_fans,
    complex_glorot_,
    complex_he_,
    complex_rayleigh_,
    rayleigh_sigma,
)
from cvnn.linear import CLinear

Z = 5.0  # standard deviations allowed


def _complex(w: Tensor) -> Tensor:
    """A part-major ``(2, ...)`` weight as a flat complex128 vector."""
    w = w.detach().to(torch.float64)
    return torch.complex(w[0], w[1]).flatten()


def _ks_distance(samples: Tensor, cdf: Tensor) -> float:
    """Kolmogorov-Smirnov statistic of sorted samples against the model CDF evaluated there."""
    n = samples.numel()
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(torch.maximum(i / n - cdf, cdf - (i - 1) / n).max())


def _ks_limit(n: int) -> float:
    return 1.95 / math.sqrt(n)  # asymptotic critical value at alpha = 0.001


def _check_distribution(w: Tensor, var: float) -> None:
    """``w`` (part-major) is Rayleigh(sigma) x uniform phase with ``E|W|^2 = var``."""
    z = _complex(w)
    n = z.numel()
    p2 = z.abs().square()
    # E|W|^2 = 2 sigma^2: |W|^2 is exponential, so its sample mean has relative sd 1/sqrt(n)
    assert abs(p2.mean().item() / var - 1) < Z / math.sqrt(n)
    # E|W|^4 = 8 sigma^4 = 2 var^2: sample mean of |W|^4 has relative sd sqrt(20)/(2 sqrt(n))
    tol4 = Z * math.sqrt(20) / (2 * math.sqrt(n))
    assert abs(p2.square().mean().item() / (2 * var**2) - 1) < tol4
    # E[W] = 0: the complex mean has sd sqrt(var / n)
    assert z.mean().abs().item() < Z * math.sqrt(var / n)
    # uniform phase: the first two circular moments vanish (each part has sd sqrt(1 / (2n)))
    theta = z.angle()
    for k in (1, 2):
        for f in (torch.cos, torch.sin):
            assert abs(f(k * theta).mean().item()) < Z / math.sqrt(2 * n)
    # phase CDF against U(-pi, pi), modulus CDF against Rayleigh(sigma)
    t = theta.sort().values
    assert _ks_distance(t, (t + math.pi) / (2 * math.pi)) < _ks_limit(n)
    sigma2 = var / 2
    r = z.abs().sort().values
    assert _ks_distance(r, 1 - torch.exp(-r.square() / (2 * sigma2))) < _ks_limit(n)
    # modulus and phase independent: no correlation between |W| and cos(theta), sin(2 theta)
    rc = (z.abs() - z.abs().mean()) / z.abs().std()
    for g in (torch.cos(theta), torch.sin(2 * theta)):
        assert abs((rc * g).mean().item()) < Z / math.sqrt(2 * n)


@pytest.mark.parametrize("shape", [(512, 256), (64, 32, 3, 3), (16, 64, 40)])
def test_he(shape: tuple[int, ...]) -> None:
    w = torch.empty(2, *shape, dtype=torch.float64)
    complex_he_(w, generator=torch.Generator().manual_seed(0))
    fan_in = shape[1] * math.prod(shape[2:])
    _check_distribution(w, 2 / fan_in)


@pytest.mark.parametrize("shape", [(512, 256), (64, 32, 3, 3), (20, 100, 5)])
def test_glorot(shape: tuple[int, ...]) -> None:
    w = torch.empty(2, *shape, dtype=torch.float64)
    complex_glorot_(w, generator=torch.Generator().manual_seed(1))
    receptive = math.prod(shape[2:])
    _check_distribution(w, 2 / ((shape[0] + shape[1]) * receptive))


def test_rayleigh_sigma_and_float32_weight() -> None:
    w = torch.empty(2, 400, 300)
    complex_rayleigh_(w, 0.3, generator=torch.Generator().manual_seed(2))
    assert w.dtype == torch.float32
    _check_distribution(w, 2 * 0.3**2)


def test_check_distribution_can_fail() -> None:
    """The statistical checks reject near misses: a 3% variance error, Gaussian parts with the
    wrong modulus law are not accepted."""
    w = torch.empty(2, 512, 256, dtype=torch.float64)
    complex_he_(w, generator=torch.Generator().manual_seed(3))
    with pytest.raises(AssertionError):
        _check_distribution(w, 1.03 * 2 / 256)
    # a uniform modulus with the right second moment: E|W|^2 = var for |W| ~ U(0, sqrt(3 var))
    g = torch.Generator().manual_seed(4)
    var = 2 / 256
    r = torch.rand(512 * 256, generator=g, dtype=torch.float64) * math.sqrt(3 * var)
    th = (torch.rand(512 * 256, generator=g, dtype=torch.float64) * 2 - 1) * math.pi
    bad = torch.stack([r * torch.cos(th), r * torch.sin(th)])
    with pytest.raises(AssertionError):
        _check_distribution(bad, var)
    # the right modulus with a phase confined to a half plane
    good = _complex(w)
    half = torch.polar(good.abs(), good.angle().abs())
    with pytest.raises(AssertionError):
        _check_distribution(torch.stack([half.real, half.imag]), var)


def test_generator_reproducible() -> None:
    a, b, c = (torch.empty(2, 8, 4) for _ in range(3))
    complex_he_(a, generator=torch.Generator().manual_seed(5))
    complex_he_(b, generator=torch.Generator().manual_seed(5))
    complex_he_(c, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_init_is_in_place_and_no_grad() -> None:
    w = nn.Parameter(torch.zeros(2, 6, 5))
    out = complex_glorot_(w)
    assert out is w
    assert w.grad_fn is None and w.requires_grad
    assert torch.count_nonzero(w) == w.numel()


@pytest.mark.parametrize(
    "shape", [(7, 5), (8, 3, 4), (6, 2, 3, 5), (4, 2, 2, 2, 3)],
)
def test_fans_follow_torch_convention(shape: tuple[int, ...]) -> None:
    w = torch.empty(2, *shape)
    ref = nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert complex_fans(w) == ref


def test_errors() -> None:
    with pytest.raises(ValueError, match="at least 2 complex dims"):
        complex_fans(torch.empty(2, 5))
    with pytest.raises(ValueError, match="part-major"):
        complex_fans(torch.empty(5, 2))
    with pytest.raises(ValueError, match="part-major"):
        complex_rayleigh_(torch.empty(4, 3), 1.0)
    with pytest.raises(ValueError, match="unknown criterion"):
        rayleigh_sigma(3, 4, "lecun")  # type: ignore[arg-type]
    assert rayleigh_sigma(16, 9, "he") == 0.25
    assert rayleigh_sigma(16, 9, "glorot") == 0.2


# ---------------------------------------------------------------------------- layers


def test_clinear_default_init_is_complex_he() -> None:
    torch.manual_seed(7)
    m = CLinear(512, 300)
    _check_distribution(m.weight, 2 / 512)
    assert m.bias is not None and torch.count_nonzero(m.bias) == 0


def test_clinear_output_variance_is_preserved() -> None:
    """He init: E|Wx|^2 = 2 E|x|^2 for a unit-variance complex input (fan_in complex inputs)."""
    torch.manual_seed(8)
    m = CLinear(256, 256)
    g = torch.Generator().manual_seed(9)
    z = torch.randn(512, 256, generator=g, dtype=torch.complex64)  # E|z|^2 = 1
    with torch.no_grad():
        power = m(z).abs().square().mean().item()
    assert abs(power - 2.0) < 0.1


@pytest.mark.parametrize(
    ("m", "fan_in"),
    [(CConv2d(32, 64, 3), 32 * 9), (CConv1d(48, 96, 5, groups=3), 16 * 5),
     (CConvTranspose2d(64, 32, 4), 32 * 16)],
    ids=["conv2d", "conv1d-groups", "convT2d"],
)
def test_conv_default_init_is_complex_he(m: CConv2d, fan_in: int) -> None:
    _check_distribution(m.weight, 2 / fan_in)
    assert m.bias is not None and torch.count_nonzero(m.bias) == 0


def test_reset_parameters_redraws() -> None:
    torch.manual_seed(10)
    m = CLinear(4, 3)
    before = m.weight.detach().clone()
    with torch.no_grad():
        m.bias.fill_(1.0)  # type: ignore[union-attr]
    m.reset_parameters()
    assert not torch.equal(before, m.weight)
    assert m.bias is not None and torch.count_nonzero(m.bias) == 0
