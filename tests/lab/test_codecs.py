"""Codec baselines through the real command-line tools (opus-tools, codec2)."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lab.codecs import CODEC2_MODES, Codec, ogg_packet_bytes, roundtrip

SR = 16000


def speechlike(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    env = np.sin(np.pi * t / seconds) ** 2
    x = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 20))
    out: np.ndarray = 0.3 * env * x / 3
    return out


def ogg_page(packets: list[bytes], seq: int) -> bytes:
    lacing: list[int] = []
    for p in packets:
        lacing += [255] * (len(p) // 255) + [len(p) % 255]
    header = b"OggS" + bytes([0, 0]) + struct.pack("<qIII", 0, 1, seq, 0)
    return header + bytes([len(lacing)]) + bytes(lacing) + b"".join(packets)


def test_ogg_packets_are_split_by_lacing_values() -> None:
    packets = [b"a" * 19, b"b" * 255, b"c" * 600, b""]
    data = ogg_page(packets[:2], 0) + ogg_page(packets[2:], 1)
    assert ogg_packet_bytes(data) == [19, 255, 600, 0]
    with pytest.raises(ValueError, match="not an Ogg page"):
        ogg_packet_bytes(b"x" * 40)


@pytest.mark.parametrize("kbps", ["6", "12", "24"])
def test_opus_measured_rate_and_length(kbps: str) -> None:
    x = speechlike()
    y, bps = roundtrip(x, SR, Codec("opus", kbps))
    assert y.shape == x.shape and np.isfinite(y).all()
    # hard CBR: the audio packets carry the nominal rate (20 ms frames; 1 s plus pre-skip)
    assert bps == pytest.approx(float(kbps) * 1000, rel=0.1)


def test_opus_quality_rises_with_bitrate() -> None:
    import torch

    from lab.metrics import snr

    x = speechlike()
    ref = torch.from_numpy(x)
    low = snr(ref, torch.from_numpy(roundtrip(x, SR, Codec("opus", "6"))[0]))
    high = snr(ref, torch.from_numpy(roundtrip(x, SR, Codec("opus", "32"))[0]))
    assert high > low


def test_codec2_is_narrow_band_at_its_bitrate() -> None:
    x = speechlike() + 0.05 * np.sin(2 * np.pi * 6000 * np.arange(SR) / SR)  # energy at 6 kHz
    y, bps = roundtrip(x, SR, Codec("codec2", "3200"))
    assert y.shape == x.shape
    assert bps == pytest.approx(3200, rel=0.05)
    spec = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    assert spec[freqs > 4200].sum() < 1e-3 * spec.sum()  # 8 kHz codec: nothing above 4 kHz


def test_codec_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="codec2 modes"):
        Codec("codec2", "9999")
    with pytest.raises(ValueError, match="6-256"):
        Codec("opus", "2")
    with pytest.raises(ValueError, match="codec must be"):
        Codec("mp3", "128")
    assert Codec("codec2", "700C").nominal_bps == 700 and "700C" in CODEC2_MODES


def test_codec_baselines_help(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "experiments.codec_baselines", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "Opus" in out and "--profile" in out
