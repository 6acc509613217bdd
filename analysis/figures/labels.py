"""Names in figures and on the listening page: a run's model family and each variant's label.

A *real twin* (``model.twin`` set: the parameter- or FLOP-matched real model of the complex one,
logged with ``model.domain=complex``) is a real model: :func:`family` says ``real`` for it, and
:func:`variant_labels` puts ``real`` in front of a label that does not already say so (labels
made of ``key=value`` params, hand-chosen run names).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.runs import PARAM
from analysis.select import Resolved


def param(row: pd.Series, name: str) -> object:
    """Param ``name`` of a run's row, ``None`` where it is missing, NaN or ``pd.NA``."""
    value = row.get(PARAM + name)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def family(row: pd.Series) -> str:
    """``complex``, ``real`` (real-domain models and real twins) or the codec's name."""
    domain = param(row, "model.domain")
    if domain == "codec":
        return str(param(row, "codec.name") or param(row, "model.bottleneck"))
    twin = param(row, "model.twin")
    return "complex" if domain == "complex" and twin in (None, "none") else "real"


def display(variant: str, fam: str) -> str:
    """``variant``, with ``real`` in front when it is a real model whose name does not say so.

    >>> display("real-params-vq256", "real"), display("model.twin=params", "real")
    ('real-params-vq256', 'real (model.twin=params)')
    """
    if fam == "real" and "real" not in variant.lower():
        return f"real ({variant})"
    return variant


def variant_labels(res: Resolved) -> dict[str, str]:
    """``variant -> label`` (:func:`display` of its first run's family), in variant order."""
    firsts = res.finished.groupby("variant", sort=False).head(1)
    fams = {str(r["variant"]): family(r) for _, r in firsts.iterrows()}
    return {v: display(v, fams.get(v, "")) for v in res.variants}
