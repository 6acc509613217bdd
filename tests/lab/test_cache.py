"""The feature cache: hits, invalidation, corruption recovery, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.cache import FeatureCache, cache_key
from lab.dataset import ManifestDataset
from lab.features import FeatureConfig, FeatureTransform
from tests.lab.test_dataset import make_corpus, tone


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    return make_corpus(tmp_path / "corpus", {
        f"{w}/{s}_nohash_0.wav": (tone(16000, f=200.0 * (k + 1)) + 0.01 * rng.standard_normal(
            16000), 16000, "training")
        for k, (w, s) in enumerate([("yes", "a1"), ("no", "b2"), ("yes", "c3"), ("no", "d4")])
    })


def _direct(ds: ManifestDataset, tf: FeatureTransform) -> torch.Tensor:
    return torch.cat([tf(ds[i][0].unsqueeze(0)) for i in range(len(ds))])


def test_miss_then_hit_without_reading_audio(corpus: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ds, tf = ManifestDataset(corpus, "training"), FeatureTransform(FeatureConfig())
    cache = FeatureCache(tmp_path / "cache")
    feats, labels = cache.load(ds, tf)
    assert (cache.misses, cache.hits) == (1, 0)
    torch.testing.assert_close(feats, _direct(ds, tf))
    assert labels.tolist() == [ds[i][1] for i in range(len(ds))]
    def no_reading(self: ManifestDataset, i: int) -> None:
        raise AssertionError("a hit must not decode the audio")

    monkeypatch.setattr(ManifestDataset, "__getitem__", no_reading)
    again, labels2 = cache.load(ds, tf)
    assert cache.hits == 1 and torch.equal(again, feats) and torch.equal(labels2, labels)
    assert again.is_complex()


def test_config_or_manifest_change_invalidates(corpus: Path, tmp_path: Path) -> None:
    ds, tf = ManifestDataset(corpus, "training"), FeatureTransform(FeatureConfig())
    key = cache_key(ds, tf)
    other = FeatureTransform(replace(tf.config, hop_length=256))
    assert cache_key(ds, other) != key
    assert cache_key(ManifestDataset(corpus, "training", words=("yes",)), tf) != key
    manifest = corpus / "manifest.csv"
    manifest.write_text(manifest.read_text().replace(",t,,", ",edited,,"))
    assert cache_key(ManifestDataset(corpus, "training"), tf) != key
    cache = FeatureCache(tmp_path / "cache")
    cache.load(ds, tf)
    cache.load(ds, other)
    assert cache.misses == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta"])
def test_corrupt_entry_is_rebuilt(corpus: Path, tmp_path: Path, damage: str) -> None:
    ds, tf = ManifestDataset(corpus, "training"), FeatureTransform(
        FeatureConfig(representation="log_magnitude"))
    cache = FeatureCache(tmp_path / "cache")
    good, _ = cache.load(ds, tf)
    array_path, meta_path = cache.paths(cache_key(ds, tf))
    data = bytearray(array_path.read_bytes())
    if damage == "flip":
        data[-100] ^= 0xFF
        array_path.write_bytes(bytes(data))
    elif damage == "truncate":
        array_path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        meta_path.write_text("{not json")
    rebuilt, _ = cache.load(ds, tf)
    assert cache.rebuilt == 1 and cache.misses == 2
    torch.testing.assert_close(rebuilt, good)
    cache.load(ds, tf)
    assert cache.hits == 1


def _worker(args: tuple[str, str]) -> list[float]:
    corpus, root = args
    feats, _ = FeatureCache(root).load(ManifestDataset(corpus, "training"),
                                       FeatureTransform(FeatureConfig(representation="planar")))
    return [float(feats.sum()), float(feats.abs().max())]


def test_concurrent_writers_and_readers(corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    with mp.get_context("spawn").Pool(4) as pool:
        results = pool.map(_worker, [(str(corpus), str(root))] * 8)
    assert all(r == results[0] for r in results)
    assert sorted(p.suffix for p in root.iterdir()) == [".json", ".npy"]  # no temp files left
    cache = FeatureCache(root)
    cache.load(ManifestDataset(corpus, "training"),
               FeatureTransform(FeatureConfig(representation="planar")))
    assert cache.hits == 1 and cache.rebuilt == 0
