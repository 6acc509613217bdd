"""Metrics against closed-form cases, on real speech from a speech engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import Tensor

from data_scripts.effects import resample
from data_scripts.engines import Utterance, synthesize
from lab import metrics

SR = 16000


@pytest.fixture(scope="module")
def speech() -> Tensor:
    (audio, sr), = synthesize("espeak-ng", "en-us", [Utterance("left right stop", 1.0, 1.0)])
    x = resample(audio, float(sr), SR)
    x = np.pad(x, (0, max(0, 2 * SR - len(x))))[: 2 * SR]
    return torch.from_numpy(0.5 * x / np.max(np.abs(x)))


def _orthogonal_noise(ref: Tensor, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    r = ref - ref.mean()
    n = torch.randn(ref.shape, generator=g, dtype=ref.dtype)
    n = n - n.mean()
    return n - (n @ r) / (r @ r) * r  # zero-mean and orthogonal to the reference


@pytest.mark.parametrize("ratio_db", [0.0, 10.0, 25.0])
def test_si_sdr_and_snr_of_signal_plus_noise(speech: Tensor, ratio_db: float) -> None:
    r = speech - speech.mean()
    n = _orthogonal_noise(speech, 0)
    n = n * torch.sqrt(r.square().sum() / n.square().sum() / 10 ** (ratio_db / 10))
    assert metrics.si_sdr(r, r + n) == pytest.approx(ratio_db, abs=1e-6)
    assert metrics.snr(r, r + n) == pytest.approx(ratio_db, abs=1e-6)


def test_si_sdr_is_scale_invariant_snr_is_not(speech: Tensor) -> None:
    est = speech + 0.05 * _orthogonal_noise(speech, 1)
    base = metrics.si_sdr(speech, est)
    assert metrics.si_sdr(speech, 3.0 * est) == pytest.approx(base, abs=1e-9)
    assert metrics.si_sdr(speech, 0.2 * est) == pytest.approx(base, abs=1e-9)
    assert metrics.snr(speech, 3.0 * est) < metrics.snr(speech, est) - 5


def test_identical_signals(speech: Tensor) -> None:
    m = metrics.clip_metrics(speech, speech.clone())
    assert m.failures == []
    assert m.values["si_sdr"] > 100 and m.values["snr"] > 100
    for name in ("lsd", "spectral_convergence", "mrstft", "mel_distance"):
        assert m.values[name] == pytest.approx(0.0, abs=1e-9)
    assert m.values["pesq_wb"] > 4.5  # P.862.2's maximum is 4.64
    assert m.values["stoi"] == pytest.approx(1.0, abs=1e-6)
    assert m.values["estoi"] == pytest.approx(1.0, abs=1e-6)


def test_spectral_metrics_grow_with_distortion(speech: Tensor) -> None:
    mild = speech + 0.01 * _orthogonal_noise(speech, 2)
    strong = speech + 0.1 * _orthogonal_noise(speech, 2)
    for fn in (metrics.lsd, metrics.spectral_convergence, metrics.mrstft, metrics.mel_distance):
        assert 0 < fn(speech, mild) < fn(speech, strong)
    x = speech + 0.01 * _orthogonal_noise(speech, 4)  # no silent bins, so the LSD floor is moot
    gain = 2.0 * x  # a 2x gain: spectral convergence || |2S| - |S| || / ||S|| = 1, LSD 6.02 dB
    assert metrics.spectral_convergence(x, gain) == pytest.approx(1.0, rel=1e-9)
    assert metrics.lsd(x, gain) == pytest.approx(20 * math.log10(2), rel=1e-3)


def test_failures_are_counted_not_averaged(speech: Tensor) -> None:
    silence = torch.zeros(SR, dtype=torch.float64)
    failed = metrics.clip_metrics(silence, silence + 1e-4 * torch.randn(SR, dtype=torch.float64))
    assert set(failed.failures) == {"pesq", "stoi"}
    ok = metrics.clip_metrics(speech, speech + 0.01 * _orthogonal_noise(speech, 3))
    summary = metrics.summarize([ok, failed])
    assert summary["test/pesq_failures"] == 1 and summary["test/stoi_failures"] == 1
    assert summary["test/n_clips"] == 2
    assert summary["test/pesq_wb"] == pytest.approx(ok.values["pesq_wb"])
    assert math.isnan(metrics.summarize([failed])["test/pesq_wb"])
    with pytest.raises(ValueError, match="equal length"):
        metrics.clip_metrics(speech, speech[:100])
    with pytest.raises(ValueError, match="16 kHz"):
        metrics.pesq_wb(speech.numpy(), speech.numpy(), 8000)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_estimate_raises(speech: Tensor, bad: float) -> None:
    est = speech.clone()
    est[SR // 2] = bad
    with pytest.raises(ValueError, match="NaN or Inf"):
        metrics.clip_metrics(speech, est)
    with pytest.raises(ValueError, match="NaN or Inf"):
        metrics.clip_metrics(speech, torch.full_like(speech, bad))


def test_silent_estimate_is_a_pesq_failure(speech: Tensor) -> None:
    silent = torch.zeros_like(speech)
    m = metrics.clip_metrics(speech, silent)
    assert "pesq" in m.failures and "pesq_wb" not in m.values
    assert metrics.pesq_wb(speech.numpy(), silent.numpy(), SR) is None
    assert m.values["snr"] == pytest.approx(0.0, abs=1e-9)  # ||ref||^2 / ||ref - 0||^2
    for name in ("si_sdr", "lsd", "spectral_convergence", "mrstft", "mel_distance"):
        assert math.isfinite(m.values[name])
    summary = metrics.summarize([m])
    assert summary["test/pesq_failures"] == 1 and math.isnan(summary["test/pesq_wb"])


def test_nearly_silent_estimate_is_a_pesq_failure(speech: Tensor) -> None:
    est = torch.zeros_like(speech)
    est[SR // 2] = 1e-30
    m = metrics.clip_metrics(speech, est)
    assert "pesq" in m.failures


def test_a_subset_of_metrics_is_the_same_numbers() -> None:
    """The generalization sets' subset: exactly those names, equal to the full computation."""
    from lab.metrics import ALL_METRICS, GENERALIZATION_METRICS, clip_metrics, summarize

    t = torch.arange(16000, dtype=torch.float64) / 16000
    ref = 0.3 * torch.sin(2 * torch.pi * 220 * t) * (0.6 + 0.4 * torch.sin(2 * torch.pi * 3 * t))
    est = ref + 0.02 * torch.sin(2 * torch.pi * 1300 * t)
    full = clip_metrics(ref, est)
    part = clip_metrics(ref, est, names=GENERALIZATION_METRICS)
    assert set(full.values) == set(ALL_METRICS) and set(part.values) == set(
        GENERALIZATION_METRICS)
    for name in GENERALIZATION_METRICS:
        assert part.values[name] == full.values[name]
    summary = summarize([part], "unseen", GENERALIZATION_METRICS)
    assert "unseen/mel_distance" not in summary and summary["unseen/n_clips"] == 1.0
    with pytest.raises(ValueError, match="unknown metrics"):
        clip_metrics(ref, est, names=("pesq",))
