"""A verdict per research question, generated from the ablation's own tracked numbers.

Each ablation page opens with :meth:`Verdict.paragraph`, and ``reports/index.html`` collects
them (:func:`analysis.report.index_page`). A verdict compares the ablation's reference variant
(:func:`reference`) with each other variant on the primary metric (SI-SDR): the effect is the
mean paired difference ``reference - other`` over seeds with its 95 % t-interval, the test the
paired t-test (:mod:`analysis.stats`), Holm-Bonferroni-corrected over the ablation's
comparisons; "no significant difference" when the corrected p >= alpha. Each variant is named
with what a reader needs to judge fairness (parameters for the real-vs-complex question,
bitrates for the rate questions). Caveats are stated when they apply: runs that had not
converged, a profile other than ``paper``, a synthetic corpus, fewer than three seeds. Where the
runs were also scored on unseen voices or another corpus, the verdict says whether its answer is
the same there (:mod:`analysis.generalization`). For the
bottleneck questions, the codec baselines nearest the reference's bitrate are quoted (not
tested: they are not seeded). Every number comes from the runs' logged metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from analysis import convergence
from analysis.catalog import RESULT_METRICS, bitrate, info
from analysis.describe import model_kind
from analysis.generalization import holds
from analysis.runs import METRIC, PARAM
from analysis.select import Resolved
from analysis.stats import CORRECTION, MIN_SEEDS, MeanCI, mean_ci, paired_difference
from analysis.tables import baseline_tests, paired, present, si, values

PRIMARY = "test/si_sdr"
# ablations whose variants' test splits are different corpora: their report is the
# generalization table, not a comparison of test columns
NO_VERDICT = ("cross_corpus",)


@dataclass(frozen=True)
class Question:
    text: str
    describe: str  # "params" or "rate": what names a variant in the sentence
    trend: bool = False  # list every variant's (rate, metric) in rate order


QUESTIONS = {
    "real_vs_complex": Question("Do complex-valued networks beat real-valued ones of equal "
                                "parameters (and equal compute)?", "params"),
    "vae_vs_vqvae": Question("Does a VQ-VAE beat a VAE (and a plain autoencoder) at equal "
                             "rate?", "rate"),
    "codebook_size": Question("How does codebook size trade bitrate against quality?", "rate",
                              trend=True),
    "seed_reproduction": Question("Does the seed's mel VQ-VAE reproduce, and does correcting "
                                  "its features help?", "params"),
}


@dataclass(frozen=True)
class Comparison:
    other: str
    effect: MeanCI  # reference - other, paired by seed
    p: float
    p_holm: float
    significant: bool


@dataclass
class Verdict:
    ablation: str
    question: str
    metric: str
    reference: str
    family: int  # tests in the Holm family (the results table's)
    names: dict[str, str]  # variant -> how the sentence names it
    reference_mean: MeanCI
    comparisons: list[Comparison] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)  # reference points, not tested
    tested: bool = True
    trend: list[str] = field(default_factory=list)  # "K=16: -0.13 dB at 4.03 kbit/s", ...
    generalization: list[str] = field(default_factory=list)  # the answer on unseen / cross sets

    def findings(self) -> str:
        """The reference's value and each comparison, e.g. ``On SI-SDR (3 seeds): complex, VQ
        K=256 (86.1k params) reaches 6.29 dB [5.80, 6.78]; vs real (parameter-matched twin), VQ
        K=256 (82.3k params): +0.53 dB [+0.10, +0.96], p = 0.04.``"""
        i = info(self.metric)
        unit = f" {i.unit}" if i.unit else ""
        d = i.digits
        ref = self.reference_mean
        better = " (lower is better)" if i.direction < 0 else ""
        lead = (f"On {i.label}{better} ({plural(ref.n, 'seed')}): {self.names[self.reference]} "
                f"reaches {ref.mean:.{d}f}{unit}")
        if math.isfinite(ref.half_width):
            lead += f" [{ref.low:.{d}f}, {ref.high:.{d}f}]"
        parts = []
        for c in self.comparisons:
            e = c.effect
            diff = f"{signed(e.mean, d)}{unit}"
            if math.isfinite(e.half_width):
                diff += f" [{signed(e.low, d)}, {signed(e.high, d)}]"
            if e.n != ref.n:
                diff += f", n = {e.n} paired seeds"
            vs = f"vs {self.names[c.other]}: "
            if not math.isfinite(c.p_holm):
                parts.append(vs + f"{diff} (not tested: fewer than {MIN_SEEDS} paired seeds)")
            elif c.significant:
                parts.append(vs + f"{diff}, {p_clause(c.p_holm)}")
            else:
                parts.append(vs + f"no significant difference ({diff}, {p_clause(c.p_holm)})")
        text = lead + ("; " + "; ".join(parts) if parts else "") + "."
        if self.trend:
            text += f" By bitrate (means over seeds): {', '.join(self.trend)}."
        return text

    def method(self) -> str:
        if not any(math.isfinite(c.p_holm) for c in self.comparisons):
            return ""
        return (f"Differences: {self.reference} minus the other, with unadjusted 95 % "
                f"t-intervals; p: paired t-tests over seeds, {CORRECTION}-adjusted over the "
                f"{plural(self.family, 'comparison')} with {self.reference} in its results "
                f"table.")

    def references(self) -> str:
        return ("Codec references (not tested): " + "; ".join(self.codecs) + ".") \
            if self.codecs else ""

    def caveat_text(self) -> str:
        return ("Caveats: " + "; ".join(self.caveats) + ".") if self.caveats else ""

    def paragraph(self) -> str:
        """The verdict as plain text: question, findings, method, codec references, caveats."""
        return " ".join(x for x in (self.question, self.findings(), self.method(),
                                    " ".join(self.generalization), self.references(),
                                    self.caveat_text()) if x)


def p_text(p: float) -> str:
    """``0.0496``, ``< 0.001``, ``1``: three significant digits, so that no p rounds onto
    alpha."""
    if not math.isfinite(p):
        return "-"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.3g}" if p < 1 else "1"


def p_clause(p: float) -> str:
    """``p = 0.0496`` or ``p < 0.001``."""
    text = p_text(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def signed(x: float, digits: int) -> str:
    """``+0.53``; a value that rounds to zero is ``0.00`` (never ``-0.00``)."""
    text = f"{x:+.{digits}f}"
    return text[1:] if float(text) == 0.0 else text


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _mean(res: Resolved, variant: str, metric: str) -> float:
    return mean_ci(values(res, variant, metric).tolist()).mean


def rate(res: Resolved, variant: str) -> tuple[float, str]:
    """The variant's bitrate (mean over seeds) and which (measured, KL or nominal)."""
    rows = res.finished[res.finished["variant"] == variant]
    found = [bitrate(r) for _, r in rows.iterrows()]
    kinds = {k for r, k in found if math.isfinite(r)}
    if not kinds:
        return math.nan, ""
    return mean_ci([r for r, _ in found]).mean, "/".join(sorted(kinds))


