"""Signal-processing steps of the synthetic corpus, against their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from data_scripts import effects

SR = 16000


def _tone(f: float, n: int, sr: int = SR) -> np.ndarray:
    return np.sin(2 * np.pi * f * np.arange(n) / sr)


def test_resample_moves_frequency_by_the_factor() -> None:
    """Audio at 22050 Hz read as 22050 * 1.1 Hz and resampled to 16 kHz: 1 kHz -> 1.1 kHz."""
    x = _tone(1000.0, 22050, 22050)
    y = effects.resample(x, 22050 * 1.1, SR)
    assert abs(len(y) - 22050 * SR / (22050 * 1.1)) <= 2
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak = np.fft.rfftfreq(len(y), 1 / SR)[np.argmax(spec)]
    assert peak == pytest.approx(1100.0, abs=2.0)


def test_trim_and_place() -> None:
    x = np.concatenate([np.zeros(800), _tone(440, 4000), np.zeros(1600)])
    t = effects.trim_silence(x)
    assert 4000 <= len(t) <= 4000 + 2 * 160
    y = effects.place(t, SR, shift=300)
    assert len(y) == SR
    start = (SR - len(t)) // 2 + 300
    np.testing.assert_array_equal(y[start: start + len(t)], t)
    assert not y[:start].any() and not y[start + len(t):].any()
    long = effects.place(np.ones(SR + 1000), SR, shift=0)
    assert len(long) == SR


@pytest.mark.parametrize(("color", "alpha"), [("white", 0.0), ("pink", 1.0), ("brown", 2.0)])
def test_colored_noise_slope(color: str, alpha: float) -> None:
    """Power spectrum ~ f^-alpha: the log-log slope of the averaged periodogram is -alpha."""
    n = 2**16
    x = effects.colored_noise(n, color, np.random.default_rng(0))
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-9)
    p = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(n)
    band = (f > 1e-3) & (f < 0.4)
    slope = np.polyfit(np.log(f[band]), np.log(p[band]), 1)[0]
    assert slope == pytest.approx(-alpha, abs=0.1)


def test_add_noise_hits_the_snr() -> None:
    rng = np.random.default_rng(1)
    speech = _tone(300, SR)
    y = effects.add_noise(speech, 20.0, "pink", rng, speech=speech)
    noise = y - speech
    snr = 10 * np.log10(np.mean(speech**2) / np.mean(noise**2))
    assert snr == pytest.approx(20.0, abs=1e-6)


def test_set_peak() -> None:
    y = effects.set_peak(_tone(100, 1000) * 0.3, -6.0)
    assert np.max(np.abs(y)) == pytest.approx(10 ** (-6 / 20))


def test_microphone_is_a_band_pass() -> None:
    low, high = _tone(20.0, SR), _tone(1000.0, SR)
    y_low = effects.microphone(low, SR, np.random.default_rng(3))
    y_mid = effects.microphone(high, SR, np.random.default_rng(3))
    assert np.std(y_low[SR // 2:]) < 0.2 * np.std(low)
    assert np.std(y_mid[SR // 2:]) > 0.7 * np.std(high)


def test_room_keeps_length_and_adds_a_decaying_tail() -> None:
    x = np.zeros(SR)
    x[100] = 1.0
    y = effects.room(x, SR, np.random.default_rng(4))
    assert len(y) == SR and y[100] == pytest.approx(1.0)
    tail = y[101:]
    assert np.sum(tail[:800] ** 2) > np.sum(tail[4000:4800] ** 2) > 0
