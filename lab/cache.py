"""A feature cache on disk, keyed by the feature config and the manifest's content.

Features of a whole split are computed once and stored as one array; every later run (and every
run of a sweep) with the same feature config, corpus manifest, split, words, clip length and
audio files reads them back. The key is the SHA-256 of all of these (the manifest by its bytes,
each clip by its size and modification time: re-made or edited corpora, and clips overwritten
in place, get new entries).

Entry ``ROOT/<key>.npy`` holds the features (complex ones as ``(..., 2)`` real pairs) and
``ROOT/<key>.json`` their shape, dtype, labels and the array file's SHA-256. Both are written
to unique temporary names and renamed into place (atomic on POSIX), array first, so a reader sees
either no entry or a complete one, and concurrent writers of the same entry (several runs of a
sweep starting at once) write identical bytes. A reader checks the array's size and SHA-256;
a corrupt or truncated entry is deleted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader

from data_scripts.manifest import MANIFEST_NAME
from lab.corpus import clip_stats
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform

FORMAT_VERSION = 2  # 2: the clips' size and mtime in the key


def cache_key(dataset: ManifestDataset, transform: FeatureTransform) -> str:
    """SHA-256 over the feature config, the manifest bytes and the dataset's selected clips with
    their size and modification time (:func:`lab.corpus.clip_stats`: an overwritten clip
    gives a new key)."""
    h = hashlib.sha256()
    h.update(json.dumps({"format": FORMAT_VERSION, "features": asdict(transform.config),
                         "split": dataset.split, "words": list(dataset.words),
                         "length": dataset.length, "sample_rate": dataset.sample_rate},
                        sort_keys=True).encode())
    h.update((dataset.root / MANIFEST_NAME).read_bytes())
    h.update(clip_stats(dataset.root, dataset.rows))  # the selected clips, as they are now
    return h.hexdigest()[:32]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _save_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:
        np.save(f, array, allow_pickle=False)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class FeatureCache:
    """``load(dataset, transform) -> (features, labels)``, computing them on a miss."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0
        self.rebuilt = 0

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.root / f"{key}.npy", self.root / f"{key}.json"

    def _read(self, key: str) -> tuple[Tensor, Tensor] | None:
        array_path, meta_path = self.paths(key)
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            if _sha256(array_path) != meta["sha256"]:
                raise ValueError("checksum mismatch")
            array = np.load(array_path, allow_pickle=False)
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            array_path.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            self.rebuilt += 1
            return None
        features = torch.from_numpy(array)
        if meta["complex"]:
            features = torch.view_as_complex(features)
        return features, torch.tensor(meta["labels"], dtype=torch.long)

    def load(self, dataset: ManifestDataset, transform: FeatureTransform,
             batch_size: int = 64) -> tuple[Tensor, Tensor]:
        """Features ``(N, C, F, T)`` and labels ``(N,)`` of ``dataset``, cached or computed."""
        key = cache_key(dataset, transform)
        got = self._read(key)
        if got is not None:
            self.hits += 1
            return got
        self.misses += 1
        feats, labels = [], []
        with torch.no_grad():
            for wave, label in DataLoader(dataset, batch_size=batch_size):
                feats.append(transform(wave))
                labels.append(label)
        features, all_labels = torch.cat(feats), torch.cat(labels)
        array = (torch.view_as_real(features) if features.is_complex() else features).numpy()
        self.root.mkdir(parents=True, exist_ok=True)
        array_path, meta_path = self.paths(key)
        _atomic_write(array_path, lambda p: _save_array(p, array))
        meta = {"key": key, "shape": list(features.shape), "complex": features.is_complex(),
                "labels": all_labels.tolist(), "sha256": _sha256(array_path),
                "config": asdict(transform.config)}
        _atomic_write(meta_path, lambda p: p.write_text(json.dumps(meta) + "\n"))
        return features, all_labels
