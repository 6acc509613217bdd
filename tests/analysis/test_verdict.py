"""Verdicts and corrected significance from runs logged by hand with the MLflow API.

The sentence's numbers are checked against values recomputed here from the logged metrics
(numpy, ``scipy.stats.ttest_rel``, ``statsmodels``' Holm); a null set (ten variants drawn from
one distribution, three seeds) gets no significance mark and every variant tied for best.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from analysis.mlflow_source import load_mlflow
from analysis.render import to_html
from analysis.select import Resolved, resolve
from analysis.tables import SIGNIFICANT, descriptor_table, results_table
from analysis.verdict import p_clause, p_text, signed, verdict

SEEDS = (0, 1, 2)


def log_runs(uri: str, experiment: str, runs: list[tuple[str, dict[str, object],
                                                         dict[str, float]]]) -> None:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment(experiment)
    for name, params, metrics in runs:
        tags = {"run_key": name, "profile": str(params.get("tracking.profile", ""))}
        run = client.create_run(exp, run_name=name, tags=tags)
        client.log_batch(run.info.run_id, metrics=[Metric(k, v, 0, 0) for k, v in
                                                    metrics.items()],
                         params=[Param(k, str(v)) for k, v in params.items()])
        client.set_terminated(run.info.run_id)


# --- real vs complex: a complex model and its twins, three seeds ------------------------------

SDR = {"complex": [6.1, 6.9, 5.8], "real-params": [5.2, 6.0, 5.6], "real-flops": [6.0, 6.5, 5.9]}
PARAMS = {"complex": 86_100.0, "real-params": 82_300.0, "real-flops": 61_000.0}
TWIN = {"complex": "none", "real-params": "params", "real-flops": "flops"}


@pytest.fixture(scope="module")
def twins_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("twins")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    runs = []
    for variant, sdr in SDR.items():
        for seed in SEEDS:
            params = {"model.domain": "complex", "model.twin": TWIN[variant], "seed": seed,
                      "model.bottleneck": "vq", "vq.codebook_size": 256,
                      "features.representation": "stft" if variant == "complex" else "planar",
                      "optim.steps": 240, "optim.batch_size": 8, "tracking.profile": "quick",
                      "data.root": "data/commands"}
            runs.append((f"{variant}-vq256-s{seed}", params, {
                "test/si_sdr": sdr[seed], "model/params": PARAMS[variant],
                "rate/nominal_bps": 8062.5, "data/synthetic_fraction": 1.0,
                "data/train_clips": 2400.0, "convergence/val_rel_change": -0.05}))
    log_runs(uri, "real_vs_complex", runs)
    return uri


@pytest.fixture(scope="module")
def twins(twins_uri: str) -> Resolved:
    return resolve(load_mlflow(twins_uri).runs, "real_vs_complex")


def test_verdict_numbers_match_recomputed_ones(twins: Resolved) -> None:
    v = verdict(twins)
    assert v is not None and v.reference == "complex-vq256"
    others = ["real-params", "real-flops"]
    a = np.array(SDR["complex"])
    raw = [float(st.ttest_rel(a, np.array(SDR[o])).pvalue) for o in others]
    _, corrected, _, _ = multipletests(raw, method="holm")
    text = v.paragraph()
    assert f"reaches {a.mean():.2f} dB" in text
    assert "86.1k params" in text and "82.3k params" in text
    for o, p in zip(others, corrected, strict=True):
        d = a - np.array(SDR[o])
        low, high = st.t.interval(0.95, 2, loc=d.mean(), scale=st.sem(d))
        interval = f"{d.mean():+.2f} dB [{low:+.2f}, {high:+.2f}]"
        assert interval in text, (interval, text)
        assert p_clause(float(p)) in text
        found = next(c for c in v.comparisons if c.other.startswith(o))
        assert found.p_holm == pytest.approx(float(p)) and found.significant == (p < 0.05)
    assert "3 seeds" in text
    assert "not converged" in text and "quick profile" in text and "synthetic corpus" in text


def test_captions_name_the_trained_model(twins: Resolved) -> None:
    for table in (results_table(twins), descriptor_table(twins)):
        assert "model.domain=complex" not in table.caption
        assert "model.domain=complex" not in to_html(table)  # collapsible config included
    desc = descriptor_table(twins)
    kinds = {row: cells[0].text for row, cells in zip(desc.rows, desc.cells, strict=True)}
    assert kinds["real-params-vq256"].startswith("real (parameter-matched twin)")
    assert kinds["real-flops-vq256"].startswith("real (FLOP-matched twin)")
    assert kinds["complex-vq256"].startswith("complex, VQ K=256")
    caption = results_table(twins).caption
    assert "quick profile" in caption and "240 steps of batch 8" in caption
    assert "2400 training clips, synthetic speech" in caption


# --- a null set: ten variants from one distribution -------------------------------------------

@pytest.fixture(scope="module")
def null_set(tmp_path_factory: pytest.TempPathFactory) -> Resolved:
    root = tmp_path_factory.mktemp("null")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    rng = np.random.default_rng(3)
    runs = []
    for i in range(10):
        for seed in SEEDS:
            runs.append((f"v{i}-s{seed}", {"variant.id": i, "seed": seed,
                                          "model.domain": "complex"},
                         {"test/si_sdr": float(rng.normal(5.0, 1.0)),
                          "test/pesq_wb": float(rng.normal(2.0, 0.2)),
                          "test/stoi": float(rng.normal(0.8, 0.05)),
                          "test/mel_distance": float(rng.normal(1.0, 0.1))}))
    log_runs(uri, "null", runs)
    return resolve(load_mlflow(uri).runs, "null")


def test_a_null_set_gets_no_significance_mark(null_set: Resolved, tmp_path: Path) -> None:
    table = results_table(null_set)
    assert len(table.rows) == 10 and len(table.columns) == 4
    raw = [c.p for row in table.cells for c in row if np.isfinite(c.p)]
    assert len(raw) == 9 * 4
    assert min(raw) < 0.05  # uncorrected, some test would have claimed a difference
    assert not any(SIGNIFICANT in c.text for row in table.cells for c in row)
    assert "Holm-Bonferroni" in table.caption
    for j in range(len(table.columns)):  # the best is tied with others: never bold alone
        assert sum(row[j].bold for row in table.cells) >= 2
    v = verdict(null_set)
    assert v is not None and len(v.comparisons) == 9
    assert not any(c.significant for c in v.comparisons)
    assert v.paragraph().count("no significant difference") == 9


def test_one_bold_cell_only_when_significantly_better(twins: Resolved) -> None:
    table = results_table(twins)
    j = table.columns.index("test/si_sdr")
    bold = [row for row, cells in zip(table.rows, table.cells, strict=True) if cells[j].bold]
    a = np.array(SDR["complex"])  # the best mean; tested against each other variant
    raw = [float(st.ttest_rel(a, np.array(SDR[o])).pvalue) for o in ("real-params",
                                                                      "real-flops")]
    reject, _, _, _ = multipletests(raw, method="holm")
    expected = {"complex-vq256"} | {f"{o}-vq256" for o, r in
                                    zip(("real-params", "real-flops"), reject, strict=True)
                                    if not r}
    assert set(bold) == expected


def test_pages_open_with_the_verdict_and_the_index_collects_them(twins: Resolved, twins_uri: str,
                                                                  tmp_path: Path) -> None:
    from analysis.report import main

    out = tmp_path / "reports"
    assert main(["--tracking-uri", twins_uri, "--out", str(out), "--probe-clips", "0"]) == 0
    v = verdict(twins)
    assert v is not None
    page = (out / "real_vs_complex" / "index.html").read_text()
    body = page.split("<body>", 1)[1]
    assert body.index('class="verdict"') < body.index("<section")  # the page opens with it
    index = (out / "index.html").read_text()
    assert "Verdicts" in index and html.escape(v.findings()) in index
    assert html.escape(v.question) in index
    # the table's baseline is the verdict's reference: its cells carry no p
    frame = pd.read_csv(out / "real_vs_complex" / "tables" / "results.csv")
    ref_rows = frame[frame["variant"] == v.reference]
    assert ref_rows["p_vs_baseline"].isna().all()
    assert main(["--tracking-uri", twins_uri, "--out", str(out), "--baseline",
                 "real_vs_complex=nope"]) == 2


def test_codebook_verdict_compares_with_k256_and_lists_the_trend(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("codebooks")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    sdr = {16: [0.1, -0.4, 0.2], 256: [6.0, 6.5, 6.3], 4096: [8.7, 8.9, 8.8]}
    runs = [(f"complex-vq{k}-s{seed}",
             {"model.domain": "complex", "model.bottleneck": "vq", "vq.codebook_size": k,
              "seed": seed},
             {"test/si_sdr": sdr[k][seed], "rate/nominal_bps": 1008.0 * np.log2(k)})
            for k in (4096, 16, 256) for seed in SEEDS]
    log_runs(uri, "codebook_size", runs)
    res = resolve(load_mlflow(uri).runs, "codebook_size")
    v = verdict(res)
    assert v is not None and v.reference == "complex-vq256"
    means = {k: float(np.mean(x)) for k, x in sdr.items()}
    expected = [f"K={k}: {means[k]:.2f} dB at {1008.0 * np.log2(k) / 1000:.2f} kbit/s"
                for k in (16, 256, 4096)]
    assert v.trend == expected
    assert ", ".join(expected) in v.paragraph()


def test_p_values_never_round_onto_alpha_and_zero_has_no_sign() -> None:
    assert p_text(0.0496) == "0.0496" and p_text(0.0504) == "0.0504"
    assert p_clause(0.0004) == "p < 0.001" and p_clause(0.25) == "p = 0.25"
    assert p_text(1.0) == "1" and signed(-0.001, 2) == "0.00" and signed(0.53, 2) == "+0.53"


def test_no_bold_claim_when_the_shared_seeds_contradict_the_means(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A (5 seeds, mean 14) has the best mean, but on the 3 seeds it shares with B it is
    significantly worse: neither may be bold alone."""
    root = tmp_path_factory.mktemp("unequal")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    a, b = [10.0, 10.0, 10.0, 20.0, 20.0], [11.0, 11.1, 11.25]
    runs = [(f"a-s{s}", {"variant.id": "a", "seed": s}, {"test/si_sdr": x})
            for s, x in enumerate(a)]
    runs += [(f"b-s{s}", {"variant.id": "b", "seed": s}, {"test/si_sdr": x})
             for s, x in enumerate(b)]
    log_runs(uri, "unequal", runs)
    res = resolve(load_mlflow(uri).runs, "unequal")
    assert float(st.ttest_rel(a[:3], b).pvalue) < 0.05  # B better on the shared seeds
    table = results_table(res)
    assert not any(row[0].bold for row in table.cells)
    v = verdict(res)
    assert v is not None and "n = 3 paired seeds" in v.paragraph()
