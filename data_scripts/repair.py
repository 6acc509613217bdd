"""Check one Speech Commands clip and repair what can be repaired.

A clip must be a readable WAV of mono 16-bit audio at 16 kHz, at most 1 s long, not empty.
Repairs (the clip is kept, and each repair is counted): ``resampled`` (other sample rate),
``mixed_down`` (more than one channel, averaged), ``trimmed`` (longer than 1 s: the centred
second is kept). Exclusions (the clip is dropped and listed with the reason): ``unreadable``
(not audio soundfile can decode), ``truncated`` (a WAV whose data chunk is cut short),
``empty`` (no samples).
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from data_scripts.effects import resample

SAMPLE_RATE = 16000
MAX_FRAMES = SAMPLE_RATE
REPAIRS = ("resampled", "mixed_down", "trimmed")
EXCLUSIONS = ("unreadable", "truncated", "empty")


@dataclass
class Checked:
    """The outcome for one clip: audio to write (None when excluded), repairs, or the reason."""

    audio: NDArray[np.float64] | None
    repairs: list[str] = field(default_factory=list)
    excluded: str | None = None
    detail: str = ""


def wav_truncation(data: bytes) -> str | None:
    """For a RIFF/WAVE file, a description when its ``data`` chunk claims more bytes than exist."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if tag == b"data":
            present = len(data) - (pos + 8)
            return (f"data chunk declares {size} bytes, {present} present"
                    if present < size else None)
        pos += 8 + size + (size & 1)
    return "no data chunk"


def check_clip(data: bytes) -> Checked:
    """Validate and repair one clip given its file bytes."""
    cut = wav_truncation(data)
    if cut is not None:
        return Checked(None, excluded="truncated", detail=cut)
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        # the message names the in-memory file object: drop its address, keep the reason
        reason = re.sub(r"<[^>]*>", "<file>", str(e))[:200]
        return Checked(None, excluded="unreadable", detail=reason)
    if audio.shape[0] == 0:
        return Checked(None, excluded="empty", detail="0 samples")
    out = Checked(None)
    x = audio[:, 0]
    if audio.shape[1] > 1:
        x = audio.mean(axis=1)
        out.repairs.append("mixed_down")
    if sr != SAMPLE_RATE:
        x = resample(x, float(sr), SAMPLE_RATE)
        out.repairs.append("resampled")
        out.detail = f"{sr} Hz"
    if len(x) > MAX_FRAMES:
        start = (len(x) - MAX_FRAMES) // 2
        x = x[start:start + MAX_FRAMES]
        out.repairs.append("trimmed")
    out.audio = np.clip(x, -1.0, 1.0)
    return out
