"""Runs that had not converged, logged by hand with the MLflow API: marked in the results table
(every format), listed on the report page, labelled in the figure legends; runs without the
metric (codec baselines, the older hand store) never marked."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analysis import convergence
from analysis.figures.curves import labels
from analysis.figures.rate_distortion import points, series_labels
from analysis.mlflow_source import load_mlflow
from analysis.render import to_html, to_latex, to_markdown, write_all
from analysis.report import main
from analysis.select import Resolved, resolve
from analysis.tables import results_table
from tests.analysis.conftest import HandStore

CAPTION = ("‡ not converged: validation loss still fell by more than 1 % over the last fifth of "
           "training in 1 of 3 seeds (complex).")
CHANGES = {("complex", 0): -0.001, ("complex", 1): -0.05, ("complex", 2): 0.002,
           ("real", 0): -0.001, ("real", 1): -0.001, ("real", 2): -0.001}


@dataclass
class ConvStore:
    uri: str
    conv: Resolved
    codecs: Resolved


@pytest.fixture(scope="module")
def conv_store(tmp_path_factory: pytest.TempPathFactory) -> ConvStore:
    """Experiment ``conv``: variants ``complex`` and ``real`` x seeds 0-2, each run with
    ``convergence/val_rel_change`` (complex seed 1: -0.05, not converged; the others within
    1 %); experiment ``codec_baselines``: two Opus runs without it."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("conv-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)

    def log(exp: str, name: str, params: dict[str, object], metrics: dict[str, float],
            steps: int = 0) -> None:
        rid = client.create_run(exp, run_name=name, tags={"run_key": name}).info.run_id
        hist = [Metric(k, 1.0 + 4.0 / s, 0, s) for s in range(10, steps + 1, 10)
                for k in ("train/loss", "val/loss")]
        client.log_batch(rid, metrics=[*hist, *(Metric(k, v, 0, steps)
                                                for k, v in metrics.items())],
                         params=[Param(k, str(v)) for k, v in params.items()])
        client.set_terminated(rid, "FINISHED")

    conv = client.create_experiment("conv", artifact_location=str(root / "artifacts" / "conv"))
    for (domain, seed), change in CHANGES.items():
        log(conv, f"{domain}-s{seed}",
            {"model.domain": domain, "model.bottleneck": "vq", "seed": seed},
            {"test/si_sdr": 5.0 + seed, "test/mel_distance": 0.4, "rate/nominal_bps": 2000.0,
             "convergence/val_rel_change": change,
             "convergence/converged": float(change >= -0.01)}, steps=50)
    codecs = client.create_experiment("codec_baselines",
                                      artifact_location=str(root / "artifacts" / "codecs"))
    for rate in (6000.0, 12000.0):
        log(codecs, f"opus-{rate:g}", {"model.domain": "codec", "codec.name": "opus",
                                       "model.bottleneck": "opus", "codec.setting": rate},
            {"test/si_sdr": rate / 1000, "test/mel_distance": 0.3, "rate/measured_bps": rate})
    runs = load_mlflow(uri).runs
    return ConvStore(uri, resolve(runs, "conv"), resolve(runs, "codec_baselines"))


def test_table_marks_every_cell_of_the_variant(conv_store: ConvStore, tmp_path: Path) -> None:
    table = results_table(conv_store.conv)
    assert table.rows == ["complex", "real"]
    assert all(c.text.endswith("(3)‡") and c.not_converged for c in table.cells[0])
    assert not any("‡" in c.text or c.not_converged for c in table.cells[1])  # -0.001: fine
    assert CAPTION in table.caption and "1 of 3 seeds" in table.caption
    md, tex, html = to_markdown(table), to_latex(table), to_html(table)
    assert md.count("‡") == len(table.columns) + 1  # the cells and the caption
    assert html.count("‡") == len(table.columns) + 1
    assert "‡" not in tex and tex.count(r"\textsuperscript{\ddag}") == len(table.columns) + 1
    assert r"1 \% over the last fifth" in tex
    write_all(table, tmp_path)
    frame = pd.read_csv(tmp_path / "results.csv", encoding="utf-8")
    complex_rows = frame[frame["variant"] == "complex"]
    assert complex_rows["not_converged"].all() and complex_rows["text"].str.endswith("‡").all()
    assert not frame.loc[frame["variant"] == "real", "not_converged"].any()


def test_not_converged_runs_and_counts(conv_store: ConvStore) -> None:
    bad = convergence.not_converged_runs(conv_store.conv)
    assert bad[["run_name", "variant", "seed"]].values.tolist() == [["complex-s1", "complex", 1]]
    assert bad["change"].tolist() == [pytest.approx(-0.05)]
    assert convergence.counts(conv_store.conv) == {"complex": (1, 3)}
    assert convergence.measured(conv_store.conv)


def test_runs_without_the_metric_are_never_marked(conv_store: ConvStore,
                                                  hand_store: HandStore) -> None:
    old = resolve(load_mlflow(hand_store.uri).runs, "toy")  # logged before the metric existed
    for res in (old, conv_store.codecs):
        assert not convergence.measured(res) and convergence.marked(res) == set()
        table = results_table(res)
        assert "‡" not in table.caption and "converged" not in table.caption
        assert not any("‡" in c.text for row in table.cells for c in row)
        assert labels(res) == {v: v for v in res.variants}


def test_flag_is_read_where_the_change_is_missing() -> None:
    frame = pd.DataFrame({"metrics.convergence/val_rel_change": [-0.05, math.nan, math.nan,
                                                                 -0.001],
                          "metrics.convergence/converged": [math.nan, 0.0, math.nan, 1.0]})
    assert convergence.converged(frame).tolist() == [False, False, None, True]
    assert convergence.converged(pd.DataFrame(index=range(2))).tolist() == [None, None]


def test_figure_legend_labels(conv_store: ConvStore) -> None:
    assert labels(conv_store.conv) == {"complex": "complex (not converged)", "real": "real"}
    data = points([conv_store.conv, conv_store.codecs])
    assert data.set_index("variant")["not_converged"].to_dict() == {
        "complex": True, "real": False, "opus-6000": False, "opus-12000": False}
    names = series_labels(data)
    assert names["complex (vq)"] == "complex (vq) (not converged)"
    assert names["real (vq)"] == "real (vq)" and names["opus"] == "opus"


def test_report_page_lists_the_runs(conv_store: ConvStore, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["--tracking-uri", conv_store.uri, "--out", str(out), "--probe-clips", "0"]) == 0
    text = (out / "conv" / "index.html").read_text(encoding="utf-8")
    section = text.partition("<h2>Convergence</h2>")[2].partition("</section>")[0]
    assert "1 of 6 runs" in section and "complex-s1" in section and "-5.00 %" in section
    assert "complex-s0" not in section and "real-s" not in section
    assert "hollow markers" in text
    assert CAPTION in (out / "conv" / "tables" / "results.md").read_text(encoding="utf-8")
    for png in ("training_curves.png", "rate_distortion.png"):
        assert (out / "conv" / "figures" / png).stat().st_size > 1000
    codec_page = (out / "codec_baselines" / "index.html").read_text(encoding="utf-8")
    assert "<h2>Convergence</h2>" not in codec_page and "hollow" not in codec_page


def test_tables_and_figures_do_not_import_torch() -> None:
    code = ("import sys, analysis.convergence, analysis.tables, analysis.figures.curves, "
            "analysis.figures.rate_distortion; assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
