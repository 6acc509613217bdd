"""ManifestDataset over a corpus written here (manifest plus WAVs of known content)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from data_scripts.manifest import ClipRow, write_manifest
from lab.dataset import ManifestDataset, fix_length


def make_corpus(root: Path, clips: dict[str, tuple[np.ndarray, int, str]]) -> Path:
    """``path -> (audio (frames[, channels]), sample rate, split)``; word from the folder."""
    rows = []
    for rel, (audio, sr, split) in clips.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / rel, audio, sr, subtype="FLOAT")
        word, name = rel.split("/")
        rows.append(ClipRow(rel, word, name.split("_nohash_")[0], 0, split, sr, len(audio), "t"))
    write_manifest(root, rows)
    return root


def tone(n: int, sr: int = 16000, f: float = 440.0) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * f * np.arange(n) / sr)


def test_split_word_filter_and_fixed_length(tmp_path: Path) -> None:
    root = make_corpus(tmp_path, {
        "yes/a1_nohash_0.wav": (tone(8000), 16000, "training"),
        "yes/b2_nohash_0.wav": (tone(20000), 16000, "training"),
        "no/c3_nohash_0.wav": (tone(16000), 16000, "training"),
        "right/d4_nohash_0.wav": (tone(16000), 16000, "validation"),
    })
    ds = ManifestDataset(root, "training", words=("yes",))
    assert len(ds) == 2 and ds.words == ("yes",)
    short, label = ds[0]
    assert short.shape == (16000,) and short.dtype == torch.float32 and label == 0
    np.testing.assert_allclose(short[:8000].numpy(), tone(8000), atol=1e-6)
    assert not short[8000:].any()
    long, _ = ds[1]
    np.testing.assert_allclose(long.numpy(), tone(20000)[2000:18000], atol=1e-6)
    all_train = ManifestDataset(root, "training")
    # labels index the corpus vocabulary, so they agree across splits
    assert all_train.words == ("no", "right", "yes") and len(all_train) == 3
    assert ManifestDataset(root, "validation")[0][1] == 1
    with pytest.raises(ValueError, match="not in"):
        ManifestDataset(root, "training", words=("left",))
    with pytest.raises(ValueError, match="no clips"):
        ManifestDataset(root, "testing")
    with pytest.raises(ValueError, match="split must be"):
        ManifestDataset(root, "train")


def test_resamples_and_mixes_down(tmp_path: Path) -> None:
    stereo = np.stack([tone(22050, 22050, 1000.0), tone(22050, 22050, 1000.0)], axis=1)
    root = make_corpus(tmp_path, {"go/e5_nohash_0.wav": (stereo, 22050, "testing")})
    x, _ = ManifestDataset(root, "testing")[0]
    spec = np.abs(np.fft.rfft(x.numpy() * np.hanning(16000)))
    assert np.fft.rfftfreq(16000, 1 / 16000)[np.argmax(spec)] == pytest.approx(1000.0, abs=2)


def test_fix_length() -> None:
    assert fix_length(np.arange(5.0), 3).tolist() == [1.0, 2.0, 3.0]
    assert fix_length(np.arange(2.0), 4).tolist() == [0.0, 1.0, 0.0, 0.0]
