"""Reconstruction losses against their closed forms (float64, native complex arithmetic)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lab import losses
from lab.features import FeatureConfig, FeatureTransform
from lab.losses import LossConfig, ReconstructionLoss
from lab.metrics import si_sdr, snr
from lab.normalization import normalizer_from_features
from lab.reconstruction import Reconstructor
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder


def _waves(n: int = 3, length: int = 4000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ref = torch.randn(n, length, generator=g, dtype=torch.float64)
    est = 0.8 * ref + 0.3 * torch.randn(n, length, generator=g, dtype=torch.float64)
    return ref, est


def test_spectral_mse_complex_equals_planar() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 1, 5, 7, dtype=torch.complex128, generator=g)
    y = torch.randn(2, 1, 5, 7, dtype=torch.complex128, generator=g)
    expected = float(((y - x).abs() ** 2).mean()) / 2
    assert float(losses.spectral_mse(y, x)) == pytest.approx(expected, rel=1e-12)

    def planar(z: torch.Tensor) -> torch.Tensor:
        return torch.cat([z.real, z.imag], dim=1)

    assert float(losses.spectral_mse(planar(y), planar(x))) == pytest.approx(expected, rel=1e-12)


def test_neg_si_sdr_is_the_metric() -> None:
    ref, est = _waves()
    expected = -np.mean([si_sdr(r, e) for r, e in zip(ref, est, strict=True)])
    assert float(losses.neg_si_sdr(ref, est)) == pytest.approx(expected, rel=1e-9)
    # scale-invariant, and +inf dB (capped by eps) for a perfect estimate
    assert float(losses.neg_si_sdr(ref, 3 * est)) == pytest.approx(expected, rel=1e-9)
    assert float(losses.neg_si_sdr(ref, ref)) < -100


def test_neg_snr_is_the_metric_and_sees_the_level() -> None:
    ref, est = _waves()
    expected = -np.mean([snr(r, e) for r, e in zip(ref, est, strict=True)])
    assert float(losses.neg_snr(ref, est)) == pytest.approx(expected, rel=1e-9)
    # closed form: y = g x gives SNR = -20 log10 |1 - g|; g = 6 (a level 15.6 dB too high)
    # scores -14 dB, while its SI-SDR is unbounded
    assert float(losses.neg_snr(ref, 6 * ref)) == pytest.approx(20 * math.log10(5), rel=1e-9)
    assert float(losses.neg_si_sdr(ref, 6 * ref)) < -100


def test_multi_resolution_stft_closed_form() -> None:
    ref, est = _waves()
    total = 0.0
    for n_fft in losses.MRSTFT_FFTS:
        w = np.hanning(n_fft + 1)[:-1]  # periodic Hann
        a = torch.stft(ref, n_fft, n_fft // 4, window=torch.from_numpy(w),
                       return_complex=True).abs().numpy()
        b = torch.stft(est, n_fft, n_fft // 4, window=torch.from_numpy(w),
                       return_complex=True).abs().numpy()
        a, b = np.maximum(a, 1e-4), np.maximum(b, 1e-4)  # the floor: sqrt(1e-8)
        total += np.linalg.norm(a - b) / np.linalg.norm(a) + np.abs(np.log(a) - np.log(b)).mean()
    expected = total / len(losses.MRSTFT_FFTS)
    assert float(losses.multi_resolution_stft(ref, est)) == pytest.approx(expected, rel=1e-6)


def test_compressed_spectral_closed_form() -> None:
    ref, est = _waves()
    n_fft, hop, c, mix = 256, 64, 0.3, 0.3
    w = torch.hann_window(n_fft, dtype=torch.float64)
    x = torch.stft(ref, n_fft, hop, window=w, return_complex=True).numpy()
    y = torch.stft(est, n_fft, hop, window=w, return_complex=True).numpy()
    # |X|^c e^{i angle X} in native complex arithmetic
    xc = np.abs(x) ** c * np.exp(1j * np.angle(x))
    yc = np.abs(y) ** c * np.exp(1j * np.angle(y))
    expected = (mix * np.mean(np.abs(xc - yc) ** 2)
                + (1 - mix) * np.mean((np.abs(x) ** c - np.abs(y) ** c) ** 2))
    got = float(losses.compressed_spectral(ref, est, n_fft, hop, c, mix))
    assert got == pytest.approx(expected, rel=1e-6)


def test_gradients_are_finite_on_silence() -> None:
    ref = torch.zeros(2, 2000, dtype=torch.float64)
    est = torch.zeros(2, 2000, dtype=torch.float64, requires_grad=True)
    total = (losses.multi_resolution_stft(ref + 1e-3, est)
             + losses.compressed_spectral(ref, est, 256, 64, 0.3, 0.3)
             + losses.neg_si_sdr(ref + 1e-3, est + 1e-4))
    total.backward()
    assert est.grad is not None and torch.isfinite(est.grad).all()


def _rec(representation: str) -> Reconstructor:
    features = FeatureConfig(representation=representation, n_fft=128,  # type: ignore[arg-type]
                             hop_length=64)
    transform = FeatureTransform(features)
    g = torch.Generator().manual_seed(1)
    wave = 0.1 * torch.randn(4, 16000, generator=g)
    norm = normalizer_from_features([transform(wave)], representation)
    domain = "complex" if representation == "stft" else "real"
    channels = {"stft": 1, "planar": 2}.get(representation, 1)
    model = SpectrogramAutoencoder(AutoencoderConfig(
        domain=domain, in_channels=channels, freq_bins=65, width=4, latent_dim=2,  # type: ignore[arg-type]
        groups=2, bottleneck="none"))
    return Reconstructor(transform, model, norm)


@pytest.mark.parametrize("representation", ["stft", "planar"])
def test_waveform_terms_see_the_clip(representation: str) -> None:
    """The reference waveform the loss rebuilds from normalized features is the clip itself, and
    the weighted total is the weighted sum of the returned terms."""
    rec = _rec(representation)
    g = torch.Generator().manual_seed(2)
    wave = 0.1 * torch.randn(3, 16000, generator=g)
    x_n = rec.model_input(rec.transform(wave))
    cfg = LossConfig(spectral=0.5, si_sdr=1.0, mrstft=2.0, compressed=3.0)
    objective = ReconstructionLoss(cfg, rec)
    ref, _ = objective._waves(x_n, x_n)
    torch.testing.assert_close(ref, wave, atol=1e-5, rtol=0)
    y_n = x_n + 0.1 * torch.randn(x_n.shape, dtype=x_n.dtype, generator=g)
    total, terms = objective(x_n, y_n)
    assert set(terms) == set(losses.TERMS)
    expected = sum(cfg.weight(k) * float(v) for k, v in terms.items())
    assert float(total) == pytest.approx(expected, rel=1e-5)
    # with weight 0 a term is not trained on, but validation still measures it
    off = ReconstructionLoss(LossConfig(si_sdr=1.0, snr=0.0, mrstft=0.0, compressed=0.0), rec)
    total_off, trained = off(x_n, y_n)
    assert set(trained) == {"si_sdr"}
    _, measured = off.evaluate(x_n, y_n)
    assert set(measured) == set(losses.TERMS)
    assert float(total_off) == pytest.approx(float(measured["si_sdr"]), rel=1e-6)
    assert math.isfinite(float(measured["compressed"]))


def test_magnitude_only_features_train_on_spectral_terms() -> None:
    with pytest.raises(ValueError, match="carry no phase"):
        losses.check(LossConfig(), "log_magnitude")
    with pytest.raises(ValueError, match=r"loss\.spectral"):
        losses.check(LossConfig(si_sdr=0, snr=0, mrstft=0, compressed=0), "mel")
    with pytest.raises(ValueError, match="every loss weight is 0"):
        losses.check(LossConfig(si_sdr=0, snr=0, mrstft=0, compressed=0), "stft")
    losses.check(LossConfig(spectral=1, si_sdr=0, snr=0, mrstft=0, compressed=0), "log_magnitude")
    rec = _rec("log_magnitude")
    spectral_only = LossConfig(spectral=1, si_sdr=0, snr=0, mrstft=0, compressed=0)
    objective = ReconstructionLoss(spectral_only, rec)
    x = rec.model_input(rec.transform(0.1 * torch.randn(2, 16000)))
    total, terms = objective(x, x + 1)
    assert set(terms) == {"spectral"} and float(total) == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(ValueError, match="weight"):
        LossConfig(si_sdr=-1)
