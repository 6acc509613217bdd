"""Whole prompts: contiguous clips of one recording joined back, scored once through overlap-add."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from data_scripts.manifest import read_manifest, write_manifest
from lab.prompts import find_prompts, read_prompt, score, select
from tests.lab.test_dataset import make_corpus, tone


def prompt_corpus(root: Path) -> Path:
    """Recording ``a`` cut into clips at 0, 1, 2 s and (after a dropped clip) 4 s, ``b`` one
    short clip, ``c`` a clip of another split; ``t`` a clip with no recording named."""
    clips = {"a/a_nohash_0.wav": (tone(16000, f=200.0), 16000, "testing"),
             "a/a_nohash_1.wav": (tone(16000, f=300.0), 16000, "testing"),
             "a/a_nohash_2.wav": (tone(16000, f=400.0), 16000, "testing"),
             "a/a_nohash_4.wav": (tone(16000, f=500.0), 16000, "testing"),
             "b/b_nohash_0.wav": (tone(6000, f=250.0), 16000, "testing"),
             "c/c_nohash_0.wav": (tone(16000), 16000, "training"),
             "t/t_nohash_0.wav": (tone(16000), 16000, "testing")}
    make_corpus(root, clips)
    where = {"a/a_nohash_0.wav": ("a.wav", 0.04), "a/a_nohash_1.wav": ("a.wav", 1.04),
             "a/a_nohash_2.wav": ("a.wav", 2.04), "a/a_nohash_4.wav": ("a.wav", 4.04),
             "b/b_nohash_0.wav": ("b.wav", 0.0), "c/c_nohash_0.wav": ("c.wav", 0.0)}
    rows = [dataclasses.replace(r, source_file=where[r.path][0], offset=where[r.path][1])
            if r.path in where else r for r in read_manifest(root)]
    write_manifest(root, list(reversed(rows)))  # the order of the rows must not matter
    return root


def test_contiguous_clips_of_one_recording_make_one_prompt(tmp_path: Path) -> None:
    root = prompt_corpus(tmp_path)
    prompts = find_prompts(root, "testing")
    assert [(p.source, [r.path for r in p.rows]) for p in prompts] == [
        ("a.wav", ["a/a_nohash_0.wav", "a/a_nohash_1.wav", "a/a_nohash_2.wav"]),
        ("a.wav", ["a/a_nohash_4.wav"]),  # the clip at 3 s was dropped: a gap
        ("b.wav", ["b/b_nohash_0.wav"])]  # t names no recording; c is another split
    assert prompts[0].seconds == 3.0 and prompts[2].seconds == 6000 / 16000
    assert [p.source for p in find_prompts(root, "testing", ["b"])] == ["b.wav"]
    assert find_prompts(root, "training")[0].source == "c.wav"
    assert select(prompts, 0) == [] and select(prompts, 9) == prompts
    assert select(prompts, 2) == [prompts[0], prompts[1]]


def test_a_prompt_is_its_clips_joined_in_offset_order(tmp_path: Path) -> None:
    root = prompt_corpus(tmp_path)
    first = find_prompts(root, "testing")[0]
    wave = read_prompt(root, first, 16000)
    expected = np.concatenate([tone(16000, f=f) for f in (200.0, 300.0, 400.0)])
    np.testing.assert_allclose(wave.numpy(), expected, atol=1e-7)
    assert read_prompt(root, first, 8000).shape == (24000,)  # resampled to the features' rate


def test_a_prompt_is_scored_once_through_overlap_add() -> None:
    """A model that halves its input: SNR = 20 log10 |x| / |x - x/2| = 20 log10 2 on every
    prompt whatever its length (the cross-fade weights sum to one), SI-SDR unbounded."""
    g = torch.Generator().manual_seed(0)
    waves = [0.1 * torch.randn(n, generator=g) for n in (5000, 16000, 40000)]
    calls: list[int] = []

    def half(clips: torch.Tensor) -> torch.Tensor:
        assert clips.shape[1] == 16000 and clips.dtype == torch.float32
        calls.append(len(clips))
        return 0.5 * clips

    m = score(waves, 16000, half, 16000, ("snr", "si_sdr"))
    assert m["prompt/snr"] == pytest.approx(20 * math.log10(2), abs=1e-4)
    assert m["prompt/si_sdr"] > 60 and m["prompt/n_clips"] == 3
    assert sum(calls) == 1 + 1 + 4  # 40000 samples: clips at 0, 8000, 16000, 24000
