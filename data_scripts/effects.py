"""Signal processing that turns a clean TTS word into a Speech-Commands-like clip (docs/data.md).

All functions take and return float64 mono signals in ``[-1, 1]`` and draw their randomness from
an explicit :class:`numpy.random.Generator`, so a clip is a pure function of its seed.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy import signal

Audio = NDArray[np.float64]


def resample(x: Audio, sr_in: float, sr_out: int) -> Audio:
    """Polyphase resampling from ``sr_in`` to ``sr_out`` Hz (``sr_in`` may be fractional, which
    is how a speaker's vocal-tract factor is applied: read ``sr`` Hz audio as ``sr * f`` Hz)."""
    ratio = Fraction(sr_out / sr_in).limit_denominator(1000)
    if ratio == 1:
        return x.copy()
    y: Audio = signal.resample_poly(x, ratio.numerator, ratio.denominator)
    return y


def trim_silence(x: Audio, threshold_db: float = -40.0, frame: int = 160) -> Audio:
    """Drop leading and trailing frames whose RMS is ``threshold_db`` below the loudest frame."""
    n = len(x) // frame
    if n == 0:
        return x
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-20)
    active = np.flatnonzero(20 * np.log10(rms / rms.max()) > threshold_db)
    if active.size == 0:
        return x[:0]
    return x[active[0] * frame: (active[-1] + 1) * frame]


def place(x: Audio, length: int, shift: int) -> Audio:
    """Center ``x`` in ``length`` samples, moved by ``shift``; crop the middle if it is longer."""
    out = np.zeros(length)
    if len(x) >= length:
        start = (len(x) - length) // 2
        return x[start: start + length].copy()
    start = int(np.clip((length - len(x)) // 2 + shift, 0, length - len(x)))
    out[start: start + len(x)] = x
    return out


def microphone(x: Audio, sr: int, rng: np.random.Generator) -> Audio:
    """A band-limited 'microphone': Butterworth band-pass, low edge 80-300 Hz, high 3.4-7 kHz."""
    low = rng.uniform(80.0, 300.0)
    high = min(rng.uniform(3400.0, 7000.0), 0.45 * sr)
    order = int(rng.integers(2, 5))
    sos = signal.butter(order, [low, high], btype="bandpass", fs=sr, output="sos")
    y: Audio = signal.sosfilt(sos, x)
    return y


def room(x: Audio, sr: int, rng: np.random.Generator) -> Audio:
    """Small-room reverb: a direct path plus an exponentially decaying noise tail, RT60 0.15-0.5 s,
    direct-to-reverberant ratio 0-10 dB; the output keeps ``len(x)`` samples."""
    rt60 = rng.uniform(0.15, 0.5)
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)  # -60 dB at t = rt60
    tail[: int(0.002 * sr)] = 0.0  # first reflections after ~2 ms
    drr_db = rng.uniform(0.0, 10.0)
    tail *= 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail**2) + 1e-20)
    rir = tail
    rir[0] = 1.0
    y: Audio = signal.fftconvolve(x, rir)[: len(x)]
    return y


def colored_noise(n: int, color: str, rng: np.random.Generator) -> Audio:
    """Unit-RMS noise with power spectrum ``1 / f^alpha``: white 0, pink 1, brown 2."""
    alpha = {"white": 0.0, "pink": 1.0, "brown": 2.0}[color]
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 2 else 1.0
    spec *= f ** (-alpha / 2)
    y: Audio = np.fft.irfft(spec, n)
    y -= y.mean()
    out: Audio = y / (np.sqrt(np.mean(y**2)) + 1e-20)
    return out


def add_noise(x: Audio, snr_db: float, color: str, rng: np.random.Generator,
              speech: Audio | None = None) -> Audio:
    """Add coloured noise at ``snr_db`` relative to the power of ``speech`` (default: ``x``'s
    frames above -40 dB, so that padding does not lower the speech power)."""
    ref = trim_silence(x) if speech is None else speech
    power = float(np.mean(ref**2)) if ref.size else float(np.mean(x**2))
    noise = colored_noise(len(x), color, rng) * np.sqrt(power / 10 ** (snr_db / 10))
    out: Audio = x + noise
    return out


def set_peak(x: Audio, peak_dbfs: float) -> Audio:
    """Scale so that ``max |x|`` is ``peak_dbfs`` dB below full scale."""
    peak = float(np.max(np.abs(x)))
    if peak == 0.0:
        return x
    out: Audio = x * (10 ** (peak_dbfs / 20) / peak)
    return out
