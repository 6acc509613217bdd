"""``python -m analysis.report``: tracked runs -> ``reports/<ablation>/index.html`` and
``reports/index.html``.

For each ablation found in the store (or named with ``--ablation``): its verdict, a paragraph
generated from its numbers (:mod:`analysis.verdict`; ``reports/index.html`` collects them in one
table), the results and descriptor
tables (also as Markdown, LaTeX, CSV and HTML files beside the page), the runs left out (not
FINISHED), the generalization table and figure (in-domain, unseen voices, cross-corpus:
:mod:`analysis.generalization`), the runs that had not converged (:mod:`analysis.convergence`),
the rate-distortion
figure with the codec baselines on the same axes, training curves, codebook figures, the
spectrograms of one test clip per variant, a listening grid of the logged test clips (original,
each variant and each codec baseline, :mod:`analysis.listening`), the latents' PCA and linear
probe, and the exact commands and git commits that produced the runs. Every number comes from
a tracked run (MLflow, or W&B offline folders with ``--wandb-dir``), or, on the listening grid,
from the audio the runs logged or the report coded (:mod:`analysis.listening` says how).
"""

from __future__ import annotations

import argparse
import html
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from analysis import convergence, listening
from analysis.artifacts import Artifacts
from analysis.figures.codebooks import codebook_training, codebook_usage
from analysis.figures.curves import training_curves
from analysis.figures.generalization import generalization_figure
from analysis.figures.latents import latent_pca
from analysis.figures.rate_distortion import rate_distortion
from analysis.figures.spectrograms import example_files, spectrogram_grid
from analysis.generalization import generalization_table
from analysis.html_page import Page, esc, figure, links, simple_table
from analysis.mlflow_source import load_mlflow, store_uri
from analysis.probe import Latents, ProbeResult, encode, linear_probe
from analysis.render import to_html, write_all
from analysis.runs import Runs
from analysis.select import Resolved, all_ablations, resolve
from analysis.tables import descriptor_table, failures_table, results_table
from analysis.verdict import Verdict, verdict
from lab.cli import plain
from lab.progress import progress
from lab.tracking import TrackingUnavailableError

CODECS = "codec_baselines"
ORDER = ("real_vs_complex", "vae_vs_vqvae", "codebook_size", "cross_corpus", "seed_reproduction",
         CODECS)
log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m analysis.report", description=plain(__doc__),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracking-uri", default=None,
                    help="MLflow store or server (default: the embedded store in --runs-dir)")
    ap.add_argument("--runs-dir", default="runs", help="where lab keeps its store (default runs)")
    ap.add_argument("--wandb-dir", action="append", default=[], metavar="DIR",
                    help="also read W&B offline run folders under DIR (repeatable)")
    ap.add_argument("--out", default="reports", help="output folder (default reports)")
    ap.add_argument("--ablation", action="append", default=None, metavar="NAME",
                    help="only this ablation (repeatable; default: every one in the store)")
    ap.add_argument("--baseline", action="append", default=[], metavar="ABLATION=VARIANT",
                    help="the variant significance tests compare against (default: the "
                    "verdict's reference, the complex VQ model at K=256 where there is one)")
    ap.add_argument("--probe-clips", type=int, default=160,
                    help="clips per split for the latent probe (0: no latent figures)")
    return ap


def load(args: argparse.Namespace) -> tuple[Runs, str]:
    """MLflow's runs (unless only ``--wandb-dir`` is given and there is no MLflow store), plus
    W&B offline runs that MLflow does not have (lab's W&B mirrors of MLflow runs count once)."""
    parts: list[Runs] = []
    uri = ""
    try:
        uri = store_uri(args.tracking_uri, args.runs_dir)
    except FileNotFoundError:
        if not args.wandb_dir:
            raise
    if uri:
        parts.append(load_mlflow(uri))
    if args.wandb_dir:
        from analysis.wandb_source import load_wandb_offline

        wb = load_wandb_offline([Path(d) for d in args.wandb_dir])
        known = set(parts[0].runs["run_id"]) if parts else set()
        keep = ~wb.runs["run_id"].isin(known)
        ids = set(wb.runs["run_id"][keep])
        parts.append(Runs(wb.runs[keep], wb.history[wb.history["run_id"].isin(ids)]))
    return Runs.concat(parts), uri


