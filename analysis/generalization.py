"""How each answer generalizes: in-domain test, unseen voices, another corpus, whole prompts.

Runs log their quality on up to four sets (:mod:`lab.eval_sets`): ``test/*`` (the corpus's test
split), ``unseen/*`` (its voices never used in training or validation), ``cross/*``
(``eval.cross_root``'s test split, e.g. TTS speech for a model trained on recorded speech) and
``prompt/*`` (whole prompts of the test split, each one item through chunked overlap-add).

* :func:`generalization_table`: per variant (and per codec setting, on the same clips) the
  metric on each set, and the **gap** of each other set to the in-domain test: the paired
  difference per seed (set minus test), mean and 95 % t-interval over seeds.
* :func:`holds`: for a verdict (:mod:`analysis.verdict`), whether its answer is the same on the
  other sets: each comparison's outcome (reference better, worse, no significant difference,
  untested) on ``unseen/<metric>``, ``cross/<metric>`` and ``prompt/<metric>``, with the same
  Holm family as the results table, against its outcome in-domain.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.catalog import SETS, header, info
from analysis.runs import METRIC, PARAM
from analysis.select import Resolved
from analysis.stats import mean_ci
from analysis.tables import Cell, Table, fmt, paired, present, values

if TYPE_CHECKING:
    from analysis.verdict import Comparison, Verdict

BASES = ("si_sdr", "pesq_wb")
OTHER_SETS = ("unseen", "cross", "prompt")


def other_sets(res: Resolved, base: str = "si_sdr") -> list[str]:
    """The sets besides ``test`` some run of ``res`` was scored on."""
    return [s for s in OTHER_SETS if present(res, [f"{s}/{base}"])]


def _cell(xs: list[float], digits: int, signed: bool = False) -> Cell:
    ci = mean_ci(xs)
    if not ci.n:
        return Cell("-")
    text = f"{ci.mean:+.{digits}f}" if signed else fmt(ci.mean, digits)
    if math.isfinite(ci.half_width):
        text += f" ± {fmt(ci.half_width, digits)}"
    return Cell(f"{text} ({ci.n})", mean=ci.mean, half_width=ci.half_width, n=ci.n)


def _where(res: Resolved, key: str) -> str:
    col = res.finished.get(PARAM + key, pd.Series(dtype=object)).dropna().astype(str)
    found = sorted({v for v in col if v})
    return ", ".join(found)


def _label(res: Resolved, variant: str) -> str:
    """The variant, with the corpus it trained on when the ablation's variants differ in it
    (``cross_corpus``: ``... (trained on tts)``)."""
    col = PARAM + "data.root"
    f = res.finished
    if col not in f or f[col].astype(str).nunique() < 2:
        return variant
    roots = sorted({Path(str(r)).name for r in f.loc[f["variant"] == variant, col]})
    return f"{variant} (trained on {', '.join(roots)})"


def generalization_table(res: Resolved, codecs: Resolved | None = None) -> Table | None:
    """The table of the module docstring; None when no run was scored beyond ``test``."""
    sets = other_sets(res)
    if not sets:
        return None
    cols: list[str] = []
    headers: list[str] = []
    for b in BASES:
        if not present(res, [f"test/{b}"]):
            continue
        cols.append(f"test/{b}")
        headers.append(f"{header(f'test/{b}')} in-domain")
        for s in sets:
            cols += [f"{s}/{b}", f"gap:{s}/{b}"]
            headers += [header(f"{s}/{b}"), f"{info(f'test/{b}').label} gap, {SETS[s]}"]
    groups: list[tuple[Resolved, str, str]] = [(res, v, _label(res, v)) for v in res.variants]
    if codecs is not None and codecs is not res:
        groups += [(codecs, v, f"codec {v}") for v in codecs.variants]
    rows, cells = [], []
    for r, v, label in groups:
        row = []
        for c in cols:
            gap, _, m = c.partition(":") if c.startswith("gap:") else ("", "", c)
            digits = info(m).digits
            if gap:
                base = "test/" + m.partition("/")[2]
                there, here = paired(values(r, v, m), values(r, v, base))
                row.append(_cell([x - y for x, y in zip(there, here, strict=True)], digits,
                                 True))
            else:
                row.append(_cell(values(r, v, m).dropna().tolist(), digits))
        rows.append(label)
        cells.append(row)
    cross = _where(res, "eval.cross_root") or "not scored"
    caption = (f"{res.ablation}: quality in-domain (the test split of {_where(res, 'data.root')}"
               f"), on its unseen voices (held out of training and validation whole) and "
               f"cross-corpus (the test split of {cross}); whole prompts: the test split's "
               f"recordings joined back from their clips, each one item (chunked overlap-add); "
               f"gap: the paired difference per "
               f"seed, set minus in-domain (negative: worse away from the training data). Mean "
               f"± half-width of the 95 % t-interval over seeds, seeds in parentheses; codec "
               f"rows score the same clips (deterministic: one run each).")
    return Table("generalization", f"{res.ablation}: in-domain, unseen voices, cross-corpus, "
                 f"whole prompts",
                 caption, "variant", cols, headers, rows, cells)


def outcome(c: Comparison, metric: str) -> str:
    """``reference better``, ``reference worse``, ``no significant difference``, ``untested``."""
    if not math.isfinite(c.p_holm):
        return "untested"
    if not c.significant:
        return "no significant difference"
    return "reference better" if info(metric).direction * c.effect.mean > 0 else (
        "reference worse")


def holds(found: Verdict, res: Resolved, codecs: Resolved | None) -> list[str]:
    """One sentence per other set: the same answer, or what changes (module docstring)."""
    from analysis.verdict import p_clause, signed, verdict

    base = found.metric.partition("/")[2]
    out = []
    for s in other_sets(res, base):
        metric = f"{s}/{base}"
        if METRIC + metric not in res.finished:
            continue
        there = verdict(res, codecs, metric=metric, ref=found.reference, generalize=False)
        if there is None:
            continue
        here_by = {c.other: c for c in found.comparisons}
        changes = []
        for c in there.comparisons:
            a, b = outcome(here_by[c.other], found.metric), outcome(c, metric)
            if a != b:
                d = info(metric).digits
                diff = f"{signed(c.effect.mean, d)} {info(metric).unit}".rstrip()
                changes.append(f"vs {found.names[c.other]}: {b} ({diff}, "
                               f"{p_clause(c.p_holm) if math.isfinite(c.p_holm) else 'no test'}"
                               f"; in-domain: {a})")
        ref = there.reference_mean
        lead = (f"On {SETS[s]} ({info(found.metric).label}), {found.reference} reaches "
                f"{ref.mean:.{info(metric).digits}f} {info(metric).unit}".rstrip())
        out.append(lead + (": the answer is the same." if not changes else
                           ": the answer changes: " + "; ".join(changes) + "."))
    return out
