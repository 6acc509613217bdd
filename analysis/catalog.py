"""What analysis knows about each documented metric: a label, its unit and its direction.

``direction``: +1 when higher is better, -1 when lower is better, 0 for descriptors (rates,
sizes) that are not better or worse. ``RESULT_METRICS`` are a results table's columns (in this
order, those present); ``DESCRIPTORS`` the descriptor table's. ``convergence/val_rel_change``
(:mod:`lab.convergence`) marks the runs that had not converged (:mod:`analysis.convergence`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.convergence import CHANGE_METRIC


@dataclass(frozen=True)
class MetricInfo:
    label: str
    unit: str
    direction: int
    digits: int


QUALITY = {
    "si_sdr": MetricInfo("SI-SDR", "dB", +1, 2),
    "snr": MetricInfo("SNR", "dB", +1, 2),
    "pesq_wb": MetricInfo("PESQ-WB", "", +1, 2),
    "stoi": MetricInfo("STOI", "", +1, 3),
    "estoi": MetricInfo("ESTOI", "", +1, 3),
    "lsd": MetricInfo("LSD", "dB", -1, 2),
    "spectral_convergence": MetricInfo("SC", "", -1, 3),
    "mrstft": MetricInfo("MR-STFT", "", -1, 3),
    "mel_distance": MetricInfo("mel dist.", "", -1, 3),
}
OTHER = {
    "rate/nominal_bps": MetricInfo("nominal rate", "bit/s", 0, 0),
    "rate/entropy_bps": MetricInfo("entropy rate", "bit/s", 0, 0),
    "rate/kl_bps": MetricInfo("KL rate", "bit/s", 0, 0),
    "rate/measured_bps": MetricInfo("measured rate", "bit/s", 0, 0),
    "model/params": MetricInfo("params", "", 0, 0),
    "model/flops_per_second": MetricInfo("FLOPs/s audio", "", 0, 0),
    "model/audio_seconds_per_second": MetricInfo("speed", "x real time", 0, 0),
    "codebook/perplexity": MetricInfo("perplexity", "", +1, 1),
    "codebook/usage": MetricInfo("code usage", "", +1, 3),
    "codebook/dead_fraction": MetricInfo("dead codes", "", -1, 3),
    "val/loss": MetricInfo("val. loss", "", -1, 4),
    CHANGE_METRIC: MetricInfo("val. loss change, last 1/5", "", 0, 3),  # lab.convergence
}
RESULT_METRICS = ("test/si_sdr", "test/pesq_wb", "test/stoi", "test/mel_distance", "test/lsd",
                  "oracle/si_sdr", "oracle/pesq_wb")
DESCRIPTORS = ("model/params", "model/flops_per_second", "rate/nominal_bps", "rate/entropy_bps",
               "rate/kl_bps", "rate/measured_bps", "codebook/perplexity")


def info(name: str) -> MetricInfo:
    """The metric's info; ``test/x`` and ``oracle/x`` share ``x``'s (oracle labelled so)."""
    if name in OTHER:
        return OTHER[name]
    prefix, _, base = name.partition("/")
    if base in QUALITY:
        i = QUALITY[base]
        return MetricInfo(f"{i.label} (oracle phase)" if prefix == "oracle" else i.label,
                          i.unit, i.direction, i.digits)
    return MetricInfo(name, "", 0, 3)


def header(name: str) -> str:
    i = info(name)
    arrow = {1: " ↑", -1: " ↓", 0: ""}[i.direction]
    return f"{i.label}{f' [{i.unit}]' if i.unit else ''}{arrow}"
