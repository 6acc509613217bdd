"""Reconstruction metrics of a waveform ``est`` against its reference ``ref`` (1-D, same length).

Waveform:

* ``si_sdr``: scale-invariant SDR (Le Roux et al. 2019) on zero-mean signals:
  ``a = <est, ref> / ||ref||^2``, ``10 log10(||a ref||^2 / ||est - a ref||^2)`` dB;
* ``snr``: ``10 log10(||ref||^2 / ||ref - est||^2)`` dB;
* ``pesq_wb``: PESQ wide band (Rix et al. 2001, ITU-T P.862; wide band: P.862.2; package
  ``pesq``; 16 kHz only);
* ``stoi``, ``estoi``: short-time objective intelligibility (Taal et al. 2011) and its extended
  version (Jensen & Taal 2016) (package ``pystoi``).

Spectral (STFT magnitudes ``S``, Hann windows, hop = window / 4):

* ``lsd``: log-spectral distance (n_fft 512), in dB:
  ``mean_t sqrt(mean_f (10 log10 (|S|^2 + e) - 10 log10 (|S'|^2 + e))^2)``;
* ``spectral_convergence``: ``|| |S| - |S'| ||_F / || |S| ||_F`` (n_fft 512);
* ``mrstft``: mean over resolutions (n_fft 512, 1024, 2048) of spectral convergence plus the mean
  absolute difference of ``log |S|`` (Yamamoto et al. 2020);
* ``mel_distance``: DAC's mel loss (Kumar et al. 2023): summed over (n_mels, window) in
  (10, 64), (20, 128), (40, 256), (80, 512), (160, 1024), (320, 2048) of the mean absolute
  difference of ``log10(max(mel, 1e-5)^2)`` plus that of the mel magnitudes (DAC's list without
  its (5, 32) resolution, too fine for 16 kHz).

PESQ raises on clips with too little speech and STOI returns ~0 with a warning (docs/metrics.md):
those clips are failures, counted by :func:`summarize` (``*_failures``), never averaged in.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torchaudio.transforms as T
from pesq import PesqError, pesq
from pystoi import stoi
from torch import Tensor

EPS = 1e-12
MR_RESOLUTIONS = (512, 1024, 2048)
MEL_RESOLUTIONS = ((10, 64), (20, 128), (40, 256), (80, 512), (160, 1024), (320, 2048))


def si_sdr(ref: Tensor, est: Tensor) -> float:
    ref, est = ref - ref.mean(), est - est.mean()
    a = (est * ref).sum() / (ref.square().sum() + EPS)
    target = a * ref
    return float(10 * torch.log10((target.square().sum() + EPS) / ((est - target).square().sum()
                                                                    + EPS)))


def snr(ref: Tensor, est: Tensor) -> float:
    return float(10 * torch.log10((ref.square().sum() + EPS) / ((ref - est).square().sum() + EPS)))


def _at_least(x: Tensor, n: int) -> Tensor:
    """``x`` zero-padded at the end to ``n`` samples when shorter: the centred STFT reflects
    ``n_fft // 2`` samples at each end, which a signal needs to be longer than. A signal of
    fewer samples than a resolution's window is scored on it padded with silence (the same
    for reference and estimate)."""
    return torch.nn.functional.pad(x, (0, n - x.shape[-1])) if x.shape[-1] < n else x


def _mag(x: Tensor, n_fft: int) -> Tensor:
    window = torch.hann_window(n_fft, dtype=x.dtype, device=x.device)
    return torch.stft(_at_least(x, n_fft), n_fft, n_fft // 4, window=window,
                      return_complex=True).abs()


def lsd(ref: Tensor, est: Tensor, n_fft: int = 512) -> float:
    p, q = _mag(ref, n_fft).square(), _mag(est, n_fft).square()
    diff = 10 * torch.log10(p + 1e-10) - 10 * torch.log10(q + 1e-10)
    return float(diff.square().mean(0).sqrt().mean())


def spectral_convergence(ref: Tensor, est: Tensor, n_fft: int = 512) -> float:
    a, b = _mag(ref, n_fft), _mag(est, n_fft)
    return float(torch.linalg.norm(a - b) / (torch.linalg.norm(a) + EPS))


def mrstft(ref: Tensor, est: Tensor) -> float:
    total = 0.0
    for n_fft in MR_RESOLUTIONS:
        a, b = _mag(ref, n_fft), _mag(est, n_fft)
        sc = torch.linalg.norm(a - b) / (torch.linalg.norm(a) + EPS)
        log_l1 = (torch.log(a + 1e-7) - torch.log(b + 1e-7)).abs().mean()
        total += float(sc + log_l1)
    return total / len(MR_RESOLUTIONS)


_MEL_CACHE: dict[tuple[int, int, int], T.MelSpectrogram] = {}


def mel_distance(ref: Tensor, est: Tensor, sample_rate: int = 16000) -> float:
    total = 0.0
    for n_mels, win in MEL_RESOLUTIONS:
        key = (sample_rate, n_mels, win)
        if key not in _MEL_CACHE:
            with warnings.catch_warnings():  # coarse filter banks leave some filters empty
                warnings.simplefilter("ignore")
                _MEL_CACHE[key] = T.MelSpectrogram(sample_rate, n_fft=win, hop_length=win // 4,
                                                   n_mels=n_mels, power=1.0)
        mel = _MEL_CACHE[key].to(ref.dtype)
        a, b = mel(_at_least(ref, win)), mel(_at_least(est, win))
        log_term = (torch.log10(a.clamp_min(1e-5).square())
                    - torch.log10(b.clamp_min(1e-5).square())).abs().mean()
        total += float(log_term + (a - b).abs().mean())
    return total


def pesq_wb(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float | None:
    """PESQ-WB, or None when PESQ fails on the clip (too little speech, a silent estimate)."""
    if sample_rate != 16000:
        raise ValueError(f"PESQ-WB needs 16 kHz audio, got {sample_rate} Hz")
    try:
        return float(pesq(sample_rate, ref, est, "wb"))
    except PesqError:  # NoUtterancesError, BufferTooShortError, ...
        return None
    except ValueError as err:  # a (nearly) silent estimate: the level alignment divides by its
        if "NaN" in str(err):  # power, 0, and pesq fails converting the NaN
            return None
        raise


def stoi_scores(ref: np.ndarray, est: np.ndarray, sample_rate: int, extended: bool = True
                ) -> tuple[float, float] | None:
    """``(STOI, ESTOI)`` (ESTOI NaN unless ``extended``), or None when there are too few speech
    frames."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            a = stoi(ref, est, sample_rate, extended=False)
            b = stoi(ref, est, sample_rate, extended=True) if extended else math.nan
        except (ValueError, IndexError):  # shorter than one of its frames (256 at 10 kHz):
            return None  # pystoi indexes an empty frame matrix (numpy's AxisError)
    # pystoi signals "too little speech" by a warning and 1e-5, or by exactly 0 when the
    # reference has no speech frame at all
    if any("Not enough STFT frames" in str(w.message) for w in caught) or a in (0.0, 1e-5):
        return None
    return float(a), float(b)


