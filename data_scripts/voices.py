"""Speakers of the synthetic corpus: an engine, a voice, and that speaker's manner of speaking.

A speaker is drawn once (engine voice and accent, base rate and pitch, a vocal-tract factor that
resamples everything the speaker says by 0.88-1.12, moving pitch and formants together); each of
its utterances then jitters rate by +-6 % and pitch by +-5 % (docs/data.md). Engines are assigned in
a fixed rotation (espeak-ng, flite, espeak-ng, festival, pico) over the installed ones, so even a
small corpus mixes them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from data_scripts.engines import (
    ESPEAK_ACCENTS,
    ESPEAK_VARIANTS,
    FLITE_VOICES,
    PICO_VOICES,
    Utterance,
    festival_voices,
)

ROTATION = ("espeak-ng", "flite", "espeak-ng", "festival", "pico")


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker (``speakers.json`` holds one of these per id)."""

    id: str
    engine: str
    voice: str
    base_rate: float  # espeak-ng words per minute
    base_pitch: float  # espeak-ng pitch 0-99
    stretch: float  # duration factor of the other engines (> 1: slower)
    pitch: float  # pitch factor of the other engines
    vocal_tract: float  # resampling factor applied to everything this speaker says

    def utterance(self, text: str, rng: np.random.Generator) -> Utterance:
        """This speaker saying ``text`` once, with rate and pitch jitter."""
        return Utterance(text, self.stretch * rng.uniform(0.94, 1.06),
                         self.pitch * rng.uniform(0.95, 1.05))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def draw_speaker(sid: str, index: int, engines: tuple[str, ...],
                 rng: np.random.Generator) -> Speaker:
    """Speaker number ``index`` (engine from the rotation over ``engines``), voice from ``rng``."""
    rotation = [e for e in ROTATION if e in engines]
    engine = rotation[index % len(rotation)]
    tract = float(rng.uniform(0.88, 1.12))
    if engine == "espeak-ng":
        voice = f"{rng.choice(ESPEAK_ACCENTS)}+{rng.choice(ESPEAK_VARIANTS)}"
        return Speaker(sid, engine, voice, float(rng.uniform(110, 170)),
                       float(rng.uniform(25, 75)), 1.0, 1.0, tract)
    if engine == "flite":
        voice = str(rng.choice(sorted(FLITE_VOICES)))
        stretch = float(rng.uniform(1.1, 1.6))
    elif engine == "festival":
        voice = str(rng.choice(festival_voices()))
        stretch = float(rng.uniform(1.1, 1.5))
    elif engine == "pico":
        voice = str(rng.choice(PICO_VOICES))
        stretch = float(rng.uniform(1.0, 1.4))
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return Speaker(sid, engine, voice, 150.0, 50.0, stretch, float(rng.uniform(0.85, 1.15)),
                   tract)
