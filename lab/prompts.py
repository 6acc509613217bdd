"""Whole prompts: a recording's consecutive clips joined back and scored as one item.

:mod:`data_scripts.make_corpus` trims and loudness-normalizes each recording as a whole, then cuts
it into consecutive clips, and its manifest records each clip's ``source_file`` and ``offset``
(seconds into the recording). Clips of one source whose offsets follow each other without a gap
(the next offset is this one plus its length, within :data:`GAP_SECONDS`) join back, in offset
order, into a **prompt**: the recording as a user would hand it over. A clip the builder dropped
(silent, clipped, duplicate) splits its recording into two prompts; a recording's short tail was
dropped, so a prompt ends at its last whole or kept clip. A corpus whose manifest names no source
files (the TTS corpus: one utterance per clip) has no prompts.

Scoring (:func:`score`): each prompt goes through the model as :mod:`lab.reconstruct` treats a
user's file, in clips of the training length with Hann overlap-add
(:func:`lab.overlap_add.overlap_add`), and is scored once, whole, so a 6-s prompt is one item
and not six clips; the summary (:func:`lab.metrics.summarize`, under ``prompt/*``) is the mean
over prompts. ``eval.prompts`` of the split's prompts are scored, evenly spread over them in
(source, offset) order (0: none); codecs code each prompt whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import Tensor

from data_scripts.effects import resample
from data_scripts.manifest import ClipRow, read_manifest
from lab.data import spread
from lab.metrics import ClipMetrics, clip_metrics, summarize
from lab.overlap_add import overlap_add

GAP_SECONDS = 1e-3  # offsets are written to 0.1 ms; a dropped clip leaves a gap of a clip


@dataclass(frozen=True)
class Prompt:
    """One contiguous stretch of a recording: its clips' manifest rows, in order."""

    source: str
    rows: tuple[ClipRow, ...]

    @property
    def seconds(self) -> float:
        return sum(r.num_frames / r.sample_rate for r in self.rows)


def find_prompts(root: Path, split: str, words: Sequence[str] | None = None) -> list[Prompt]:
    """Every prompt of ``split`` (clips of ``words`` only, if given), ordered by source and
    offset; ``[]`` when the manifest names no source files."""
    keep = set(words) if words else None
    by_source: dict[str, list[ClipRow]] = defaultdict(list)
    for r in read_manifest(root):
        if r.split == split and r.source_file and (keep is None or r.word in keep):
            by_source[r.source_file].append(r)
    prompts: list[Prompt] = []
    for source in sorted(by_source):
        rows = sorted(by_source[source], key=lambda r: r.offset)
        run = [rows[0]]
        for prev, row in pairwise(rows):
            if abs(row.offset - (prev.offset + prev.num_frames / prev.sample_rate)) > GAP_SECONDS:
                prompts.append(Prompt(source, tuple(run)))
                run = []
            run.append(row)
        prompts.append(Prompt(source, tuple(run)))
    return prompts


def select(prompts: Sequence[Prompt], k: int) -> list[Prompt]:
    """``k`` prompts evenly spread over ``prompts`` (0: none; more than there are: all)."""
    if k <= 0:
        return []
    return [prompts[int(i)] for i in spread(len(prompts), k)]


def read_prompt(root: Path, prompt: Prompt, sample_rate: int) -> Tensor:
    """The prompt's clips read (mono, resampled to ``sample_rate``) and joined, float32 ``(L,)``."""
    parts = []
    for row in prompt.rows:
        audio, sr = sf.read(root / row.path, dtype="float64", always_2d=True)
        x = audio.mean(axis=1)
        parts.append(resample(x, float(sr), sample_rate) if sr != sample_rate else x)
    return torch.from_numpy(np.concatenate(parts).astype(np.float32))


def score(waves: Sequence[Tensor], clip: int, fn: Callable[[Tensor], Tensor], sample_rate: int,
          names: tuple[str, ...], prefix: str = "prompt", batch_size: int = 16
          ) -> dict[str, float]:
    """The mean over prompts of ``names`` (:func:`lab.metrics.summarize` under ``prefix``),
    each prompt ``(L,)`` reconstructed by ``fn`` (clips ``(B, clip)`` -> ``(B, clip)``) with
    overlap-add and scored whole, in float64."""
    items: list[ClipMetrics] = []
    for wave in waves:
        ref = wave.double()
        est = overlap_add(ref, clip, lambda c: fn(c.float()).double(), batch_size)
        items.append(clip_metrics(ref, est, sample_rate, names))
    return summarize(items, prefix, names)
