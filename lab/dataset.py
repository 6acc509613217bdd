"""A corpus split as a PyTorch dataset of fixed-length waveforms.

Reads a corpus made by :mod:`data_scripts` through its ``manifest.csv`` (the same for the offline
and the real corpus): one split, optionally some words only (the seed used only "right"), each
clip read with soundfile, mixed to mono, resampled to ``sample_rate`` if it differs, and padded
with zeros at the end or centre-trimmed to ``length`` samples.

Items: ``(wave (length,) float32, label index)``, labels indexing :attr:`ManifestDataset.words`,
which are the requested words or else the whole corpus vocabulary, so labels agree across splits.
``max_clips`` keeps that many clips, evenly spaced over the split's manifest rows (so every word
stays represented), for small runs.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import Tensor
from torch.utils.data import Dataset

from data_scripts.effects import resample
from data_scripts.manifest import ClipRow, read_manifest
from data_scripts.splits import ALL_SPLITS


def fix_length(x: np.ndarray, length: int) -> np.ndarray:
    """Pad with zeros at the end, or keep the centred ``length`` samples."""
    if len(x) >= length:
        start = (len(x) - length) // 2
        return x[start:start + length]
    return np.pad(x, (0, length - len(x)))


def unknown_words(words: tuple[str, ...], available: list[str]) -> str:
    """What to say of ``words`` missing from a corpus of the words ``available``: each with its
    closest matches, and how many words the corpus has (not all of them: a recorded corpus has
    hundreds)."""
    missing = sorted(set(words) - set(available))
    hints = []
    for w in missing:
        close = difflib.get_close_matches(w, available, n=3, cutoff=0.6)
        hints.append(f"{w!r}" + (f" (closest: {', '.join(close)})" if close else ""))
    return (f"data.words: {', '.join(hints)} not in the corpus, which has {len(available)} "
            f"words (the `word` column of its manifest.csv)")


class ManifestDataset(Dataset[tuple[Tensor, int]]):
    """One split of a corpus; see the module docstring."""

    def __init__(self, root: Path | str, split: str, words: tuple[str, ...] | None = None,
                 length: int = 16000, sample_rate: int = 16000, max_clips: int = 0) -> None:
        if split not in ALL_SPLITS:
            raise ValueError(f"split must be one of {ALL_SPLITS}, got {split!r}")
        self.root = Path(root)
        self.split = split
        self.length = length
        self.sample_rate = sample_rate
        rows = read_manifest(self.root)
        available = sorted({r.word for r in rows})
        if words is not None:
            unknown = sorted(set(words) - set(available))
            if unknown:
                raise ValueError(f"{unknown_words(words, available)}: {self.root}")
        self.words: tuple[str, ...] = tuple(sorted(words)) if words else tuple(available)
        self.rows: list[ClipRow] = [r for r in rows if r.split == split and r.word in self.words]
        if not self.rows:
            raise ValueError(f"no clips of words {list(self.words)} in the {split} split of "
                             f"{self.root}")
        if 0 < max_clips < len(self.rows):  # evenly spaced over the (word-sorted) manifest
            n = len(self.rows)
            self.rows = [self.rows[i * n // max_clips] for i in range(max_clips)]
        self._label = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        row = self.rows[i]
        audio, sr = sf.read(self.root / row.path, dtype="float64", always_2d=True)
        x = audio.mean(axis=1)
        if sr != self.sample_rate:
            x = resample(x, float(sr), self.sample_rate)
        x = fix_length(x, self.length)
        return torch.from_numpy(x.astype(np.float32)), self._label[row.word]
