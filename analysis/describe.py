"""What was trained, in words a reader needs: for captions and the descriptor table.

* :func:`trained`: the settings shared by an ablation's runs that a reader needs to judge a
  result (profile, corpus, steps and batch, STFT size, model width, seeds), e.g. ``quick
  profile; corpus commands (2400 training clips, synthetic speech); 240 steps of batch 8 (lr
  0.002); STFT n_fft 256, hop 128; width 64; 3 seeds``. The full constant config is the
  table's collapsible ``details``.
* :func:`model_kind`: the model a variant trained, e.g. ``real (parameter-matched twin), VQ
  K=256, planar input``. A twin is described as the real model it is (``model.domain`` of a run
  is already the trained model's: :func:`analysis.select.resolve`).

Everything is read from the runs' params and metrics (``data/*`` metrics: :mod:`lab.train`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from analysis.runs import METRIC, PARAM
from analysis.select import Resolved

TWINS = {"params": "parameter-matched twin", "flops": "FLOP-matched twin"}


def _present(v: Any) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and math.isnan(v))


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def _distinct(frame: pd.DataFrame, column: str) -> str:
    """The distinct values of ``column`` in ``frame``, ``/``-joined ('' when absent)."""
    if column not in frame:
        return ""
    vals = list(dict.fromkeys(_text(v) for v in frame[column] if _present(v)))
    return "/".join(vals)


def _param(frame: pd.DataFrame, name: str) -> str:
    return _distinct(frame, PARAM + name)


def corpus(frame: pd.DataFrame) -> str:
    """``commands (2400 training clips, synthetic speech)`` from ``data.root`` and the
    ``data/*`` metrics; just the folder's name for runs that did not log them."""
    name = "/".join(dict.fromkeys(p.rstrip("/").rsplit("/", 1)[-1] for p in
                                  frame.get(PARAM + "data.root", pd.Series(dtype=object))
                                  .dropna().astype(str)))
    extra = []
    clips = _distinct(frame, METRIC + "data/train_clips")
    if clips:
        extra.append(f"{clips} training clips")
    synth = frame.get(METRIC + "data/synthetic_fraction")
    if synth is not None and synth.notna().any():
        f = float(synth.max())
        extra.append("synthetic speech" if f == 1.0 else "real speech" if f == 0.0
                     else f"{f:.0%} synthetic speech")
    if not name and not extra:
        return ""
    return f"corpus {name or '?'}" + (f" ({', '.join(extra)})" if extra else "")


def trained(res: Resolved) -> str:
    """The caption's summary of how the ablation's runs were made (see the module doc)."""
    f = res.finished
    if f.empty:
        return "no finished runs"
    parts = []
    profile = _distinct(f, "profile")
    if profile:
        parts.append(f"{profile} profile")
    c = corpus(f)
    if c:
        parts.append(c)
    steps, batch, lr = (_param(f, k) for k in ("optim.steps", "optim.batch_size", "optim.lr"))
    if steps:
        parts.append(f"{steps} steps" + (f" of batch {batch}" if batch else "")
                     + (f" (lr {lr})" if lr else ""))
    n_fft, hop = _param(f, "features.n_fft"), _param(f, "features.hop_length")
    if n_fft:
        parts.append(f"STFT n_fft {n_fft}" + (f", hop {hop}" if hop else ""))
    width = _param(f, "model.width")
    if width and (f.get(PARAM + "model.domain", pd.Series(dtype=object)) != "codec").any():
        parts.append(f"width {width}")
    seeds = f.groupby("variant")["seed"].nunique()
    if len(seeds):
        lo, hi = int(seeds.min()), int(seeds.max())
        parts.append(f"{lo} seeds" if lo == hi else f"{lo}-{hi} seeds")
    return "; ".join(parts)


def model_kind(res: Resolved, variant: str) -> str:
    """The model ``variant`` trained (see the module doc)."""
    rows = res.finished[res.finished["variant"] == variant]
    if rows.empty:
        return "-"
    domain = _param(rows, "model.domain")
    if domain == "codec":
        name, setting = _param(rows, "codec.name"), _param(rows, "codec.setting")
        return f"{name or 'codec'} codec" + (f" at {setting}" if setting else "")
    twin = _param(rows, "model.twin")
    head = domain or "?"
    if twin in TWINS:
        head += f" ({TWINS[twin]})"
    bottleneck = _param(rows, "model.bottleneck")
    if bottleneck == "vq":
        k = _param(rows, "vq.codebook_size")
        neck = f"VQ K={k}" if k else "VQ"
    elif bottleneck == "rvq":
        k, n = _param(rows, "vq.codebook_size"), _param(rows, "vq.codebooks")
        neck = f"RVQ {n} x K={k}" if k and n else "RVQ"
    elif bottleneck == "vae":
        beta, free = _param(rows, "vae.beta"), _param(rows, "vae.free_bits")
        neck = f"VAE β={beta}" if beta else "VAE"
        if free and float(free) > 0:
            neck += f", {float(free):g} free bits"
    elif bottleneck == "none" or (not bottleneck and PARAM + "model.bottleneck" in rows):
        neck = "no bottleneck (AE)"  # "none" is read back as a missing value
    else:
        neck = bottleneck
    rep = _param(rows, "features.representation")
    preset = _param(rows, "model.preset")
    return ", ".join(x for x in (head, neck, f"{rep} input" if rep else "",
                                 f"preset {preset}" if preset else "") if x)
