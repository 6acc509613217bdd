"""Waveform -> features -> model -> waveform: compatibility checks, shapes, phase modes, and exact
reconstruction through an identity model."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
from torch import Tensor

from lab.features import (
    REPRESENTATIONS,
    SEED_MEL,
    FeatureConfig,
    FeatureTransform,
    Representation,
)
from lab.normalization import Normalizer
from lab.reconstruction import PHASED, Reconstruction, Reconstructor, expected_model
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder
from vq.base import BottleneckOutput
from vq.quantizer import VQConfig

SR = 16000
MODELS = [("complex", 1), ("complex", 2), ("real", 1), ("real", 2)]


def _clips(batch: int, length: int = SR, seed: int = 0) -> Tensor:
    """Harmonic tones with a syllable-like envelope: a crude but deterministic speech stand-in."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(length, dtype=torch.float64) / SR
    out = []
    for b in range(batch):
        f0 = 110.0 + 40.0 * b
        env = torch.sin(math.pi * t * SR / length).square() * (0.6 + 0.4 * torch.sin(
            2 * math.pi * 3.0 * t))
        tone = sum(torch.sin(2 * math.pi * f0 * k * t) / k for k in range(1, 9))
        noise = 1e-3 * torch.randn(length, generator=g, dtype=torch.float64)
        out.append(0.3 * env * tone + noise)
    return torch.stack(out).float()


def _features(rep: Representation) -> FeatureConfig:
    # 64 mels: with the default 512-point STFT, 128 (the default) leaves the inverse mel filter
    # bank rank-deficient (see test_default_mel_config_is_invertible below)
    n_mels = 64 if rep in ("mel", "log_mel") else 128
    return FeatureConfig(representation=rep, n_mels=n_mels)


def _model(domain: str, channels: int, bottleneck: str = "vq") -> SpectrogramAutoencoder:
    return SpectrogramAutoencoder(AutoencoderConfig(
        domain=domain, arch="conv2d", in_channels=channels, width=4,  # type: ignore[arg-type]
        latent_dim=2, stages=2, bottleneck=bottleneck,
        bottleneck_config=VQConfig(codebook_size=8) if bottleneck == "vq" else None))


def _reconstructor(rep: Representation, normalizer: Normalizer | None = None) -> Reconstructor:
    return Reconstructor(FeatureTransform(_features(rep)), _model(*expected_model(rep)),
                         normalizer)


def _identity(model: SpectrogramAutoencoder, monkeypatch: pytest.MonkeyPatch,
              seen: list[Tensor] | None = None) -> None:
    def forward(x: Tensor) -> tuple[Tensor, BottleneckOutput]:
        if seen is not None:
            seen.append(x)
        return x, BottleneckOutput(x)

    monkeypatch.setattr(model, "forward", forward)


def _snr_db(ref: Tensor, est: Tensor) -> float:
    ref, est = ref.double(), est.double()
    return float(10 * torch.log10(ref.square().sum() / (ref - est).square().sum()))


def test_expected_model() -> None:
    assert expected_model("stft") == ("complex", 1)
    assert expected_model("planar") == ("real", 2)
    for rep in ("magnitude", "log_magnitude", "mel", "log_mel"):
        assert expected_model(rep) == ("real", 1)
    assert set(PHASED) == {"stft", "planar"}


@pytest.mark.parametrize("rep", REPRESENTATIONS)
@pytest.mark.parametrize(("domain", "channels"), MODELS)
def test_representation_model_compatibility(rep: Representation, domain: str,
                                            channels: int) -> None:
    transform = FeatureTransform(_features(rep))
    model = _model(domain, channels)
    want = {"stft": ("complex", 1), "planar": ("real", 2)}.get(rep, ("real", 1))
    if (domain, channels) == want:
        rec = Reconstructor(transform, model)
        assert rec.representation == rep and rec.model is model and rec.transform is transform
        assert rec.normalizer is None
    else:
        with pytest.raises(ValueError, match=rf"{rep} features need a {want[0]} model with "
                                             rf"in_channels={want[1]}, got a {domain} model "
                                             rf"with in_channels={channels}"):
            Reconstructor(transform, model)


def test_normalizer_representation_mismatch() -> None:
    f = 257
    planar_stats = Normalizer("planar", torch.zeros(f, dtype=torch.float64),
                              torch.ones(f, dtype=torch.float64))
    transform = FeatureTransform(_features("stft"))
    with pytest.raises(ValueError, match="fitted on planar features, not stft"):
        Reconstructor(transform, _model("complex", 1), planar_stats)
    ok = Normalizer("stft", planar_stats.mean, planar_stats.scale)
    assert Reconstructor(transform, _model("complex", 1), ok).normalizer is ok