def _provenance(res: Resolved) -> str:
    cols = ["command", "git_commit", "git_dirty", "profile"]
    f = res.finished
    if f.empty:
        return "<p>No finished runs.</p>"
    groups = f.groupby(cols, dropna=False).size().reset_index(name="runs")
    rows = [[f"<code>{esc(r['command'] or '(not recorded)')}</code>",
             f"<code>{esc(r['git_commit'])}</code>", esc(r["git_dirty"]), esc(r["profile"]),
             esc(r["runs"])] for _, r in groups.iterrows()]
    return simple_table(["command", "git commit", "uncommitted changes", "profile", "runs"],
                        rows, raw=True)


def _convergence(res: Resolved) -> str:
    """The runs that had not converged (run, variant, seed, change), or a line saying all did;
    empty when no run of the ablation measured it (codecs, runs logged before lab did)."""
    if not convergence.measured(res):
        return ""
    bad = convergence.not_converged_runs(res)
    n = int(convergence.converged(res.finished).notna().sum())
    if bad.empty:
        return (f"<p>All {n} runs with <code>{esc(convergence.CHANGE_METRIC)}</code> converged "
                f"(not converged: {esc(convergence.MEANING)}).</p>")
    rows = [[r["run_name"], r["variant"], str(r["seed"]),
             "-" if pd.isna(r["change"]) else f"{100 * r['change']:+.2f} %"]
            for _, r in bad.iterrows()]
    return (f"<p>{len(bad)} of {n} runs with <code>{esc(convergence.CHANGE_METRIC)}</code> had "
            f"not converged: {esc(convergence.MEANING)} (the change of the validation loss "
            f"from the start of that window to the end, relative to its value at the start). "
            f"Their "
            f"variants carry {convergence.MARK} in the results table and "
            f"\u201c{esc(convergence.SUFFIX.strip())}\u201d in the figure legends.</p>"
            + simple_table(["run", "variant", "seed", "val. loss change"], rows))


ProbeCache = dict[str, tuple[Latents, ProbeResult] | None]


def _latents(res: Resolved, artifacts: Artifacts, clips: int, cache: ProbeCache
             ) -> dict[str, tuple[Latents, ProbeResult]]:
    """Each variant's (lowest seed's) test latents and probe; ``cache`` by run id, as runs are
    shared by ablations."""
    out: dict[str, tuple[Latents, ProbeResult]] = {}
    for variant, rows in progress(list(res.finished.groupby("variant", sort=False)),
                                  desc=f"{res.ablation} latents", unit="variant", leave=False):
        run = rows.sort_values("seed").iloc[0]
        rid = str(run["run_id"])
        if rid not in cache:
            cache[rid] = None
            try:
                val = encode(run, artifacts, "validation", clips)
                test = encode(run, artifacts, "testing", clips)
            except (OSError, ValueError) as err:  # corpus moved or gone: skip, say why
                log.warning("no latents for %s (%s): %s", variant, rid, err)
                continue
            if val is not None and test is not None and len(set(val.labels)) > 1:
                cache[rid] = (test, linear_probe(val, test))
        found = cache[rid]
        if found is not None:
            out[str(variant)] = found
    return out