def reference(res: Resolved) -> str:
    """The variant the others are compared with: the complex VQ model at the default codebook
    size (K = 256) when there is one, else the complex VQ model, else the first variant."""
    f = res.finished
    if f.empty:
        return ""

    def where(mask: pd.Series) -> list[str]:
        return list(dict.fromkeys(f.loc[mask, "variant"]))

    domain = f.get(PARAM + "model.domain", pd.Series("", index=f.index)).astype(str)
    neck = f.get(PARAM + "model.bottleneck", pd.Series("", index=f.index)).astype(str)
    k = f.get(PARAM + "vq.codebook_size", pd.Series(math.nan, index=f.index))
    vq = (domain == "complex") & (neck == "vq")
    for mask in (vq & (k.astype(float) == 256), vq):
        found = where(mask)
        if found:
            return found[0]
    return res.variants[0]


def name(res: Resolved, variant: str, describe: str) -> str:
    """``complex, VQ K=256 (86.1k params)`` or ``... (8.06 kbit/s nominal)``."""
    kind = model_kind(res, variant).replace(", stft input", "").replace(", planar input", "")
    if describe == "params":
        p, flops = _mean(res, variant, "model/params"), _mean(res, variant,
                                                               "model/flops_per_second")
        sizes = [f"{si(p)} params"] if math.isfinite(p) else []
        sizes += [f"{si(flops)} FLOPs per second of audio"] if math.isfinite(flops) else []
        return f"{kind} ({', '.join(sizes)})" if sizes else kind
    r, which = rate(res, variant)
    if math.isfinite(r):
        return f"{kind} ({r / 1000:.2f} kbit/s {which})"
    return kind if "(AE)" in kind else f"{kind} (no rate limit)"


