"""Normalization statistics come from the training split only, and invert exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lab.dataset import ManifestDataset
from lab.features import FeatureConfig, FeatureTransform
from lab.normalization import Normalizer, fit_normalizer
from tests.lab.test_dataset import make_corpus, tone


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    return make_corpus(tmp_path, {
        "yes/a1_nohash_0.wav": (tone(16000, f=500.0), 16000, "training"),
        "yes/b2_nohash_0.wav": (0.5 * tone(16000, f=1500.0), 16000, "training"),
        "yes/c3_nohash_0.wav": (0.9 * rng.standard_normal(16000), 16000, "validation"),
        "yes/d4_nohash_0.wav": (0.9 * rng.standard_normal(16000), 16000, "testing"),
    })


@pytest.mark.parametrize("rep", ["stft", "planar", "magnitude", "log_magnitude"])
def test_statistics_use_the_training_split_only(corpus: Path, rep: str) -> None:
    transform = FeatureTransform(FeatureConfig(representation=rep))  # type: ignore[arg-type]
    norm = fit_normalizer(ManifestDataset(corpus, "training"), transform, batch_size=1)
    train = torch.stack([ManifestDataset(corpus, "training")[i][0] for i in range(2)])
    x = transform(train.double())
    v = x.abs() if x.is_complex() else x
    if rep == "log_magnitude":
        torch.testing.assert_close(norm.mean, v.mean(dim=(0, 1, 3)))
        torch.testing.assert_close(norm.scale, v.std(dim=(0, 1, 3), correction=0))
    else:
        assert not norm.mean.any()
        rms = v.square().mean(dim=(0, 1, 3)).sqrt().clamp_min(1e-8)
        torch.testing.assert_close(norm.scale, rms)
    with pytest.raises(ValueError, match="training split only"):
        fit_normalizer(ManifestDataset(corpus, "validation"), transform)


def test_apply_invert_and_save(corpus: Path) -> None:
    transform = FeatureTransform(FeatureConfig(representation="stft"))
    norm = fit_normalizer(ManifestDataset(corpus, "training"), transform)
    x = transform(ManifestDataset(corpus, "validation")[0][0].unsqueeze(0))
    y = norm.apply(x)
    assert y.is_complex() and y.dtype == x.dtype
    torch.testing.assert_close(norm.invert(y), x, rtol=1e-5, atol=1e-6)
    again = Normalizer.from_state_dict(norm.state_dict())
    torch.testing.assert_close(again.apply(x), y)
