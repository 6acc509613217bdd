"""Read one recording of any format soundfile decodes, or say precisely why it cannot be used.

:func:`read_recording` returns a :class:`Recording` (mono float64 at the corpus rate) or a
:class:`BadFile` whose ``reason`` is one of :data:`BAD_FILE_REASONS`:

* ``empty``: zero bytes, or no samples;
* ``truncated``: a WAV whose ``data`` chunk claims more bytes than the file holds, or any file
  whose decoder stops before the frame count its header declares;
* ``unreadable``: not audio soundfile (libsndfile) can decode;
* ``no_decoder``: a format this libsndfile build lacks (MP3 before libsndfile 1.1); the
  summary says how to get one (:data:`DECODER_FIX`);
* ``non_finite``: NaN or infinite samples (float WAV/FLAC files can hold them);
* ``low_rate``: a sample rate below the corpus rate: upsampling would give a wideband corpus
  narrowband clips (nothing above half the source rate), so these are left out unless
  ``allow_upsampling``.

Several channels are averaged; rates above the corpus rate are resampled (polyphase,
:func:`data_scripts.effects.resample`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from data_scripts.effects import Audio, resample
from data_scripts.repair import wav_truncation
from data_scripts.segment import clipped_mask

BAD_FILE_REASONS = ("empty", "truncated", "unreadable", "no_decoder", "non_finite", "low_rate")
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff",
                            ".aifc", ".au", ".snd", ".w64", ".caf", ".rf64"})
DECODER_FIX = ("pip install 'soundfile>=0.12.1' (its wheels bundle libsndfile >= 1.1 with MP3), "
               "or convert first: ffmpeg -i IN.mp3 OUT.flac")


@dataclass(frozen=True)
class Recording:
    audio: Audio  # (L,) mono float64 at the corpus rate
    source_rate: int
    channels: int
    clipped: NDArray[np.bool_]  # (L,) samples whose source sample was clipped (any channel)


@dataclass(frozen=True)
class BadFile:
    reason: str
    detail: str


def has_decoder(suffix: str) -> bool:
    """Whether this libsndfile build reads files with ``suffix`` (MP3 needs libsndfile >= 1.1)."""
    if suffix.lower() != ".mp3":
        return True
    return "MP3" in sf.available_formats()


@dataclass(frozen=True)
class Decoded:
    audio: NDArray[np.float64]  # (frames, channels), finite
    rate: int


def decode(path: Path) -> Decoded | BadFile:
    """The file's samples as decoded (no mixing, no resampling), or why it cannot be used:
    ``empty``, ``no_decoder``, ``truncated``, ``unreadable`` or ``non_finite``. The file is
    read once."""
    data = path.read_bytes()
    if not data:
        return BadFile("empty", "0 bytes")
    if not has_decoder(path.suffix):
        return BadFile("no_decoder", f"libsndfile {sf.__libsndfile_version__} has no "
                       f"{path.suffix} decoder")
    cut = wav_truncation(data)
    if cut is not None:
        return BadFile("truncated", cut)
    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            declared, rate = f.frames, f.samplerate
            audio = f.read(dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        # the message names the in-memory file object: drop its address, keep the reason
        return BadFile("unreadable", re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "<file>",
                                                                  str(e)))[:200])
    if audio.shape[0] == 0:
        return BadFile("empty", "0 samples")
    if audio.shape[0] < declared:
        return BadFile("truncated", f"header declares {declared} frames, {audio.shape[0]} read")
    if not np.isfinite(audio).all():
        bad = int((~np.isfinite(audio)).sum())
        return BadFile("non_finite", f"{bad} NaN or infinite samples")
    return Decoded(audio, rate)


def read_recording(path: Path, rate: int, allow_upsampling: bool = False
                   ) -> Recording | BadFile:
    """``path`` as mono float64 at ``rate`` Hz, or why it cannot be used (module docstring)."""
    got = decode(path)
    if isinstance(got, BadFile):
        return got
    audio, source_rate, channels = got.audio, got.rate, got.audio.shape[1]
    if source_rate < rate and not allow_upsampling:
        return BadFile("low_rate", f"{source_rate} Hz < {rate} Hz (nothing above "
                       f"{source_rate // 2} Hz; --allow-upsampling keeps it)")
    x = audio.mean(axis=1)
    hot = np.logical_or.reduce([clipped_mask(audio[:, c]) for c in range(channels)])
    if source_rate != rate:
        x = resample(x, float(source_rate), rate)
        hot = hot[np.minimum((np.arange(len(x)) * source_rate) // rate, len(hot) - 1)]
    return Recording(x, source_rate, channels, hot)
