"""The generalization table, figure and verdict sentences from runs logged with the MLflow API:
gaps recomputed here with numpy, and an answer built to hold cross-corpus and to change on
unseen voices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as st

from analysis.figures.generalization import generalization_figure
from analysis.generalization import generalization_table, other_sets
from analysis.mlflow_source import load_mlflow
from analysis.select import Resolved, resolve
from analysis.verdict import verdict
from tests.analysis.test_verdict import SEEDS, log_runs

# complex beats its twin clearly in-domain and cross-corpus, not on unseen voices
SDR = {
    "complex": {"test": [8.0, 8.5, 7.6], "unseen": [5.0, 6.0, 4.0], "cross": [3.0, 3.5, 2.6]},
    "real-params": {"test": [6.0, 6.6, 5.5], "unseen": [5.5, 5.0, 4.6],
                    "cross": [1.0, 1.6, 0.5]},
}
OPUS = {"test": 6.5, "unseen": 5.9, "cross": 7.1}


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Resolved, Resolved]:
    root = tmp_path_factory.mktemp("general")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    runs = []
    for variant, sets in SDR.items():
        for seed in SEEDS:
            params = {"model.domain": "complex", "seed": seed, "model.bottleneck": "vq",
                      "model.twin": "none" if variant == "complex" else "params",
                      "vq.codebook_size": 256, "tracking.profile": "quick",
                      "data.root": "data/recorded", "eval.cross_root": "data/tts"}
            metrics = {f"{s}/si_sdr": v[seed] for s, v in sets.items()}
            metrics.update({"rate/nominal_bps": 8062.5, "data/synthetic_fraction": 0.0})
            runs.append((f"{variant}-vq256-s{seed}", params, metrics))
    log_runs(uri, "real_vs_complex", runs)
    log_runs(uri, "codec_baselines", [("opus-8", {
        "model.domain": "codec", "model.bottleneck": "opus", "codec.name": "opus",
        "codec.setting": "8", "data.root": "data/recorded", "eval.cross_root": "data/tts"},
        {**{f"{s}/si_sdr": v for s, v in OPUS.items()}, "rate/measured_bps": 8100.0})])
    runs_frame = load_mlflow(uri).runs
    return resolve(runs_frame, "real_vs_complex"), resolve(runs_frame, "codec_baselines")


def test_table_gaps_are_paired_differences(logged: tuple[Resolved, Resolved]) -> None:
    res, codecs = logged
    assert other_sets(res) == ["unseen", "cross"]
    table = generalization_table(res, codecs)
    assert table is not None
    assert table.columns == ["test/si_sdr", "unseen/si_sdr", "gap:unseen/si_sdr",
                             "cross/si_sdr", "gap:cross/si_sdr"]
    rows = dict(zip(table.rows, table.cells, strict=True))
    assert set(rows) == {"complex-vq256", "real-params-vq256", "codec opus-8"}
    for variant, sets in SDR.items():
        cells = dict(zip(table.columns, rows[f"{variant}-vq256"], strict=True))
        for s in ("unseen", "cross"):
            gap = np.subtract(sets[s], sets["test"])
            half = st.t.ppf(0.975, 2) * gap.std(ddof=1) / np.sqrt(3)
            assert cells[f"gap:{s}/si_sdr"].mean == pytest.approx(gap.mean())
            assert cells[f"gap:{s}/si_sdr"].half_width == pytest.approx(half)
            assert cells[f"gap:{s}/si_sdr"].n == 3
        assert cells["test/si_sdr"].mean == pytest.approx(np.mean(sets["test"]))
    opus = dict(zip(table.columns, rows["codec opus-8"], strict=True))
    assert opus["gap:cross/si_sdr"].mean == pytest.approx(OPUS["cross"] - OPUS["test"])
    assert "data/tts" in table.caption and "data/recorded" in table.caption


def test_verdict_says_where_the_answer_holds(logged: tuple[Resolved, Resolved]) -> None:
    res, codecs = logged
    v = verdict(res, codecs)
    assert v is not None and v.reference == "complex-vq256"
    assert [c.significant for c in v.comparisons] == [True]
    unseen, cross = v.generalization
    assert unseen.startswith("On unseen voices (SI-SDR), complex-vq256 reaches "
                             f"{np.mean(SDR['complex']['unseen']):.2f} dB")
    assert "the answer changes" in unseen and "no significant difference" in unseen
    assert "in-domain: reference better" in unseen
    assert cross.endswith("the answer is the same.") and "cross-corpus" in cross
    assert unseen in v.paragraph() and cross in v.paragraph()


def test_the_figure_is_drawn_and_absent_without_other_sets(logged: tuple[Resolved, Resolved],
                                                           tmp_path: Path) -> None:
    from PIL import Image

    res, codecs = logged
    [path] = generalization_figure(res, codecs, tmp_path / "g.png")
    with Image.open(path) as im:
        assert im.size[0] > 300 and len(np.unique(np.asarray(im.convert("L")))) > 10
    only_test = resolve(load_mlflow(_only_test(tmp_path)).runs, "x")
    assert generalization_figure(only_test, None, tmp_path / "none.png") == []
    assert generalization_table(only_test) is None


def _only_test(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'only.db'}"
    log_runs(uri, "x", [(f"a-s{s}", {"seed": s}, {"test/si_sdr": float(s)}) for s in SEEDS])
    return uri
