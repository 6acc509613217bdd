"""What analysis knows about each documented metric: a label, its unit and its direction.

``direction``: +1 when higher is better, -1 when lower is better, 0 for descriptors (rates,
sizes) that are not better or worse. ``axis``: the label of a figure axis, with the unit spelt
out (:func:`axis_label`; a table's header is shorter, :func:`header`). ``RESULT_METRICS`` are a
results table's columns (in this order, those present); ``DESCRIPTORS`` the descriptor table's.
``convergence/val_rel_change`` (:mod:`lab.convergence`) marks the runs that had not converged
(:mod:`analysis.convergence`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.convergence import CHANGE_METRIC


@dataclass(frozen=True)
class MetricInfo:
    label: str
    unit: str
    direction: int
    digits: int
    axis: str = ""  # a figure axis' label; default: "<label> [<unit>]"


QUALITY = {
    "si_sdr": MetricInfo("SI-SDR", "dB", +1, 2, "SI-SDR [dB]"),
    "snr": MetricInfo("SNR", "dB", +1, 2, "SNR [dB]"),
    "pesq_wb": MetricInfo("PESQ-WB", "", +1, 2, "PESQ-WB [MOS-LQO, 1.04\u20134.64]"),
    "stoi": MetricInfo("STOI", "", +1, 3, "STOI [0\u20131]"),
    "estoi": MetricInfo("ESTOI", "", +1, 3, "ESTOI [0\u20131]"),
    "lsd": MetricInfo("LSD", "dB", -1, 2),
    "spectral_convergence": MetricInfo("SC", "", -1, 3,
                                      "spectral convergence [ratio]"),
    "mrstft": MetricInfo("MR-STFT", "", -1, 3, "MR-STFT distance [no unit]"),
    "mel_distance": MetricInfo("mel dist.", "", -1, 3,
                              "mel distance [DAC mel loss, no unit]"),
}
OTHER = {
    "rate/nominal_bps": MetricInfo("nominal rate", "bit/s", 0, 0),
    "rate/entropy_bps": MetricInfo("entropy rate", "bit/s", 0, 0),
    "rate/kl_bps": MetricInfo("KL rate", "bit/s", 0, 0),
    "rate/measured_bps": MetricInfo("measured rate", "bit/s", 0, 0),
    "model/params": MetricInfo("params", "", 0, 0),
    "model/flops_per_second": MetricInfo("FLOPs/s audio", "", 0, 0),
    "model/audio_seconds_per_second": MetricInfo("speed", "x real time", 0, 0),
    "codebook/perplexity": MetricInfo("perplexity", "", +1, 1,
                                     "codebook perplexity [codes, 1\u2013K]"),
    "codebook/usage": MetricInfo("code usage", "", +1, 3, "codes used [fraction of K]"),
    "codebook/dead_fraction": MetricInfo("dead codes", "", -1, 3,
                                        "dead codes [fraction of K]"),
    "val/loss": MetricInfo("val. loss", "", -1, 4, "validation loss"),
    CHANGE_METRIC: MetricInfo("val. loss change, last 1/5", "", 0, 3),  # lab.convergence
}
RESULT_METRICS = ("test/si_sdr", "test/pesq_wb", "test/stoi", "test/mel_distance", "test/lsd",
                  "oracle/si_sdr", "oracle/pesq_wb", "unseen/si_sdr", "unseen/pesq_wb",
                  "cross/si_sdr", "cross/pesq_wb", "prompt/si_sdr", "prompt/pesq_wb")
# the sets a run is scored on (lab.eval_sets) -> how a label names them ("" for test)
SETS = {"test": "", "unseen": "unseen voices", "cross": "cross-corpus", "prompt": "whole prompts"}
DESCRIPTORS = ("model/params", "model/flops_per_second", "rate/nominal_bps", "rate/entropy_bps",
               "rate/kl_bps", "rate/measured_bps", "codebook/perplexity")


# the bitrate that describes a run, first found wins: a codec's measured payload, a VAE's KL
# rate, a VQ's nominal rate (latent vectors/s x log2 K); a plain autoencoder has none
BITRATES = {"rate/measured_bps": "measured", "rate/kl_bps": "KL", "rate/nominal_bps": "nominal"}


def bitrate(row: Mapping[str, Any]) -> tuple[float, str]:
    """``(bit/s, kind)`` of one run (a row of :attr:`analysis.runs.Runs.runs`), by
    :data:`BITRATES`' order; ``(nan, "")`` when it has none."""
    for name, kind in BITRATES.items():
        value = row.get("metrics." + name)
        if value is not None and math.isfinite(float(value)):
            return float(value), kind
    return math.nan, ""


def info(name: str) -> MetricInfo:
    """The metric's info; ``test/x``, ``oracle/x``, ``unseen/x``, ``cross/x`` and ``prompt/x``
    share ``x``'s (all but test labelled with what they measure: oracle phase, unseen voices,
    cross-corpus, whole prompts)."""
    if name in OTHER:
        return OTHER[name]
    prefix, _, base = name.partition("/")
    if base in QUALITY:
        i = QUALITY[base]
        what = "oracle phase" if prefix == "oracle" else SETS.get(prefix, "")
        return MetricInfo(f"{i.label} ({what})" if what else i.label, i.unit,
                          i.direction, i.digits,
                          f"{i.axis} ({what})" if what and i.axis else i.axis)
    return MetricInfo(name, "", 0, 3)


def axis_label(name: str) -> str:
    """A figure axis' label with its unit, e.g. ``SI-SDR [dB]``; ``train/x`` and ``val/x`` share
    ``x``'s (``train/codebook/perplexity``: the codebook's perplexity over training)."""
    i = info(name)
    if i.axis:
        return i.axis
    for prefix in ("train/", "val/"):
        if name.startswith(prefix) and name[len(prefix):] in OTHER:
            return axis_label(name[len(prefix):])
    return f"{i.label}{f' [{i.unit}]' if i.unit else ''}"


def header(name: str) -> str:
    i = info(name)
    arrow = {1: " ↑", -1: " ↓", 0: ""}[i.direction]
    return f"{i.label}{f' [{i.unit}]' if i.unit else ''}{arrow}"
