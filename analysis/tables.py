"""Paper tables from resolved runs (:class:`analysis.select.Resolved`).

* :func:`results_table`: rows are variants, columns metrics; each cell ``mean +- half-width (n)``
  of the t-based 95 % interval over seeds (:mod:`analysis.stats`). Significance: the paired
  t-tests of every variant against the baseline variant, in every column, are one family,
  corrected with Holm-Bonferroni (so the chance of any false mark in the table is at most
  alpha); ``†`` where the corrected p < alpha. Bold: the best mean of a column (each metric's
  direction: :mod:`analysis.catalog`) and every variant not significantly different from it
  (paired t-tests of the best against each other variant, every column's tests one family,
  Holm-corrected): one bold cell means the best is significantly better than the runner-up,
  several mean they are tied. No test, and so no bold and no ``†``, with fewer than
  :data:`analysis.stats.MIN_SEEDS` paired seeds. Every cell of a variant in which any seed's run
  had not converged ends in ``‡`` (:mod:`analysis.convergence`), with a footnote in the caption.
  The caption says what was trained (:mod:`analysis.describe`); the params that are the same
  in every run are the table's ``details`` (a collapsible block in HTML).
* :func:`descriptor_table`: the trained model, parameters, FLOPs per second of audio and
  bitrates per variant.
* :func:`failures_table`: the runs that are not FINISHED, never averaged in.

Rendering (Markdown, LaTeX booktabs, HTML, CSV) is :mod:`analysis.render`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis import convergence
from analysis.catalog import DESCRIPTORS, RESULT_METRICS, header, info
from analysis.describe import model_kind, trained
from analysis.runs import METRIC
from analysis.select import Resolved
from analysis.stats import CORRECTION, MIN_SEEDS, TEST_NAME, holm, mean_ci, paired_t

SIGNIFICANT = "†"  # a dagger: an asterisk would close Markdown's bold


@dataclass
class Cell:
    text: str
    bold: bool = False
    mean: float = math.nan
    half_width: float = math.nan
    n: int = 0
    p: float = math.nan  # the paired test against the baseline, uncorrected
    p_holm: float = math.nan  # the same, Holm-corrected over the table's family
    not_converged: bool = False  # a seed's run of this variant had not converged


@dataclass
class Table:
    name: str  # file stem
    title: str
    caption: str
    row_header: str
    columns: list[str]  # metric or field names
    headers: list[str]
    rows: list[str]
    cells: list[list[Cell]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # same in every run (collapsible)

    def frame(self) -> pd.DataFrame:
        """The numbers behind the cells, one row per (row, column): for CSV."""
        out: list[dict[str, Any]] = []
        for row, cells in zip(self.rows, self.cells, strict=True):
            for col, cell in zip(self.columns, cells, strict=True):
                out.append({self.row_header: row, "column": col, "text": cell.text,
                            "mean": cell.mean, "ci95_half_width": cell.half_width, "n": cell.n,
                            "p_vs_baseline": cell.p, "p_vs_baseline_holm": cell.p_holm,
                            "best_or_tied": cell.bold, "not_converged": cell.not_converged})
        return pd.DataFrame(out)


def fmt(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return "-"
    if digits == 0:
        return si(x)
    return f"{x:.{digits}f}"


def si(x: float) -> str:
    """``12300 -> '12.3k'``, ``4.5e9 -> '4.5G'`` (sizes and rates)."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def values(res: Resolved, variant: str, metric: str) -> pd.Series:
    """The metric's final value of each seed's run of ``variant``, indexed by seed."""
    rows = res.finished[res.finished["variant"] == variant]
    col = METRIC + metric
    if col not in rows:
        return pd.Series(dtype=float)
    return pd.Series(rows[col].astype(float).to_numpy(), index=rows["seed"].to_numpy())


def paired(a: pd.Series, b: pd.Series) -> tuple[list[float], list[float]]:
    """The values of the seeds both have a finite value for, in seed order."""
    seeds = sorted(s for s in set(a.index) & set(b.index)
                   if math.isfinite(a[s]) and math.isfinite(b[s]))
    return [float(a[s]) for s in seeds], [float(b[s]) for s in seeds]


def present(res: Resolved, metrics: Sequence[str]) -> list[str]:
    f = res.finished
    return [m for m in metrics if METRIC + m in f and f[METRIC + m].notna().any()]


Tests = dict[tuple[str, str], tuple[float, float]]  # (variant, metric) -> (p, Holm p)


def raw_p(res: Resolved, reference: str, other: str, metric: str) -> float:
    """The paired test's p of ``other`` against ``reference`` on ``metric``; NaN when the runs
    are unpaired or share fewer than :data:`MIN_SEEDS` seeds."""
    a, b = paired(values(res, other, metric), values(res, reference, metric))
    return paired_t(a, b).p if res.paired and len(a) >= MIN_SEEDS else math.nan


def corrected(raw: dict[tuple[str, str], float]) -> Tests:
    """Holm over the whole family ``raw``."""
    keys = list(raw)
    return dict(zip(keys, zip((raw[k] for k in keys), holm([raw[k] for k in keys]),
                              strict=True), strict=True))


def baseline_tests(res: Resolved, baseline: str, metrics: Sequence[str]) -> Tests:
    """Every other variant against ``baseline`` on every metric: one family (Holm)."""
    return corrected({(v, m): raw_p(res, baseline, v, m) for m in metrics
                      for v in res.variants if v != baseline})


def best(res: Resolved, metric: str) -> str | None:
    """The variant with the best mean (None for descriptors or fewer than two variants)."""
    direction = info(metric).direction
    means = {v: mean_ci(values(res, v, metric).tolist()).mean for v in res.variants}
    finite = {v: m for v, m in means.items() if math.isfinite(m)}
    if direction == 0 or len(finite) < 2:
        return None
    return max(finite, key=lambda v: direction * finite[v])


