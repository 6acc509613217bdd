"""Trimming, loudness, cutting and the clip judgements of data_scripts.segment, against closed
forms (a sine's RMS is A / sqrt 2) and constructed signals."""

from __future__ import annotations

import numpy as np
import pytest

from data_scripts import segment as sg

SR = 16000


def burst(seconds: float, amp: float = 0.3, f: float = 220.0) -> np.ndarray:
    """A harmonic tone with a syllable envelope (speech-like: active, not flat)."""
    t = np.arange(round(seconds * SR)) / SR
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)
    out: np.ndarray = amp * env * sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6))
    return out


def test_trim_finds_the_speech_within_a_frame() -> None:
    x = np.concatenate([np.zeros(4000), burst(1.0), np.zeros(6000)])
    start, end = sg.trim_bounds(x, SR)
    assert abs(start - 4000) <= SR // 100 and abs(end - 20000) <= SR // 100


def test_active_level_of_a_sine_and_the_target_gain() -> None:
    amp = 0.1
    x = amp * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR)
    expected = 20 * np.log10(amp / np.sqrt(2))
    assert sg.active_level_db(x, SR) == pytest.approx(expected, abs=0.05)
    g = sg.loudness_gain(x, SR)
    assert sg.active_level_db(g * x, SR) == pytest.approx(sg.TARGET_DBFS, abs=0.05)
    # pauses do not lower the active level (P.56): half silence, same level
    paused = np.concatenate([x, np.zeros(SR)])
    assert sg.active_level_db(paused, SR) == pytest.approx(expected, abs=0.05)


def test_loudness_gain_respects_the_peak_limit() -> None:
    x = 0.01 * np.sin(2 * np.pi * 300 * np.arange(SR) / SR)  # -43 dBFS active level
    x[SR // 2] = 0.9  # one click: +17 dB to reach -26 dBFS would put it above full scale
    g = sg.loudness_gain(x, SR)
    assert np.max(np.abs(g * x)) == pytest.approx(10 ** (sg.PEAK_DBFS / 20), rel=1e-9)
    assert sg.loudness_gain(np.zeros(SR), SR) == 1.0


def test_cut_lengths_offsets_and_the_short_tail() -> None:
    x = burst(3.3)  # 3 whole clips and a 0.3 s tail (< 0.5 s: dropped)
    clips, dropped = sg.segment(x, SR, SR, SR // 2)
    assert [len(c.audio) for c in clips] == [SR, SR, SR] and dropped == ["short_tail"]
    assert [c.offset for c in clips] == [0, SR, 2 * SR]
    clips, dropped = sg.segment(burst(2.7), SR, SR, SR // 2)  # a 0.7 s tail is kept
    assert [len(c.audio) for c in clips] == [SR, SR, round(0.7 * SR)] and dropped == []


def test_a_silent_clip_is_dropped_and_offsets_count_from_the_untrimmed_start() -> None:
    x = np.concatenate([np.zeros(SR // 2), burst(1.0), np.full(2 * SR, 1e-5), burst(1.0)])
    clips, dropped = sg.segment(x, SR, SR, SR // 2)
    assert dropped.count("silent") == 2 and len(clips) == 2
    assert clips[0].offset == SR // 2  # leading silence trimmed
    # a file of dither only (-80 dBFS, as the prompts' silence files) is silent, not noise
    rng = np.random.default_rng(0)
    clips, dropped = sg.segment(1e-4 * rng.standard_normal(2 * SR), SR, SR, SR // 2)
    assert clips == [] and dropped == ["silent", "silent"]


def test_clipped_and_noise_clips_are_dropped() -> None:
    x = burst(2.0, amp=0.5)
    hard = np.clip(x * 4, -1, 1)  # the first second and the second both clipped
    clips, dropped = sg.segment(hard, SR, SR, SR // 2)
    assert clips == [] and dropped == ["clipped", "clipped"]
    rng = np.random.default_rng(1)
    noise = rng.integers(-32768, 32768, SR) / 32768  # what random bytes in a WAV decode to
    assert sg.flatness(noise, SR) > 0.95 and sg.flatness(burst(1.0), SR) < 0.2
    clips, dropped = sg.segment(np.concatenate([burst(1.0), 0.3 * noise]), SR, SR, SR // 2)
    assert len(clips) == 1 and dropped == ["noise"]


def test_clipped_mask_needs_runs_of_three() -> None:
    x = np.zeros(20)
    x[2] = 1.0  # one full-scale sample: a peak, not clipping
    x[5:8] = -1.0  # a run of three: clipped
    mask = sg.clipped_mask(x)
    assert mask.tolist() == [i in (5, 6, 7) for i in range(20)]


def test_equal_audio_has_equal_digests() -> None:
    x = burst(1.0)
    a, _ = sg.segment(np.concatenate([x, x]), SR, SR, SR // 2)
    assert a[0].digest == a[1].digest
    assert sg.pcm16_digest(x) != sg.pcm16_digest(x * 0.5)
