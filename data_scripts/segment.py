"""Turn one recording into clips: trim silence, normalize loudness, cut, and judge each clip.

The same steps for every corpus (:mod:`data_scripts.make_corpus`), on mono float64 audio at the
corpus rate ``sr``, in 10 ms frames:

1. **Trim** leading and trailing frames more than ``TRIM_DB`` (40 dB) below the loudest frame.
2. **Loudness**: the active speech level ``L`` is the RMS over the frames at most 40 dB below the
   loudest one and above -70 dBFS (a simplified ITU-T P.56 active level); the recording is
   scaled so that ``L = TARGET_DBFS`` (-26 dBFS, P.56's usual level for codec tests), then down
   further if its peak would exceed ``PEAK_DBFS`` (-1 dBFS).
3. **Cut** into consecutive clips of ``clip`` samples; a last piece shorter than ``min_len`` is
   dropped (``short_tail``), a longer one kept as it is (readers pad it).
4. **Judge** each clip; one dropped for the first reason that holds:

   * ``silent``: under ``MIN_ACTIVE`` (10 %) of its frames lie within 40 dB of the recording's
     loudest frame and above -70 dBFS (at source scale: dither-only "silence" files are silent);
   * ``clipped``: at least ``CLIPPED_FRACTION`` (0.1 %) of its samples belong to runs of three
     or more consecutive source samples at ``|x| >= 0.99`` full scale (judged before scaling);
   * ``noise``: a Welch spectrum as flat as noise: spectral flatness (geometric over arithmetic
     mean of the power, 0-8 kHz) above ``MAX_FLATNESS`` (0.7; measured: recorded prompts at
     most 0.46, TTS clips with added noise at most 0.37, random 16-bit samples 0.996: what a
     file of random bytes behind a valid header decodes to);
   * duplicates (identical 16-bit audio) are judged across the corpus by the caller from
     :attr:`Clip.digest`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from data_scripts.effects import Audio

TRIM_DB = -40.0
ACTIVE_DB = -40.0
FLOOR_DBFS = -70.0
TARGET_DBFS = -26.0
PEAK_DBFS = -1.0
MIN_ACTIVE = 0.10
CLIPPED_FRACTION = 1e-3
MAX_FLATNESS = 0.7
CLIP_DROPS = ("short_tail", "silent", "clipped", "noise", "duplicate")


@dataclass(frozen=True)
class Clip:
    audio: Audio  # (n,) float64, n <= clip
    offset: int  # first sample in the recording (before trimming)
    digest: str  # SHA-1 of the clip as 16-bit PCM: equal digests, identical audio


def frame_db(x: Audio, frame: int) -> NDArray[np.float64]:
    """Level of each whole ``frame``-sample frame, dBFS (RMS, -200 for digital silence)."""
    n = len(x) // frame
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1))
    out: NDArray[np.float64] = 20 * np.log10(np.maximum(rms, 1e-10))
    return out


def trim_bounds(x: Audio, sr: int) -> tuple[int, int]:
    """``(start, end)`` sample bounds after trimming leading/trailing quiet frames (step 1)."""
    frame = sr // 100
    db = frame_db(x, frame)
    if db.size == 0:
        return 0, len(x)
    active = np.flatnonzero(db > db.max() + TRIM_DB)
    return int(active[0] * frame), int(min(len(x), (active[-1] + 1) * frame))


def active_level_db(x: Audio, sr: int) -> float:
    """The active speech level in dBFS (step 2); -inf for silence."""
    db = frame_db(x, sr // 100)
    if db.size == 0 or db.max() <= FLOOR_DBFS:
        return -np.inf
    active = db[(db > db.max() + ACTIVE_DB) & (db > FLOOR_DBFS)]
    return float(10 * np.log10(np.mean(10 ** (active / 10))))


def loudness_gain(x: Audio, sr: int) -> float:
    """The factor that puts the active level at ``TARGET_DBFS`` with the peak at most
    ``PEAK_DBFS`` (step 2); 1 for silence."""
    level = active_level_db(x, sr)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if not np.isfinite(level) or peak == 0.0:
        return 1.0
    gain = 10 ** ((TARGET_DBFS - level) / 20)
    return float(min(gain, 10 ** (PEAK_DBFS / 20) / peak))


def clipped_mask(x: Audio, run: int = 3, level: float = 0.99) -> NDArray[np.bool_]:
    """Samples in runs of at least ``run`` consecutive samples with ``|x| >= level``."""
    hot = np.abs(x) >= level
    if not hot.any():
        return hot
    edges = np.diff(np.concatenate([[0], hot.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = np.zeros_like(hot)
    for s, e in zip(starts, ends, strict=True):
        if e - s >= run:
            out[s:e] = True
    return out


def flatness(x: Audio, sr: int) -> float:
    """Spectral flatness of the Welch power spectrum (32 ms Hann segments, half overlap), in
    ``[0, 1]``: about 1 for white noise, a few hundredths for speech."""
    n = min(len(x), 2 ** int(np.log2(max(8, sr // 32))))
    hop = n // 2
    count = 1 + (len(x) - n) // hop
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop][:count]
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(n)
    p = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)[1:] + 1e-20
    return float(np.exp(np.mean(np.log(p))) / np.mean(p))


def pcm16_digest(x: Audio) -> str:
    return hashlib.sha1(np.round(np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()).hexdigest()


def segment(x: Audio, sr: int, clip: int, min_len: int, clipped: NDArray[np.bool_] | None = None
            ) -> tuple[list[Clip], list[str]]:
    """The kept clips of recording ``x`` and the reason for each dropped one (steps 1-4).

    ``clipped``: the source's :func:`clipped_mask` mapped to ``x``'s samples (default: computed
    on ``x`` itself, which must then be at source scale).
    """
    mask = clipped_mask(x) if clipped is None else clipped
    start, end = trim_bounds(x, sr)
    y = x[start:end] * loudness_gain(x[start:end], sr)
    frame = sr // 100
    db_src = frame_db(x[start:end], frame)  # at source scale: the -70 dBFS floor applies
    active = (db_src > (db_src.max() if db_src.size else 0.0) + ACTIVE_DB) & (
        db_src > FLOOR_DBFS)
    kept: list[Clip] = []
    dropped: list[str] = []
    for a in range(0, len(y), clip):
        piece = y[a:a + clip]
        if len(piece) < min(min_len, clip):
            dropped.append("short_tail")
            continue
        frames = active[a // frame:(a + len(piece)) // frame]
        if frames.size == 0 or np.mean(frames) < MIN_ACTIVE:
            dropped.append("silent")
        elif np.mean(mask[start + a:start + a + len(piece)]) >= CLIPPED_FRACTION:
            dropped.append("clipped")
        elif flatness(piece, sr) > MAX_FLATNESS:
            dropped.append("noise")
        else:
            kept.append(Clip(piece, start + a, pcm16_digest(piece)))
    return kept, dropped