@pytest.mark.parametrize("rep", REPRESENTATIONS)
@pytest.mark.parametrize("bottleneck", ["none", "vae", "vq"])
def test_forward_and_waveform_shapes(rep: Representation, bottleneck: str) -> None:
    domain, channels = expected_model(rep)
    cfg = _features(rep)
    rec = Reconstructor(FeatureTransform(cfg), _model(domain, channels, bottleneck)).eval()
    length = 4000  # 0.25 s: 32 frames
    wave = _clips(2, length)
    with torch.no_grad():
        r = rec(wave)
    n_freq = cfg.n_mels if rep in ("mel", "log_mel") else cfg.n_freq
    shape = (2, channels, n_freq, cfg.frames(length))
    assert isinstance(r, Reconstruction)
    assert r.features.shape == shape and r.output.shape == shape
    assert r.output.is_complex() == (rep == "stft") == r.features.is_complex()
    torch.testing.assert_close(r.features, rec.transform(wave))
    latent = rec.model.latent_size(n_freq, cfg.frames(length))
    assert r.bottleneck.latent.shape == (2, 2, *latent)
    if bottleneck == "vq":
        assert r.bottleneck.codes is not None and r.bottleneck.codes.shape == (2, *latent)
    else:
        assert r.bottleneck.codes is None
    modes: list[str] = ["model"] if rep in PHASED else ["griffin_lim", "oracle"]
    for mode in modes:
        out = rec.waveform(r, wave, mode)  # type: ignore[arg-type]
        assert out.shape == (2, length) and not out.is_complex()
        assert bool(torch.isfinite(out).all())
    default = rec.waveform(r, wave)
    torch.testing.assert_close(default, rec.waveform(r, wave, rec.default_phase()))
    assert rec.reconstruct(wave).shape == (2, length)


@pytest.mark.parametrize("rep", REPRESENTATIONS)
def test_phase_modes(rep: Representation) -> None:
    rec = _reconstructor(rep).eval()
    wave = _clips(1, 2048)
    r = rec(wave)
    if rep in PHASED:
        assert rec.default_phase() == "model"
        bad = ["griffin_lim", "oracle"]
        message = "inverted with 'model'"
    else:
        assert rec.default_phase() == "griffin_lim"
        bad = ["model"]
        message = "inverted with 'griffin_lim' or 'oracle', not 'model'"
    for mode in bad:
        with pytest.raises(ValueError, match=message):
            rec.waveform(r, wave, mode)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=message):
            rec.reconstruct(wave, mode)  # type: ignore[arg-type]


def _random_normalizer(rep: str, n_freq: int = 257, shift: bool = False) -> Normalizer:
    g = torch.Generator().manual_seed(1)
    mean = (torch.randn(n_freq, generator=g, dtype=torch.float64) if shift
            else torch.zeros(n_freq, dtype=torch.float64))
    scale = torch.rand(n_freq, generator=g, dtype=torch.float64) + 0.5
    return Normalizer(rep, mean, scale)


@pytest.mark.parametrize("rep", ["stft", "planar"])
@pytest.mark.parametrize("normalized", [False, True])
def test_identity_model_reconstructs_phased_representations_exactly(
        rep: Representation, normalized: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    normalizer = _random_normalizer(rep) if normalized else None
    rec = _reconstructor(rep, normalizer)
    seen: list[Tensor] = []
    _identity(rec.model, monkeypatch, seen)
    wave = _clips(2)
    r = rec(wave)
    # the model sees the normalized features, and its output is unnormalized again
    expected_input = r.features if normalizer is None else normalizer.apply(r.features)
    torch.testing.assert_close(seen[0], expected_input)
    if normalizer is not None:
        assert not torch.allclose(seen[0], r.features)
    torch.testing.assert_close(r.output, r.features, rtol=1e-5, atol=1e-5)
    out = rec.waveform(r, wave)
    torch.testing.assert_close(out, wave, rtol=0.0, atol=1e-5)
    torch.testing.assert_close(rec.reconstruct(wave), wave, rtol=0.0, atol=1e-5)


@pytest.mark.parametrize("normalized", [False, True])
def test_identity_model_with_oracle_phase_reconstructs_log_magnitude(
        normalized: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    normalizer = _random_normalizer("log_magnitude", shift=True) if normalized else None
    rec = _reconstructor("log_magnitude", normalizer)
    _identity(rec.model, monkeypatch)
    wave = _clips(2)
    r = rec(wave)
    oracle = rec.waveform(r, wave, "oracle")
    for i in range(len(wave)):
        assert _snr_db(wave[i], oracle[i]) > 40.0
    # Griffin-Lim estimates the phase: a waveform of the right size, not necessarily the input
    gl = rec.waveform(r, wave)
    assert gl.shape == wave.shape and bool(torch.isfinite(gl).all())
    assert float(gl.abs().max()) > 0.0


def test_identity_model_with_oracle_phase_reconstructs_magnitude(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rec = _reconstructor("magnitude")
    _identity(rec.model, monkeypatch)
    wave = _clips(1)
    oracle = rec.reconstruct(wave, "oracle")
    torch.testing.assert_close(oracle, wave, rtol=0.0, atol=1e-5)


def test_seed_mel_shapes() -> None:
    rec = Reconstructor(FeatureTransform(SEED_MEL), _model("real", 1)).eval()
    wave = _clips(1)
    r = rec(wave)
    assert r.features.shape == r.output.shape == (1, 1, 128, 32)
    assert rec.waveform(r, wave).shape == (1, SR)
    assert rec.waveform(r, wave, "oracle").shape == (1, SR)


@pytest.mark.parametrize("rep", ["mel", "log_mel"])
def test_default_mel_config_is_invertible(rep: Representation) -> None:
    transform = FeatureTransform(replace(FeatureConfig(), representation=rep))  # 128 mels
    wave = _clips(1, 4000)
    out = transform.inverse(transform(wave), 4000, phase=transform.stft(wave))
    assert out.shape == (1, 4000)
