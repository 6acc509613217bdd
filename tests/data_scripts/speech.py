"""Recordings for the corpus-builder tests, spoken by espeak-ng (no committed audio).

:func:`speak` returns one utterance at 22.05 kHz; :func:`librispeech_folder` and
:func:`flat_folder` lay such utterances out as a user's corpus would be: the LibriSpeech layout
in FLAC, and a flat folder of mixed rates, channel counts and formats with every kind of bad
file the builder must count (:data:`BAD_FILES`).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from data_scripts.effects import resample

SENTENCES = (
    "the birch canoe slid on the smooth planks",
    "glue the sheet to the dark blue background",
    "it is easy to tell the depth of a well",
    "these days a chicken leg is a rare dish",
    "rice is often served in round bowls",
    "the juice of lemons makes fine punch",
)
# path in the flat folder -> the reason the builder must give
BAD_FILES = {
    "broken/empty.wav": "empty",
    "broken/cut.wav": "truncated",
    "broken/text.wav": "unreadable",
    "broken/nan.wav": "non_finite",
    "broken/narrow.wav": "low_rate",
}


def speak(text: str, voice: str = "en", pitch: int = 50, speed: int = 150
          ) -> tuple[np.ndarray, int]:
    """``(audio, 22050)``: ``text`` spoken by espeak-ng's ``voice``."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed),
                          "--stdout", text], capture_output=True, check=True).stdout
    audio, sr = sf.read(io.BytesIO(wav), dtype="float64")
    return audio, sr


def at(audio: np.ndarray, sr: int, rate: int) -> np.ndarray:
    return resample(audio, float(sr), rate) if rate != sr else audio


def librispeech_folder(root: Path, speakers: int, per_speaker: int = 2) -> Path:
    """``<spk>/<chapter>/<spk>-<chapter>-<n>.flac`` at 16 kHz, one espeak-ng voice per speaker."""
    voices = ("en+m1", "en+m3", "en+f2", "en+f4", "en-us+m2", "en-us+f3")
    for s in range(speakers):
        spk, chapter = 100 + 7 * s, 2000 + s
        folder = root / str(spk) / str(chapter)
        folder.mkdir(parents=True)
        for n in range(per_speaker):
            audio, sr = speak(SENTENCES[(s + n) % len(SENTENCES)], voices[s % len(voices)],
                              pitch=30 + 5 * s)
            sf.write(folder / f"{spk}-{chapter}-{n:04d}.flac", at(audio, sr, 16000), 16000)
    return root


def _wav_with_random_data(path: Path, seconds: float, rng: np.random.Generator) -> None:
    """A valid 16 kHz 16-bit WAV header followed by random bytes."""
    sf.write(path, np.zeros(round(seconds * 16000)), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[44:] = rng.integers(0, 256, len(data) - 44, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def flat_folder(root: Path) -> Path:
    """Three voices in subfolders at 16, 22.05, 44.1 and 48 kHz (WAV, FLAC, OGG, MP3; one
    stereo), a duplicate, a file of random bytes behind a valid header, and :data:`BAD_FILES`."""
    rng = np.random.default_rng(0)
    plan = [("alice", "en+f2", 16000, "wav", 1), ("alice", "en+f2", 44100, "flac", 2),
            ("alice", "en+f2", 22050, "ogg", 1), ("bob", "en+m3", 48000, "wav", 1),
            ("bob", "en+m3", 16000, "flac", 1), ("bob", "en+m3", 22050, "mp3", 1),
            ("carol", "en-us+f4", 16000, "wav", 1), ("carol", "en-us+f4", 48000, "ogg", 1)]
    for i, (voice, ev, rate, fmt, channels) in enumerate(plan):
        audio, sr = speak(SENTENCES[i % len(SENTENCES)], ev, pitch=40 + 10 * i)
        x = at(audio, sr, rate)
        if channels == 2:
            x = np.stack([x, 0.8 * x], axis=1)
        (root / voice).mkdir(parents=True, exist_ok=True)
        sf.write(root / voice / f"take{i}.{fmt}", x, rate)
    # the same audio again, under another name: kept once
    (root / "bob" / "take3_copy.wav").write_bytes((root / "bob" / "take3.wav").read_bytes())
    broken = root / "broken"
    broken.mkdir()
    (broken / "empty.wav").write_bytes(b"")
    audio, sr = speak(SENTENCES[0])
    sf.write(broken / "cut.wav", at(audio, sr, 16000), 16000, subtype="PCM_16")
    (broken / "cut.wav").write_bytes((broken / "cut.wav").read_bytes()[:8192])
    (broken / "text.wav").write_text("not audio at all\n")
    nan = at(audio, sr, 16000)
    nan[1000:1010] = np.nan
    sf.write(broken / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(broken / "narrow.wav", at(audio, sr, 8000), 8000)
    _wav_with_random_data(root / "carol" / "static.wav", 2.0, rng)
    (root / "notes.txt").write_text("not a recording\n")
    return root

