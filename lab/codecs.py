"""Classical codecs as baselines: Opus (opus-tools) and Codec2 (codec2), through their command-line
tools (Debian packages ``opus-tools`` and ``codec2``, installed by ``make system``).

:func:`roundtrip` encodes and decodes one clip and returns the decoded waveform (same length and
rate as the input) and the **measured** bits per second (the size of the coded file x 8 / the
clip's duration), next to the codec's nominal rate.

* Opus: ``opusenc --bitrate <kbps> --hard-cbr --speech`` on the 16 kHz WAV, ``opusdec --rate
  16000``. The measured rate counts the Opus audio packets only (parsed from the Ogg pages,
  RFC 7845): on a 1 s clip the container's headers (OpusHead, OpusTags with the encoder's vendor
  string) and page framing would otherwise add about 8 kbit/s that a stream does not pay.
* Codec2: 8 kHz only, so the clip is resampled 16 -> 8 kHz (``data_scripts.effects.resample``),
  coded in a mode (3200, 2400, 1600, 1400, 1300, 1200, 700C, 450 bit/s) as headerless bits, and
  the decoded 8 kHz speech resampled back to 16 kHz: its band stops at 4 kHz. The measured
  rate is the bit file's (each frame padded to whole bytes: 700C measures 800 bit/s).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from data_scripts.effects import resample

CODEC2_MODES = ("3200", "2400", "1600", "1400", "1300", "1200", "700C", "450")
TOOLS = {"opus": ("opusenc", "opusdec"), "codec2": ("c2enc", "c2dec")}


class CodecMissingError(RuntimeError):
    """A codec's command-line tools are not installed."""


@dataclass(frozen=True)
class Codec:
    """``name`` in (opus, codec2); ``setting``: Opus kbit/s (e.g. "6") or a Codec2 mode."""

    name: str
    setting: str

    def __post_init__(self) -> None:
        if self.name not in TOOLS:
            raise ValueError(f"codec must be one of {sorted(TOOLS)}, got {self.name!r}")
        if self.name == "codec2" and self.setting not in CODEC2_MODES:
            raise ValueError(f"codec2 modes are {CODEC2_MODES}, got {self.setting!r}")
        if self.name == "opus" and not 6 <= float(self.setting) <= 256:
            raise ValueError(f"opus bitrates are 6-256 kbit/s, got {self.setting}")

    @property
    def nominal_bps(self) -> float:
        if self.name == "opus":
            return float(self.setting) * 1000
        return float(self.setting.rstrip("C"))

    @property
    def label(self) -> str:
        return f"{self.name}-{self.setting}"


def check_tools(codec: Codec) -> None:
    missing = [t for t in TOOLS[codec.name] if shutil.which(t) is None]
    if missing:
        pkg = "opus-tools" if codec.name == "opus" else "codec2"
        raise CodecMissingError(f"{', '.join(missing)} not found: install the Debian package "
                                f"{pkg} (`make system` does)")


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")


def ogg_packet_bytes(data: bytes) -> list[int]:
    """Sizes of the packets of an Ogg stream (RFC 3533: pages of lacing values)."""
    sizes: list[int] = []
    current, pos = 0, 0
    while pos + 27 <= len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {pos}")
        n_segments = data[pos + 26]
        lacing = data[pos + 27:pos + 27 + n_segments]
        pos += 27 + n_segments
        for value in lacing:
            current += value
            if value < 255:  # a packet ends here
                sizes.append(current)
                current = 0
        pos += sum(lacing)
    return sizes


def _fit(x: np.ndarray, length: int) -> np.ndarray:
    return x[:length] if len(x) >= length else np.pad(x, (0, length - len(x)))


def roundtrip(wave: np.ndarray, sample_rate: int, codec: Codec) -> tuple[np.ndarray, float]:
    """``(decoded wave, measured bits per second)`` of a mono float clip."""
    check_tools(codec)
    seconds = len(wave) / sample_rate
    pcm = np.clip(wave, -1.0, 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if codec.name == "opus":
            sf.write(d / "in.wav", pcm, sample_rate, subtype="PCM_16")
            _run(["opusenc", "--quiet", "--bitrate", codec.setting, "--hard-cbr", "--speech",
                  str(d / "in.wav"), str(d / "coded.opus")])
            _run(["opusdec", "--quiet", "--rate", str(sample_rate), str(d / "coded.opus"),
                  str(d / "out.wav")])
            packets = ogg_packet_bytes((d / "coded.opus").read_bytes())
            bits = sum(packets[2:]) * 8  # without OpusHead and OpusTags
            out, _ = sf.read(d / "out.wav", dtype="float64")
        else:
            narrow = resample(pcm.astype(np.float64), float(sample_rate), 8000)
            (np.clip(narrow, -1, 1) * 32767).astype("<i2").tofile(d / "in.raw")
            _run(["c2enc", codec.setting, str(d / "in.raw"), str(d / "coded.bit")])
            _run(["c2dec", codec.setting, str(d / "coded.bit"), str(d / "out.raw")])
            bits = (d / "coded.bit").stat().st_size * 8
            decoded = np.fromfile(d / "out.raw", dtype="<i2").astype(np.float64) / 32768
            out = resample(decoded, 8000.0, sample_rate)
    return _fit(np.asarray(out, dtype=np.float64), len(wave)), bits / seconds