def caveats(res: Resolved) -> list[str]:
    out = []
    bad = convergence.not_converged_runs(res)
    n = int(convergence.converged(res.finished).notna().sum())
    if len(bad):
        out.append(f"{len(bad)} of {n} runs had not converged "
                   f"({convergence.MEANING}; {convergence.MARK} in the table)")
    profiles = set(res.finished.get("profile", pd.Series(dtype=object)).dropna().astype(str))
    short = sorted(p for p in profiles if p and p not in ("paper", "reference"))
    if short:
        out.append(f"{'/'.join(short)} profile (short training, small models)")
    if "reference" in profiles:
        out.append("reference profile (small models, trained to a validation plateau)")
    synth = res.finished.get(METRIC + "data/synthetic_fraction")
    if synth is not None and synth.notna().any() and float(synth.max()) > 0:
        out.append("synthetic corpus (speech engines, not recorded speech)")
    seeds = res.finished.groupby("variant")["seed"].nunique()
    if len(seeds) and int(seeds.min()) < MIN_SEEDS:
        out.append(f"fewer than {MIN_SEEDS} seeds in some variant: no test")
    if not res.paired:
        out.append("runs without a seed param: not paired, no test")
    return out


def codec_references(codecs: Resolved | None, around: float, metric: str,
                     count: int = 2) -> list[str]:
    """The ``count`` codec settings nearest ``around`` bit/s (log scale), with the metric and
    PESQ, e.g. ``opus-8 at 8.06 kbit/s: 6.58 dB, PESQ 3.18``."""
    if codecs is None or codecs.finished.empty or not math.isfinite(around):
        return []
    found = []
    for v in codecs.variants:
        r, _ = rate(codecs, v)
        if math.isfinite(r) and r > 0:
            found.append((abs(math.log(r / around)), r, v))
    i = info(metric)
    out = []
    for _, r, v in sorted(found)[:count]:
        m, pesq = _mean(codecs, v, metric), _mean(codecs, v, "test/pesq_wb")
        if not math.isfinite(m):
            continue
        text = f"{v} at {r / 1000:.2f} kbit/s: {m:.{i.digits}f} {i.unit}".rstrip()
        if math.isfinite(pesq):
            text += f", PESQ {pesq:.2f}"
        out.append(text)
    return out


def verdict(res: Resolved, codecs: Resolved | None = None, metric: str = PRIMARY,
            alpha: float = 0.05, ref: str | None = None, generalize: bool = True
            ) -> Verdict | None:
    """The ablation's verdict, or None when it has no finished runs with ``metric``; with
    ``generalize``, whether the answer holds on unseen voices and cross-corpus
    (:func:`analysis.generalization.holds`)."""
    if res.finished.empty or METRIC + metric not in res.finished \
            or not res.finished[METRIC + metric].notna().any() or res.ablation in NO_VERDICT:
        return None
    q = QUESTIONS.get(res.ablation, Question(f"{res.ablation}:", "params"))
    base = ref or reference(res)
    others = [v for v in res.variants if v != base]
    diffs = [paired_difference(*paired(values(res, base, metric), values(res, v, metric)))
             for v in others]
    family = list(dict.fromkeys([metric, *present(res, RESULT_METRICS)]))
    tests = baseline_tests(res, base, family)
    tested = any(math.isfinite(tests[(v, metric)][1]) for v in others)
    comps = [Comparison(v, d.effect, *tests[(v, metric)],
                        significant=tested and tests[(v, metric)][1] < alpha)
             for v, d in zip(others, diffs, strict=True)]
    names = {v: name(res, v, q.describe) for v in res.variants}
    refs = codec_references(codecs, rate(res, base)[0], metric) if q.describe == "rate" else []
    size = sum(math.isfinite(p) for p, _ in tests.values())
    found = Verdict(res.ablation, q.text, metric, base, size, names,
                    mean_ci(values(res, base, metric).tolist()), comps, caveats(res), refs,
                    tested, trend(res, metric) if q.trend else [])
    if generalize:
        found.generalization = holds(found, res, codecs)
    return found


def trend(res: Resolved, metric: str) -> list[str]:
    """Each variant with a bitrate, in rate order: ``K=16: -0.13 dB at 4.03 kbit/s``."""
    i = info(metric)
    found = []
    for v in res.variants:
        r, _ = rate(res, v)
        m = _mean(res, v, metric)
        if math.isfinite(r) and math.isfinite(m):
            label = model_kind(res, v).split(", ")[1] if ", " in model_kind(res, v) else v
            found.append((r, f"{label.replace('VQ ', '')}: {m:.{i.digits}f} {i.unit} at "
                             f"{r / 1000:.2f} kbit/s".replace("  ", " ")))
    return [text for _, text in sorted(found)]
