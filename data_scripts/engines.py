"""Offline speech engines: espeak-ng, flite, festival (batch mode) and SVOX Pico (``ttspico``).

Each engine turns a batch of :class:`Utterance` (a word with a duration stretch and a pitch
factor) into float64 mono audio at the engine's own sample rate. Festival runs one process per
batch (starting it costs ~0.3 s, about 60x a word; docs/data.md); the others run per word, Pico in
process. Engines are Debian packages (and one PyPI package); :func:`check_engines` says exactly
what to install when one is missing.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

ENGINES = ("espeak-ng", "flite", "festival", "pico")
INSTALL = {
    "espeak-ng": "apt-get install espeak-ng",
    "flite": "apt-get install flite",
    "festival": "apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts",
    "pico": "pip install ttspico (a dependency of this project: run `make venv`)",
}
# voices per engine; espeak-ng voices are '<accent>+<variant>'
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
                   "adam", "andy", "annie", "aunty", "benjamin", "david", "ed", "edward",
                   "john", "linda", "max", "michael", "paul", "robert", "steph", "travis",
                   "victor", "zac", "quincy", "shelby", "norbert", "grandma", "grandpa")
FLITE_VOICES = {"kal16": 100.0, "awb": 110.0, "rms": 100.0, "slt": 170.0}  # voice: f0 mean (Hz)
FESTIVAL_VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")
FESTIVAL_DIRS = {"kal_diphone": "english/kal_diphone", "ked_diphone": "english/ked_diphone",
                 "cmu_us_slt_arctic_hts": "us/cmu_us_slt_arctic_hts"}
PICO_VOICES = ("en-US", "en-GB")

Audio = NDArray[np.float64]


@dataclass(frozen=True)
class Utterance:
    """A word to speak; ``stretch`` > 1 is slower, ``pitch`` multiplies the voice's pitch."""

    text: str
    stretch: float
    pitch: float


class EngineMissingError(RuntimeError):
    """An engine asked for is not installed."""


def engine_available(engine: str) -> bool:
    if engine == "pico":
        return importlib.util.find_spec("ttspico") is not None
    if engine == "festival":
        root = Path("/usr/share/festival/voices")
        return shutil.which("festival") is not None and any(
            (root / d).is_dir() for d in FESTIVAL_DIRS.values())
    return shutil.which(engine) is not None


def festival_voices() -> tuple[str, ...]:
    root = Path("/usr/share/festival/voices")
    return tuple(v for v in FESTIVAL_VOICES if (root / FESTIVAL_DIRS[v]).is_dir())


def check_engines(wanted: tuple[str, ...], allow_missing: bool) -> tuple[str, ...]:
    """The engines of ``wanted`` that are installed; raise :class:`EngineMissingError` naming the
    install command of each missing one unless ``allow_missing`` (then at least one must exist)."""
    unknown = [e for e in wanted if e not in ENGINES]
    if unknown:
        raise ValueError(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    have = tuple(e for e in wanted if engine_available(e))
    missing = [e for e in wanted if e not in have]
    if missing and not allow_missing:
        lines = "\n".join(f"  {e}: {INSTALL[e]}" for e in missing)
        raise EngineMissingError(
            f"missing speech engine(s):\n{lines}\n(or run with --allow-missing-engines to use "
            f"only {list(have) or 'none'})"
        )
    if not have:
        raise EngineMissingError("no speech engine is installed: " + "; ".join(INSTALL.values()))
    return have


def _read(data: bytes | Path) -> tuple[Audio, int]:
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    audio, sr = sf.read(src, dtype="float64", always_2d=True)
    return audio.mean(axis=1), int(sr)


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(cmd, capture_output=True, check=False, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return proc  # type: ignore[no-any-return]


def _espeak(voice: str, base_wpm: float, base_pitch: float, u: Utterance) -> tuple[Audio, int]:
    wpm = round(base_wpm / u.stretch)
    pitch = int(np.clip(round(base_pitch * u.pitch), 0, 99))
    out = _run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "--stdout", u.text])
    return _read(out.stdout)


def _flite(voice: str, tmp: Path, u: Utterance) -> tuple[Audio, int]:
    wav = tmp / "flite.wav"
    f0 = FLITE_VOICES[voice] * u.pitch
    _run(["flite", "-voice", voice, "--setf", f"duration_stretch={u.stretch:.4f}",
          "--setf", f"int_f0_target_mean={f0:.2f}", "-t", u.text, "-o", str(wav)])
    return _read(wav)


def _festival(voice: str, tmp: Path, items: list[Utterance]) -> list[tuple[Audio, int]]:
    lines = [f"(voice_{voice})"]
    for k, u in enumerate(items):
        text = u.text.replace('"', "")
        lines += [
            f"(Parameter.set 'Duration_Stretch {u.stretch:.4f})",
            f"(set! int_lr_params (list (list 'target_f0_mean {105.0 * u.pitch:.2f}) "
            "(list 'target_f0_std 14) (list 'model_f0_mean 170) (list 'model_f0_std 34)))",
            f"(set! u (eval (list 'Utterance 'Text \"{text}\")))",
            "(utt.synth u)",
            f"(utt.save.wave u \"{tmp / f'fest{k}.wav'}\" 'riff)",
        ]
    script = tmp / "batch.scm"
    script.write_text("\n".join(lines) + "\n")
    _run(["festival", "-b", str(script)])
    return [_read(tmp / f"fest{k}.wav") for k in range(len(items))]


def _pico(voice: str, items: list[Utterance]) -> list[tuple[Audio, int]]:
    import ttspico

    engine = ttspico.TtsEngine(voice)
    engine.volume = 60  # the default level clips
    out = []
    for u in items:
        engine.rate = int(np.clip(round(100 / u.stretch), 20, 500))
        engine.pitch = int(np.clip(round(100 * u.pitch), 50, 200))
        pcm = engine.speak(u.text) or b""
        out.append((np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0, 16000))
    return out


def synthesize(engine: str, voice: str, items: list[Utterance], base_rate: float = 150.0,
               base_pitch: float = 50.0) -> list[tuple[Audio, int]]:
    """Speak ``items`` with one voice; returns ``(audio, sample_rate)`` per item.

    ``base_rate`` (words per minute) and ``base_pitch`` (0-99) are used by espeak-ng only.
    """
    if engine == "pico":
        return _pico(voice, items)
    with tempfile.TemporaryDirectory(prefix=f"tts-{engine}-") as d:
        tmp = Path(d)
        if engine == "festival":
            return _festival(voice, tmp, items)
        if engine == "flite":
            return [_flite(voice, tmp, u) for u in items]
        if engine == "espeak-ng":
            return [_espeak(voice, base_rate, base_pitch, u) for u in items]
    raise ValueError(f"unknown engine {engine!r}")