def ablation_page(res: Resolved, runs: Runs, codecs: Resolved | None, artifacts: Artifacts,
                  folder: Path, baseline: str | None, probe_clips: int,
                  probes: ProbeCache | None = None, found: Verdict | None = None) -> Page:
    """The ablation's page; ``found``: its verdict (the page opens with it, and its reference
    is the results table's baseline unless ``baseline`` names another)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = Page(f"{res.ablation}", verdict_html(found) +
                f"<p>{len(res.finished)} finished runs in {len(res.variants)} variants; "
                f"{len(res.other)} runs left out (not FINISHED). <a href=\"../index.html\">"
                f"All ablations</a>.</p>")
    base = baseline or (found.reference if found is not None else None)
    tables = [results_table(res, baseline=base), descriptor_table(res)]
    general = generalization_table(res, codecs)
    if general is not None:
        tables.insert(1, general)
    if not res.other.empty:
        tables.append(failures_table(res))
    for t in tables:
        files = write_all(t, folder / "tables")
        page.add(t.title, to_html(t) + "<p>As files: " + links(
            [(_file_label(p), f"tables/{p.name}") for p in files]) + "</p>")
    converged = _convergence(res)
    if converged:
        page.add("Convergence", converged)
    figs = folder / "figures"
    examples = [example_files(res, artifacts, 0)]  # the spectrogram figure
    made: list[tuple[list[Path], str]] = [
        (rate_distortion([res, *([codecs] if codecs is not None and codecs is not res else [])],
                         figs / "rate_distortion.png"),
         "Rate-distortion: each variant's mean over seeds with its 95% t-interval (error "
         "bars); codec baselines on the same axes; bitrate in kbit/s (measured for codecs, KL "
         "for VAEs, nominal for VQ); each point labelled with its codebook size K, VAE \u03b2 "
         "or codec setting (Opus: kbit/s, Codec2: mode); points of different lines at one "
         "bitrate shifted slightly sideways; dashed lines: models without a bitrate (plain "
         "autoencoders), at their mean"
         + ("; hollow markers: variants that had not converged." if convergence.marked(res)
            else ".")),
        (generalization_figure(res, codecs, figs / "generalization.png"),
         "Generalization: each variant's and codec's quality on the in-domain test split, on "
         "unseen voices and cross-corpus: mean over seeds (markers), lowest to highest seed "
         "(bars); codecs (right of the dotted line) score the same clips."),
        (training_curves(res, runs.history, figs / "training_curves.png"),
         "Training and validation loss: mean over seeds; band: min\u2013max over seeds (from "
         "the lowest to the highest seed's value at each step); log or symmetric-log axes "
         "where the values span many decades. A variant logged at one step only is a marker; "
         "a loss logged at fewer than two steps is not drawn."),
        (codebook_usage(res, artifacts, figs / "codebook_usage.png"),
         "Code usage over the test clips: each code's share, codes sorted by frequency, "
         "averaged over seeds rank by rank; the legend gives the codes used of K."),
        (codebook_training(res, runs.history, figs / "codebook_training.png"),
         "Codebook perplexity and dead fraction over training: mean over seeds; band: "
         "min\u2013max over seeds (so perplexity stays \u2265 1 and the dead fraction in "
         "[0, 1])."),
        (spectrogram_grid(examples[0], figs / "spectrograms.png"),
         "The same test clip: original and each variant's reconstruction (lowest seed)."),
    ]
    if probe_clips > 0:
        lat = _latents(res, artifacts, probe_clips, {} if probes is None else probes)
        kind = next(iter(lat.values()))[0].kind if lat else "word"
        made.append((latent_pca(lat, figs / "latents.png"),
                     f"PCA of time-averaged test-clip latents by {kind}; the linear probe is "
                     "fitted on validation clips and scored on test clips (other speakers for "
                     "a word, other recordings of the same voices for a voice)."))
        if lat:
            rows = [[v, f"{p.accuracy:.3f}", f"{p.chance:.3f}", str(p.n_train), str(p.n_test)]
                    for v, (_, p) in lat.items()]
            pd.DataFrame(rows, columns=["variant", "accuracy", "chance", "n_train", "n_test"]
                         ).to_csv(folder / "tables" / "probe.csv", index=False)
            page.add(f"Linear probe ({'spoken word' if kind == 'word' else 'voice'} from the "
                     "latents)",
                     simple_table(["variant", "accuracy", "chance", "train clips",
                                   "test clips"], rows))
    body = "".join(figure(f"figures/{p.name}", caption) for paths, caption in made
                   for p in paths)
    page.add("Figures", body or "<p>No figures (no finished runs).</p>")
    page.add("Listen", listening.section(res, codecs, artifacts, folder))
    page.add("How these runs were made", _provenance(res))
    (folder / "index.html").write_text(page.render(), encoding="utf-8")
    return page


def slug(name: str) -> str:
    """A folder name for an ablation: letters, digits, ``_``, ``-`` and ``.`` kept, anything else
    (``/``, ``..``, ``#``, ...) replaced, so a page never lands outside the output folder."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"
    return safe


def _file_label(path: Path) -> str:
    """``md``, ``csv``, ... and ``config (csv)`` for a table's constant config."""
    return "config (csv)" if path.stem.endswith("_config") else path.suffix[1:]


def verdict_html(found: Verdict | None) -> str:
    """The page's opening paragraph (empty without a verdict)."""
    if found is None:
        return ""
    return f"<p class=\"verdict\"><b>Verdict.</b> {esc(found.paragraph())}</p>"


def _link(ablation: str) -> str:
    return (f"<a href=\"{html.escape(quote(slug(ablation)))}/index.html\">"
            f"{html.escape(ablation)}</a>")


def index_page(out: Path, summary: list[tuple[str, int, int, int]],
               verdicts: Sequence[Verdict] = ()) -> Path:
    rows = [[_link(a), str(v), str(f), str(o)] for a, v, f, o in summary]
    page = Page("Reports", "<p>One page per ablation, regenerated from the tracked runs by "
                "<code>python -m analysis.report</code>. Every number below is computed from "
                "the runs' logged metrics.</p>")
    if verdicts:
        page.add("Verdicts", simple_table(
            ["ablation", "question", "finding", "test", "caveats"],
            [[_link(v.ablation), esc(v.question), esc(v.findings()), esc(v.method()),
              esc("; ".join(v.caveats) or "-")] for v in verdicts], raw=True
        ).replace("<table>", "<table class=\"text\">", 1))
    page.add("Ablations", simple_table(["ablation", "variants", "finished runs",
                                        "runs left out"], rows, raw=True))
    path = out / "index.html"
    path.write_text(page.render(), encoding="utf-8")
    return path


def build(args: argparse.Namespace) -> Path:
    runs, uri = load(args)
    out = Path(args.out)
    artifacts = Artifacts(uri, out / ".artifact-cache")
    names = args.ablation or sorted(all_ablations(runs.runs),
                                    key=lambda a: (ORDER.index(a) if a in ORDER else 99, a))
    baselines = dict(b.split("=", 1) for b in args.baseline)
    codecs = resolve(runs.runs, CODECS) if CODECS in all_ablations(runs.runs) else None
    summary = []
    verdicts = []
    probes: ProbeCache = {}
    for name in names:
        res = codecs if name == CODECS and codecs is not None else resolve(runs.runs, name)
        if res.finished.empty and res.other.empty:
            raise ValueError(f"no runs of ablation {name!r} in {uri}")
        print(f"{name}: {len(res.finished)} finished runs, {len(res.variants)} variants, "
              f"{len(res.other)} left out", file=sys.stderr)
        base = baselines.get(name)
        if base is not None and base not in res.variants:
            raise ValueError(f"--baseline {name}={base}: not a variant of {name} "
                             f"({', '.join(res.variants)})")
        found = None if res is codecs else verdict(res, codecs, ref=base)
        ablation_page(res, runs, codecs, artifacts, out / slug(name), base,
                      args.probe_clips, probes, found)
        summary.append((name, len(res.variants), len(res.finished), len(res.other)))
        verdicts += [found] if found is not None else []
    return index_page(out, summary, verdicts)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    bad = [b for b in args.baseline if "=" not in b]
    if bad:
        print(f"error: --baseline takes ABLATION=VARIANT, got {bad}", file=sys.stderr)
        return 2
    try:
        path = build(args)
    except (FileNotFoundError, ValueError, TrackingUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report: {path.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