def best_or_tied(res: Resolved, metrics: Sequence[str], alpha: float) -> dict[str, set[str]]:
    """Per metric: the best variant and those not significantly different from it, the tests
    of the best against each other variant in every column being one family (Holm); empty
    for a column where any of its tests cannot be done."""
    leaders = {m: best(res, m) for m in metrics}
    tests = corrected({(v, m): raw_p(res, lead, v, m) for m, lead in leaders.items()
                       if lead is not None for v in res.variants
                       if v != lead and math.isfinite(values(res, v, m).mean())})
    out: dict[str, set[str]] = {}
    for m, lead in leaders.items():
        mine = {v: ph for (v, mm), (_, ph) in tests.items() if mm == m}
        out[m] = set()
        if lead is None or any(math.isnan(p) for p in mine.values()):
            continue
        worse = {v for v, p in mine.items() if p < alpha}
        if any(shared_gap(res, lead, v, m) <= 0 for v in worse):
            continue  # on the shared seeds the "best" is not better: no claim
        out[m] = {lead, *(v for v in mine if v not in worse)}
    return out


def shared_gap(res: Resolved, lead: str, other: str, metric: str) -> float:
    """How much better ``lead`` is than ``other`` on the seeds they share (the metric's
    direction applied: positive when ``lead`` is better)."""
    a, b = paired(values(res, lead, metric), values(res, other, metric))
    return info(metric).direction * (sum(a) - sum(b)) / len(a)


def results_table(res: Resolved, metrics: Sequence[str] = RESULT_METRICS,
                  baseline: str | None = None, level: float = 0.95,
                  alpha: float = 0.05) -> Table:
    cols = present(res, metrics)
    variants = res.variants
    base = baseline if baseline is not None else (variants[0] if variants else "")
    if variants and base not in variants:
        raise ValueError(f"baseline {base!r} is not a variant of {res.ablation}: {variants}")
    flagged = convergence.marked(res)
    tests = baseline_tests(res, base, cols)
    bold = best_or_tied(res, cols, alpha)
    cells: list[list[Cell]] = []
    for v in variants:
        row = []
        for m in cols:
            ci = mean_ci(values(res, v, m).tolist(), level)
            digits = info(m).digits
            text = fmt(ci.mean, digits)
            if math.isfinite(ci.half_width):
                text += f" ± {fmt(ci.half_width, digits)}"
            p, p_holm = tests.get((v, m), (math.nan, math.nan))
            if p_holm < alpha:
                text += SIGNIFICANT
            mark = convergence.MARK if v in flagged and ci.n else ""
            row.append(Cell(f"{text} ({ci.n}){mark}" if ci.n else "-", bold=v in bold[m],
                            mean=ci.mean, half_width=ci.half_width, n=ci.n, p=p,
                            p_holm=p_holm, not_converged=bool(mark)))
        cells.append(row)
    done = sum(math.isfinite(p) for p, _ in tests.values())
    if done:
        stats = (f"{SIGNIFICANT}: p < {alpha:g} against {base} ({TEST_NAME}, paired by seed; "
                 f"{CORRECTION}-corrected over the table's {done} comparison"
                 f"{'' if done == 1 else 's'} with {base}). Bold: the best mean of a column "
                 f"(↑ higher, ↓ lower is better) and "
                 f"every variant not significantly different from it (the same test of the "
                 f"best against each other variant, {CORRECTION}-corrected over the table); a "
                 f"single bold cell is significantly better than the runner-up.")
    else:
        why = ("the runs have no seed param" if not res.paired
               else f"fewer than {MIN_SEEDS} seeds")
        stats = f"No significance tests and no best marked: {why}."
    caption = (f"{res.ablation}: {trained(res)}. Mean ± half-width of the {level:.0%} "
               f"t-interval over seeds, seeds in parentheses. {stats}{convergence.note(res)}")
    return Table("results", f"{res.ablation}: reconstruction quality", caption, "variant", cols,
                 [header(m) for m in cols], variants, cells, dict(res.constant))


def descriptor_table(res: Resolved, metrics: Sequence[str] = DESCRIPTORS) -> Table:
    cols = present(res, metrics)
    cells = []
    for v in res.variants:
        row = [Cell(model_kind(res, v))]
        for m in cols:
            ci = mean_ci(values(res, v, m).tolist())
            row.append(Cell(fmt(ci.mean, info(m).digits), mean=ci.mean,
                            half_width=ci.half_width, n=ci.n))
        cells.append(row)
    caption = (f"{res.ablation}: what each variant is (means over seeds): the model trained, "
               f"real parameters, FLOPs per second of audio, bitrates (nominal: latent "
               f"vectors/s x log2 K; entropy: of the test codes; KL: the VAE's; measured: codec "
               f"payload).")
    return Table("descriptors", f"{res.ablation}: variants", caption, "variant",
                 ["model", *cols], ["model", *[header(m) for m in cols]], res.variants, cells,
                 dict(res.constant))


def failures_table(res: Resolved) -> Table:
    cols = ["status", "run_key", "superseded", "failure_reason"]
    rows = [str(r) for r in res.other["run_name"]]
    cells = [[Cell(str(r[c])) for c in cols] for _, r in res.other.iterrows()]
    caption = (f"{res.ablation}: runs not FINISHED (never averaged in); superseded: the same "
               f"run key also has a FINISHED run.")
    return Table("failures", f"{res.ablation}: runs left out", caption, "run", cols,
                 ["status", "run key", "superseded", "reason"], rows, cells)
