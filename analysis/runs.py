"""The tidy frame every source produces (:class:`Runs`): analysis never asks where runs came from.

``Runs.runs``: one row per run. Columns, in order: :data:`META` (``run_id``, ``source``
(``mlflow`` | ``wandb``), ``experiment``, ``run_name``, ``status`` (``FINISHED``, ``FAILED``,
``RUNNING``, ``KILLED``, ...), ``start_time`` and ``end_time`` (UTC timestamps, ``NaT`` when
unknown), ``run_key`` (the ``run_key`` tag or param; the run id for runs logged without one),
``ablations`` (a tuple: the ``ablation`` tag and every ``ablation.<name>`` tag; the experiment's
name for runs logged without them), ``artifact_uri``, ``git_commit``, ``git_dirty``,
``command``, ``profile``, ``failure_reason``), then ``params.<name>`` (cast by
:func:`cast_param`: MLflow stores every param as a string) and ``metrics.<name>`` (the last
logged value, by step then time).

``Runs.history``: one row per logged point: ``run_id``, ``key``, ``step``, ``value``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

META = ("run_id", "source", "experiment", "run_name", "status", "start_time", "end_time",
        "run_key", "ablations", "artifact_uri", "git_commit", "git_dirty", "command", "profile",
        "failure_reason")
HISTORY = ("run_id", "key", "step", "value")
PARAM, METRIC = "params.", "metrics."


def cast_param(text: Any) -> Any:
    """A param string as the value it spells: int, float, bool, ``None`` or the string itself.

    >>> [cast_param(s) for s in ("16", "1e-3", "True", "none", "stft", "0,1")]
    [16, 0.001, True, None, 'stft', '0,1']
    """
    if not isinstance(text, str):
        return text
    s = text.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        value = float(s)
    except ValueError:
        return text
    return value if math.isfinite(value) or low in ("nan", "inf", "-inf") else text


def ablations_of(tags: Mapping[str, str], experiment: str) -> tuple[str, ...]:
    """The ablations a run belongs to: its ``ablation`` tag and each ``ablation.<name>`` tag
    (a run shared by ablations has several); its experiment when it has no such tag."""
    names = {k.partition(".")[2] for k in tags if k.startswith("ablation.")}
    if tags.get("ablation"):
        names.add(tags["ablation"])
    return tuple(sorted(names)) if names else (experiment,)


def timestamp(ms: float | int | None) -> pd.Timestamp:
    """Milliseconds since the epoch (MLflow's unit) as a UTC timestamp (``NaT`` for None)."""
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return pd.NaT
    return pd.Timestamp(int(ms), unit="ms", tz="UTC")


def run_row(meta: Mapping[str, Any], params: Mapping[str, Any],
            metrics: Mapping[str, float]) -> dict[str, Any]:
    """One row of :attr:`Runs.runs` (params are cast; missing meta fields become empty)."""
    row: dict[str, Any] = {k: meta.get(k) for k in META}
    row["start_time"] = row["start_time"] if row["start_time"] is not None else pd.NaT
    row["end_time"] = row["end_time"] if row["end_time"] is not None else pd.NaT
    row["run_key"] = row["run_key"] or params.get("run_key") or row["run_id"]
    for k in ("git_commit", "git_dirty", "command", "profile", "failure_reason", "artifact_uri"):
        row[k] = row[k] or ""
    row.update({PARAM + k: cast_param(v) for k, v in params.items()})
    row.update({METRIC + k: float(v) for k, v in metrics.items()})
    return row


def typed(column: pd.Series) -> pd.Series:
    """A params column with the type of its values: nullable ``Int64`` or ``boolean`` when every
    value present is an int or a bool, ``float64`` for numbers, else objects (strings)."""
    present = [v for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not present:
        return column.astype(object)
    if all(isinstance(v, bool) for v in present):
        return column.astype("boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return column.astype("Int64")
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return column.astype("float64")
    return column.astype(object)


@dataclass
class Runs:
    """Runs and their metric histories (see the module docstring)."""

    runs: pd.DataFrame
    history: pd.DataFrame

    @classmethod
    def build(cls, rows: Iterable[dict[str, Any]],
              history: Iterable[tuple[str, str, int, float]] = ()) -> Runs:
        frame = pd.DataFrame(list(rows), dtype=object)  # no int -> float before typed()
        for k in META:
            if k not in frame:
                frame[k] = pd.Series(dtype=object)
        params = sorted(c for c in frame.columns if c.startswith(PARAM))
        metrics = sorted(c for c in frame.columns if c.startswith(METRIC))
        frame = frame[[*META, *params, *metrics]].reset_index(drop=True)
        for col in params:
            frame[col] = typed(frame[col])
        for col in metrics:
            frame[col] = frame[col].astype("float64")
        for col in ("start_time", "end_time"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        hist = pd.DataFrame(list(history), columns=list(HISTORY))
        hist = hist.astype({"run_id": object, "key": object, "step": "int64", "value": "float64"})
        return cls(frame, hist)

    @classmethod
    def concat(cls, parts: Iterable[Runs]) -> Runs:
        parts = list(parts)
        if not parts:
            return cls.build([])
        runs = pd.concat([p.runs for p in parts], ignore_index=True, sort=False)
        history = pd.concat([p.history for p in parts], ignore_index=True)
        rows = runs.to_dict("records")
        return cls.build(rows, history.itertuples(index=False, name=None))

    def params(self) -> list[str]:
        return [c[len(PARAM):] for c in self.runs.columns if c.startswith(PARAM)]

    def metrics(self) -> list[str]:
        return [c[len(METRIC):] for c in self.runs.columns if c.startswith(METRIC)]