@dataclass
class ClipMetrics:
    values: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


ALL_METRICS = ("si_sdr", "snr", "pesq_wb", "stoi", "estoi", "lsd", "spectral_convergence",
               "mrstft", "mel_distance")
# what the generalization sets (unseen voices, cross-corpus: lab.eval_sets) are scored on: the
# perceptual and waveform metrics of the tables, at about 40 % of the cost of all of them
GENERALIZATION_METRICS = ("si_sdr", "snr", "pesq_wb", "stoi")
_SPECTRAL = {"lsd": lsd, "spectral_convergence": spectral_convergence, "mrstft": mrstft}


def clip_metrics(ref: Tensor, est: Tensor, sample_rate: int = 16000,
                 names: tuple[str, ...] = ALL_METRICS) -> ClipMetrics:
    """The metrics ``names`` (default: every one) of one clip (``ref``, ``est``: 1-D, equal
    length)."""
    if ref.shape != est.shape or ref.ndim != 1:
        raise ValueError(f"need two 1-D signals of equal length, got {tuple(ref.shape)} and "
                         f"{tuple(est.shape)}")
    if not bool(torch.isfinite(est).all()):
        raise ValueError("the estimate contains NaN or Inf: a diverged model is a failed run, "
                         "not a score")
    unknown = sorted(set(names) - set(ALL_METRICS))
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {ALL_METRICS}")
    ref64, est64 = ref.double(), est.double()
    out = ClipMetrics({"si_sdr": si_sdr(ref64, est64), "snr": snr(ref64, est64)})
    for name, fn in _SPECTRAL.items():
        if name in names:
            out.values[name] = fn(ref64, est64)
    if "mel_distance" in names:
        out.values["mel_distance"] = mel_distance(ref64, est64, sample_rate)
    r, e = ref64.cpu().numpy(), est64.cpu().numpy()
    if "pesq_wb" in names:
        p = pesq_wb(r, e, sample_rate)
        if p is None:
            out.failures.append("pesq")
        else:
            out.values["pesq_wb"] = p
    if "stoi" in names or "estoi" in names:
        s = stoi_scores(r, e, sample_rate, extended="estoi" in names)
        if s is None:
            out.failures.append("stoi")
        else:
            out.values["stoi"] = s[0]
            if "estoi" in names:
                out.values["estoi"] = s[1]
    out.values = {k: v for k, v in out.values.items() if k in names}
    return out


def summarize(clips: list[ClipMetrics], prefix: str = "test",
              names: tuple[str, ...] = ALL_METRICS) -> dict[str, float]:
    """Means over clips of the metrics ``names`` under the contract names (``test/si_sdr``,
    ...), with failure counts ``test/pesq_failures``, ``test/stoi_failures`` and
    ``test/n_clips``; a metric that failed on every clip is NaN, never 0."""
    out: dict[str, float] = {}
    for name in names:
        vals = [c.values[name] for c in clips if name in c.values]
        out[f"{prefix}/{name}"] = float(np.mean(vals)) if vals else math.nan
    out[f"{prefix}/pesq_failures"] = float(sum("pesq" in c.failures for c in clips))
    out[f"{prefix}/stoi_failures"] = float(sum("stoi" in c.failures for c in clips))
    out[f"{prefix}/n_clips"] = float(len(clips))
    return out
