"""An ablation's runs: which belong to it, same-key runs resolved, variants and seeds.

* **Membership.** A run belongs to ablation ``A`` when ``A`` is in its ``ablations`` (its
  ``ablation`` / ``ablation.<A>`` tags; its experiment for runs logged without tags): runs shared by
  ablations (lab skips a FINISHED run with the same key and tags it for the new ablation) count in
  each of them.
* **Resolution.** Runs with the same ``run_key`` are one run done several times: the latest
  FINISHED one (by end time) wins. FAILED, RUNNING and KILLED runs are never averaged in; they are
  listed separately (``superseded`` says whether the same key also has a FINISHED run).
* **Variants.** The params that vary among the finished runs (ignoring the seed, the run key and
  where/how a run was tracked) define the variants; the constant ones are stated once. A variant's
  label is the run name without its ``-s<seed>`` suffix when that names variants one to one,
  else ``key=value`` of the varying params.
* **The trained model.** A run with ``model.twin`` = ``params`` | ``flops`` trained the real
  twin of the complex model its ``model.domain`` describes: its ``model.domain`` is read as
  ``real``, so variants, captions and figures say what was trained.
* **Seeds.** The ``seed`` param; one run per variant and seed (the latest finished; others are
  listed). Runs logged without a seed are numbered replicates, and are not paired in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.runs import METRIC, PARAM

IGNORED = ("seed", "run_key", "device")
IGNORED_PREFIXES = ("tracking.", "data.root", "data.cache_dir")


@dataclass
class Resolved:
    """One ablation's runs: ``finished`` (one row per run key, with ``variant`` and ``seed``
    columns, in the order variants were first started) and ``other`` (not FINISHED)."""

    ablation: str
    finished: pd.DataFrame
    other: pd.DataFrame
    varying: list[str]
    constant: dict[str, Any]
    paired: bool = True  # runs carry a ``seed`` param: tests pair them by seed

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(self.finished["variant"]))


def members(runs: pd.DataFrame, ablation: str) -> pd.DataFrame:
    mask = runs["ablations"].map(lambda names: ablation in tuple(names or ()))
    return runs[mask.astype(bool)]


def all_ablations(runs: pd.DataFrame) -> list[str]:
    """Every ablation named by some run, sorted."""
    return sorted({a for names in runs["ablations"] for a in (names or ())})


def _identity_params(frame: pd.DataFrame) -> list[str]:
    out = []
    for col in frame.columns:
        if not col.startswith(PARAM):
            continue
        name = col[len(PARAM):]
        if name in IGNORED or name.startswith(IGNORED_PREFIXES):
            continue
        out.append(col)
    return out


def _value_text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return "-"
    return f"{v:g}" if isinstance(v, float) else str(v)


def varying_and_constant(frame: pd.DataFrame) -> tuple[list[str], dict[str, Any]]:
    """Param names (without ``params.``) that vary among the rows, and the constant ones."""
    varying, constant = [], {}
    for col in _identity_params(frame):
        texts = frame[col].map(_value_text)
        if (texts == "-").all():  # a param of other experiments' runs only
            continue
        if texts.nunique() > 1:
            varying.append(col[len(PARAM):])
        elif len(frame):
            constant[col[len(PARAM):]] = frame[col].iloc[0]
    return varying, constant


def _labels(frame: pd.DataFrame, varying: list[str]) -> pd.Series:
    combos = pd.Series([", ".join(f"{k}={_value_text(row[PARAM + k])}" for k in varying) or "all"
                        for _, row in frame.iterrows()], index=frame.index, dtype=object)
    names = frame["run_name"].fillna("").map(lambda n: re.sub(r"-s\d+$", "", str(n)))
    pairs = pd.DataFrame({"name": names, "combo": combos})
    one_to_one = (pairs.groupby("name")["combo"].nunique().max() == 1
                  and pairs.groupby("combo")["name"].nunique().max() == 1)
    return names if one_to_one and (names != "").all() else combos


def _latest(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The row of each ``by`` group that finished last (its start when the end is unknown)."""
    end = frame["end_time"].fillna(frame["start_time"])
    return frame.assign(_end=end).sort_values("_end").groupby(by, sort=False).tail(1).drop(
        columns="_end")


def trained_domain(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``model.domain`` set to ``real`` where ``model.twin`` names a real twin."""
    domain, twin = PARAM + "model.domain", PARAM + "model.twin"
    if domain not in runs or twin not in runs:
        return runs
    is_twin = runs[twin].map(lambda t: isinstance(t, str) and t not in ("", "none"))
    if not is_twin.any():
        return runs
    out = runs.copy()
    out[domain] = out[domain].astype(object).where(~is_twin, "real")
    return out


def _codec_order(finished: pd.DataFrame) -> pd.DataFrame:
    """Codec runs (``model.domain=codec``) in a fixed order, Opus then Codec2, each by
    bitrate (lowest first), whatever order they started in (codec_baselines runs them in
    parallel); any other runs keep their order."""
    domain, name = PARAM + "model.domain", PARAM + "codec.name"
    rate = METRIC + "rate/nominal_bps"
    if finished.empty or domain not in finished or name not in finished or rate not in finished:
        return finished
    if not (finished[domain].astype(str) == "codec").all():
        return finished
    key = finished[name].astype(str).map({"opus": 0, "codec2": 1}).fillna(2)
    return finished.assign(_key=key, _rate=finished[rate].astype(float)).sort_values(
        ["_key", "_rate"], kind="stable").drop(columns=["_key", "_rate"])


def resolve(runs: pd.DataFrame, ablation: str) -> Resolved:
    """The ablation's runs resolved as described in the module docstring."""
    mine = trained_domain(members(runs, ablation))
    done = _latest(mine[mine["status"] == "FINISHED"], ["run_key"])
    done = done.sort_values("start_time", kind="stable")
    other = mine[mine["status"] != "FINISHED"].copy()
    other["superseded"] = other["run_key"].isin(set(done["run_key"]))
    varying, constant = varying_and_constant(done)
    finished = done.copy()
    finished["variant"] = _labels(done, varying) if len(done) else pd.Series(dtype=object)
    seed_col = PARAM + "seed"
    has_seed = seed_col in finished and bool(finished[seed_col].notna().all())
    if has_seed:
        finished["seed"] = finished[seed_col].astype(int)
        # one run per (variant, seed): two can share both with different keys (e.g. the same
        # config on another data folder); the latest finished counts, the others are listed
        latest = _latest(finished, ["variant", "seed"]).index
        dropped = finished.drop(index=latest)
        if len(dropped):
            extra = dropped.assign(status="FINISHED", superseded=True, failure_reason=(
                "another finished run has the same variant and seed"))
            other = pd.concat([other, extra[[c for c in other.columns if c in extra]]],
                              ignore_index=True)
        finished = finished.loc[latest].sort_values("start_time", kind="stable")
    else:  # runs logged without a seed: replicates numbered in start order, never paired
        finished["seed"] = finished.groupby("variant", sort=False).cumcount()
    first = finished.groupby("variant", sort=False)["start_time"].transform("min")
    finished = finished.assign(_first=first).sort_values(["_first", "seed"], kind="stable")
    finished = _codec_order(finished)
    return Resolved(ablation, finished.drop(columns="_first").reset_index(drop=True),
                    other.reset_index(drop=True), varying, constant, has_seed)
