"""Bit rates against their closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from lab import rates


def test_vectors_per_second() -> None:
    assert rates.vectors_per_second(256, 1.0) == 256.0
    assert rates.vectors_per_second(2080, 2.0) == 1040.0
    assert rates.vectors_per_second(100, 0.5) == 200.0


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_vectors_per_second_needs_positive_seconds(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        rates.vectors_per_second(10, seconds)


@pytest.mark.parametrize("k", [2, 8, 256, 512, 1000])
def test_nominal_is_rate_times_log2_k(k: int) -> None:
    assert rates.nominal_bps(256.0, k) == pytest.approx(256.0 * math.log2(k), rel=1e-12)
    assert rates.nominal_bps(0.0, k) == 0.0


def test_seed_nominal_rate() -> None:
    # 32 x 8 latent positions per second of audio, K = 512: 9 bits each
    assert rates.nominal_bps(rates.vectors_per_second(32 * 8, 1.0), 512) == pytest.approx(2304.0)


@pytest.mark.parametrize("k", [2, 7, 8, 512])
@pytest.mark.parametrize("dtype", [torch.long, torch.float32, torch.float64])
def test_uniform_counts_have_entropy_log2_k(k: int, dtype: torch.dtype) -> None:
    counts = torch.full((k,), 5, dtype=dtype)
    assert rates.entropy_bits(counts) == pytest.approx(math.log2(k), abs=1e-9)
    assert rates.perplexity(counts) == pytest.approx(float(k), rel=1e-9)


def test_single_code_has_zero_entropy() -> None:
    counts = torch.tensor([0, 0, 17, 0])
    assert rates.entropy_bits(counts) == pytest.approx(0.0, abs=1e-12)
    assert rates.perplexity(counts) == pytest.approx(1.0, abs=1e-12)


def test_zero_counts_are_ignored() -> None:
    sparse = torch.tensor([3, 0, 0, 3, 0, 0, 0, 0])
    assert rates.entropy_bits(sparse) == pytest.approx(1.0, abs=1e-12)
    assert rates.entropy_bits(sparse) == pytest.approx(rates.entropy_bits(torch.tensor([3, 3])))
    assert rates.perplexity(sparse) == pytest.approx(2.0)


def test_non_uniform_closed_form() -> None:
    counts = torch.tensor([2, 1, 1])  # p = (1/2, 1/4, 1/4): H = 1/2 + 2/4 + 2/4 = 1.5 bits
    assert rates.entropy_bits(counts) == pytest.approx(1.5, abs=1e-12)
    assert rates.perplexity(counts) == pytest.approx(2**1.5, rel=1e-12)
    # scale invariance: only the distribution matters
    assert rates.entropy_bits(counts * 1000) == pytest.approx(1.5, abs=1e-12)


def test_entropy_is_bounded_by_log2_k_and_perplexity_is_two_to_the_h() -> None:
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        counts = torch.randint(0, 50, (64,), generator=g)
        h = rates.entropy_bits(counts)
        assert 0.0 <= h <= math.log2(64) + 1e-12
        assert rates.perplexity(counts) == pytest.approx(2.0**h, rel=1e-12)
        assert rates.perplexity(counts) <= int((counts > 0).sum()) + 1e-9


@pytest.mark.parametrize("counts", [torch.zeros(4), torch.zeros(4, dtype=torch.long),
                                    torch.tensor([])])
def test_no_counts_raise(counts: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="no codes"):
        rates.entropy_bits(counts)
    with pytest.raises(ValueError, match="no codes"):
        rates.perplexity(counts)
