"""Complex dropout: one mask for both parts, unbiased, identity in eval, whole channels in 2-D."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from cvnn.dropout import CDropout, CDropout2d


def _randc(*shape: int, seed: int, dtype: torch.dtype = torch.complex128) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("dim", [1, -1])
def test_parts_share_one_mask(p: float, dim: int) -> None:
    torch.manual_seed(0)
    z = _randc(16, 8, 12, seed=1)
    y = CDropout(p, dim=dim).train()(z)
    assert y.dtype == torch.complex128 and y.shape == z.shape
    dropped_re = y.real == 0
    dropped_im = y.imag == 0
    assert torch.equal(dropped_re, dropped_im)  # zeros at the same positions
    kept = ~dropped_re
    torch.testing.assert_close(y[kept], z[kept] / (1 - p), rtol=1e-14, atol=0)
    # the dropped fraction is p within 5 binomial standard deviations
    n = z.numel()
    frac = dropped_re.double().mean().item()
    assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_mask_is_elementwise_not_per_part() -> None:
    """Each complex element is kept or dropped whole: y / z is real, in {0, 1/(1-p)}."""
    torch.manual_seed(1)
    p = 0.5
    z = _randc(64, 32, seed=2)
    r = CDropout(p)(z) / z  # real for a shared mask
    torch.testing.assert_close(r.imag, torch.zeros_like(r.imag), rtol=0, atol=1e-12)
    values = torch.where(r.real.abs() < 1e-12, 0.0, r.real)
    assert set(torch.unique(values.round(decimals=10)).tolist()) == {0.0, 1 / (1 - p)}
    # and elements are dropped independently: both outcomes occur within one channel
    assert 0 < int((values[:, 0] == 0).sum()) < 64


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_expectation_preserved(p: float) -> None:
    torch.manual_seed(2)
    n_samples, n_elem = 4000, 24
    z = _randc(1, n_elem, seed=3)
    y = CDropout(p)(z.expand(n_samples, n_elem).contiguous())
    mean = y.mean(dim=0)
    # mean - z = z (mean of mask - 1), whose std is |z| sqrt(p / ((1 - p) N))
    sd = z[0].abs() * math.sqrt(p / ((1 - p) * n_samples))
    z_score = (mean - z[0]).abs() / sd
    assert float(z_score.max()) < 5.0
    # the estimator is not trivially exact: some deviation must exist
    assert float(z_score.max()) > 0.0


def test_eval_is_identity_and_p0_is_identity() -> None:
    z = _randc(4, 5, 6, seed=4)
    m = CDropout(0.7).eval()
    assert torch.equal(m(z), z)
    m2 = CDropout2d(0.7).eval()
    z4 = _randc(2, 3, 4, 4, seed=5)
    assert torch.equal(m2(z4), z4)
    assert torch.equal(CDropout(0.0).train()(z), z)


def test_training_actually_drops() -> None:
    torch.manual_seed(3)
    z = _randc(10, 10, seed=6)
    y = CDropout(0.5).train()(z)
    assert int((y == 0).sum()) > 0


def test_seeded_reproducible() -> None:
    z = _randc(8, 8, seed=7)
    m = CDropout(0.5)
    torch.manual_seed(42)
    a = m(z)
    torch.manual_seed(42)
    b = m(z)
    torch.manual_seed(43)
    c = m(z)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_gradient_is_the_mask() -> None:
    torch.manual_seed(4)
    p = 0.4
    z = _randc(6, 7, seed=8).requires_grad_()
    y = CDropout(p)(z)
    (y.real + y.imag).sum().backward()
    assert z.grad is not None
    mask = (y.detach() != 0).double() / (1 - p)
    # L = sum m (Re z + Im z): dL/dRe + i dL/dIm = m (1 + i)
    torch.testing.assert_close(z.grad, mask * (1 + 1j), rtol=1e-14, atol=0)


def test_complex64_in_complex64_out() -> None:
    torch.manual_seed(5)
    z = _randc(4, 4, seed=9, dtype=torch.complex64)
    y = CDropout(0.3)(z)
    assert y.dtype == torch.complex64


# ---------------------------------------------------------------------------- 2-D


@pytest.mark.parametrize("p", [0.3, 0.6])
def test_dropout2d_zeroes_whole_channels(p: float) -> None:
    torch.manual_seed(6)
    z = _randc(32, 16, 3, 4, seed=10)
    y = CDropout2d(p).train()(z)
    assert y.shape == z.shape
    zero = (y == 0).flatten(2)  # (B, C, H*W)
    all_zero = zero.all(dim=-1)
    none_zero = (~zero).all(dim=-1)
    assert bool((all_zero | none_zero).all())  # each complex channel dropped whole or kept
    kept = none_zero[..., None, None].expand_as(z)
    torch.testing.assert_close(y[kept], z[kept] / (1 - p), rtol=1e-14, atol=0)
    n = all_zero.numel()
    frac = all_zero.double().mean().item()
    assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / n)
    # channels differ within one sample (not one mask per sample or per batch)
    per_sample = all_zero.double().mean(dim=1)
    assert bool(((per_sample > 0) & (per_sample < 1)).any())


def test_dropout2d_expectation_preserved() -> None:
    torch.manual_seed(7)
    p, n = 0.5, 4000
    z = _randc(1, 3, 2, 2, seed=11)
    mean = CDropout2d(p)(z.expand(n, 3, 2, 2).contiguous()).mean(dim=0)
    sd = z[0].abs() * math.sqrt(p / ((1 - p) * n))
    assert float(((mean - z[0]).abs() / sd).max()) < 5.0


def test_dropout2d_rejects_wrong_ndim() -> None:
    with pytest.raises(ValueError, match=r"CDropout2d expects \(B, C, H, W\)"):
        CDropout2d(0.5).train()(torch.ones(2, 3, 4, dtype=torch.complex64))


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_bad_probability(p: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        CDropout(p)
    with pytest.raises(ValueError, match="probability"):
        CDropout2d(p)


def test_real_input_rejected() -> None:
    with pytest.raises(TypeError, match="CDropout expects a complex tensor"):
        CDropout(0.5)(torch.ones(3, 4))
