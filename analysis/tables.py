"""Paper tables from resolved runs (:class:`analysis.select.Resolved`).

* :func:`results_table`: rows are variants, columns metrics; each cell ``mean +- half-width (n)``
  of the t-based 95 % interval over seeds (:mod:`analysis.stats`); the best mean per column in
  bold (each metric's direction: :mod:`analysis.catalog`); ``†`` where a paired t-test over
  seeds against the baseline variant gives p < 0.05. The caption names the test and the params
  that are the same in every run. Every cell of a variant in which any seed's run had not
  converged ends in ``‡`` (:mod:`analysis.convergence`), with a footnote in the caption.
* :func:`descriptor_table`: parameters, FLOPs per second of audio and bitrates per variant.
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
from analysis.runs import METRIC
from analysis.select import Resolved
from analysis.stats import TEST_NAME, mean_ci, paired_t

SIGNIFICANT = "†"  # a dagger: an asterisk would close Markdown's bold


@dataclass
class Cell:
    text: str
    bold: bool = False
    mean: float = math.nan
    half_width: float = math.nan
    n: int = 0
    p: float = math.nan
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

    def frame(self) -> pd.DataFrame:
        """The numbers behind the cells, one row per (row, column): for CSV."""
        out: list[dict[str, Any]] = []
        for row, cells in zip(self.rows, self.cells, strict=True):
            for col, cell in zip(self.columns, cells, strict=True):
                out.append({self.row_header: row, "column": col, "text": cell.text,
                            "mean": cell.mean, "ci95_half_width": cell.half_width, "n": cell.n,
                            "p_vs_baseline": cell.p, "best": cell.bold,
                            "not_converged": cell.not_converged})
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


def _values(res: Resolved, variant: str, metric: str) -> pd.Series:
    rows = res.finished[res.finished["variant"] == variant]
    col = METRIC + metric
    if col not in rows:
        return pd.Series(dtype=float)
    return pd.Series(rows[col].astype(float).to_numpy(), index=rows["seed"].to_numpy())


def present(res: Resolved, metrics: Sequence[str]) -> list[str]:
    f = res.finished
    return [m for m in metrics if METRIC + m in f and f[METRIC + m].notna().any()]


def _mark_best(cells: list[list[Cell]], direction: int, col: int) -> None:
    means = [row[col].mean for row in cells]
    finite = [m for m in means if math.isfinite(m)]
    if direction == 0 or len(finite) < 2:
        return
    best = max(finite) if direction > 0 else min(finite)
    for row in cells:
        row[col].bold = row[col].mean == best


def constants_text(res: Resolved) -> str:
    if not res.constant:
        return ""
    items = ", ".join(f"{k}={v}" for k, v in sorted(res.constant.items()))
    return f" Same in every run: {items}."


def results_table(res: Resolved, metrics: Sequence[str] = RESULT_METRICS,
                  baseline: str | None = None, level: float = 0.95,
                  alpha: float = 0.05) -> Table:
    cols = present(res, metrics)
    variants = res.variants
    base = baseline if baseline is not None else (variants[0] if variants else "")
    if variants and base not in variants:
        raise ValueError(f"baseline {base!r} is not a variant of {res.ablation}: {variants}")
    flagged = convergence.marked(res)
    cells: list[list[Cell]] = []
    for v in variants:
        row = []
        for m in cols:
            vals = _values(res, v, m)
            ci = mean_ci(vals.tolist(), level)
            digits = info(m).digits
            text = fmt(ci.mean, digits)
            if math.isfinite(ci.half_width):
                text += f" ± {fmt(ci.half_width, digits)}"
            p = math.nan
            if v != base and res.paired:
                b = _values(res, base, m)
                seeds = sorted(set(vals.index) & set(b.index))
                p = paired_t(vals[seeds].tolist(), b[seeds].tolist()).p
                if math.isfinite(p) and p < alpha:
                    text += SIGNIFICANT
            mark = convergence.MARK if v in flagged and ci.n else ""
            row.append(Cell(f"{text} ({ci.n}){mark}" if ci.n else "-", mean=ci.mean,
                            half_width=ci.half_width, n=ci.n, p=p, not_converged=bool(mark)))
        cells.append(row)
    for j, m in enumerate(cols):
        _mark_best(cells, info(m).direction, j)
    caption = (f"{res.ablation}: mean ± half-width of the {level:.0%} t-interval over seeds, "
               f"n seeds in parentheses; best per column in bold (↑ higher, ↓ lower is "
               f"better); {SIGNIFICANT} p < {alpha:g} against {base} ({TEST_NAME}, paired by "
               f"seed{'' if res.paired else '; not done: the runs have no seed param'})."
               f"{convergence.note(res)}{constants_text(res)}")
    return Table("results", f"{res.ablation}: reconstruction quality", caption, "variant", cols,
                 [header(m) for m in cols], variants, cells)


def descriptor_table(res: Resolved, metrics: Sequence[str] = DESCRIPTORS) -> Table:
    cols = present(res, metrics)
    cells = []
    for v in res.variants:
        row = []
        for m in cols:
            ci = mean_ci(_values(res, v, m).tolist())
            row.append(Cell(fmt(ci.mean, info(m).digits), mean=ci.mean,
                            half_width=ci.half_width, n=ci.n))
        cells.append(row)
    caption = (f"{res.ablation}: what each variant is (means over seeds): real parameters, "
               f"FLOPs per second of audio, bitrates (nominal: latent vectors/s x log2 K; "
               f"entropy: of the test codes; KL: the VAE's; measured: codec payload)."
               f"{constants_text(res)}")
    return Table("descriptors", f"{res.ablation}: variants", caption, "variant", cols,
                 [header(m) for m in cols], res.variants, cells)


def failures_table(res: Resolved) -> Table:
    cols = ["status", "run_key", "superseded", "failure_reason"]
    rows = [str(r) for r in res.other["run_name"]]
    cells = [[Cell(str(r[c])) for c in cols] for _, r in res.other.iterrows()]
    caption = (f"{res.ablation}: runs not FINISHED (never averaged in); superseded: the same "
               f"run key also has a FINISHED run.")
    return Table("failures", f"{res.ablation}: runs left out", caption, "run", cols,
                 ["status", "run key", "superseded", "reason"], rows, cells)
