"""Feature transforms and their inverses, on real speech from a speech engine."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch
import torchaudio.transforms as T
from torch import Tensor

from data_scripts.effects import resample
from data_scripts.engines import Utterance, engine_available, synthesize
from lab.features import SEED_MEL, FeatureConfig, FeatureTransform

SR = 16000


@pytest.fixture(scope="module")
def speech() -> Tensor:
    """One second of speech (espeak-ng saying two words), (1, 16000) float64."""
    if not engine_available("espeak-ng"):
        pytest.fail("espeak-ng is missing: run `make system`")
    (audio, sr), = synthesize("espeak-ng", "en-us", [Utterance("left right", 1.0, 1.0)])
    x = resample(audio, float(sr), SR)[:SR]
    x = np.pad(x, (0, SR - len(x)))
    return torch.from_numpy(x / np.max(np.abs(x)) * 0.5).unsqueeze(0)


def snr_db(ref: Tensor, est: Tensor) -> float:
    return float(10 * torch.log10(ref.square().sum() / (ref - est).square().sum()))


@pytest.mark.parametrize("rep", ["stft", "planar"])
def test_stft_round_trip_is_transparent(speech: Tensor, rep: str) -> None:
    f = FeatureTransform(FeatureConfig(representation=rep))  # type: ignore[arg-type]
    feats = f(speech)
    assert feats.shape == ((1, 1, 257, 126) if rep == "stft" else (1, 2, 257, 126))
    assert snr_db(speech, f.inverse(feats, SR)) >= 60.0
    f32 = f(speech.float())
    assert snr_db(speech.float(), f.inverse(f32, SR)) >= 60.0


@pytest.mark.parametrize("rep", ["magnitude", "log_magnitude"])
def test_oracle_phase_reconstructs_magnitude_features(speech: Tensor, rep: str) -> None:
    f = FeatureTransform(FeatureConfig(representation=rep))  # type: ignore[arg-type]
    true_stft = T.Spectrogram(n_fft=512, hop_length=128, power=None).double()(speech)
    assert snr_db(speech, f.inverse(f(speech), SR, phase=true_stft)) >= 60.0
    assert snr_db(speech, f.inverse(f(speech), SR, phase=true_stft.angle())) >= 60.0


def spectral_convergence(f: FeatureTransform, ref: Tensor, est: Tensor) -> float:
    a, b = f.stft(ref).abs(), f.stft(est).abs()
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(a))


def test_griffin_lim_error_is_bounded_and_decreases(speech: Tensor) -> None:
    base = FeatureTransform(FeatureConfig(representation="magnitude"))
    feats = base(speech.float())
    errors = [spectral_convergence(base, speech.float(),
                                   base.with_iters(n).inverse(feats, SR)) for n in (2, 8, 32, 128)]
    assert all(b < a for a, b in itertools.pairwise(errors)), errors
    assert errors[-1] < 0.05 and errors[0] < 0.7


def test_seed_mel_preset_equals_torchaudio(speech: Tensor) -> None:
    ref = T.MelSpectrogram(sample_rate=16000, n_fft=1024, hop_length=512, n_mels=128,
                           f_max=8000.0, mel_scale="htk", norm=None, power=2.0)
    got = FeatureTransform(SEED_MEL)(speech.float())
    torch.testing.assert_close(got.squeeze(1), ref(speech.float()), rtol=1e-5, atol=1e-7)
    assert got.shape == (1, 1, 128, 32)


def test_mel_inverse_with_oracle_phase_is_close(speech: Tensor) -> None:
    """The mel filter bank loses detail above its resolution; the inverse recovers most energy."""
    f = FeatureTransform(replace(SEED_MEL, representation="log_mel"))
    true = f.stft(speech.float())
    rec = f.inverse(f(speech.float()), SR, phase=true)
    assert rec.shape == (1, SR)
    assert snr_db(speech.float(), rec) > 10.0


def test_bad_config_and_input() -> None:
    with pytest.raises(ValueError, match="representation"):
        FeatureConfig(representation="cqt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hop_length"):
        FeatureConfig(hop_length=1024, n_fft=512)
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        FeatureTransform(FeatureConfig())(torch.zeros(16000))
