"""Resolution, variants and seeds on frames built directly (every source builds the same frame)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.figures.rate_distortion import rate_distortion
from analysis.report import slug
from analysis.runs import Runs, run_row, timestamp
from analysis.select import resolve
from analysis.tables import results_table


def frame(runs: list[tuple[str, str, dict[str, Any], dict[str, float], int]]) -> pd.DataFrame:
    """Rows from ``(run_id, run_key, params, metrics, end_ms)``, all FINISHED in ``abl``."""
    rows = [run_row({"run_id": rid, "source": "mlflow", "experiment": "abl", "run_name": "",
                     "status": "FINISHED", "start_time": timestamp(end - 10),
                     "end_time": timestamp(end), "run_key": key, "ablations": ("abl",)},
                    {k: str(v) for k, v in params.items()}, metrics)
            for rid, key, params, metrics, end in runs]
    return Runs.build(rows).runs


def test_one_run_per_variant_and_seed_the_latest_finished() -> None:
    runs = frame([("a", "k1", {"lr": 0.1, "seed": 0}, {"test/si_sdr": 1.0}, 100),
                  ("b", "k2", {"lr": 0.1, "seed": 0}, {"test/si_sdr": 2.0}, 200),  # same seed
                  ("c", "k3", {"lr": 0.1, "seed": 1}, {"test/si_sdr": 3.0}, 300),
                  ("d", "k4", {"lr": 0.01, "seed": 0}, {"test/si_sdr": 5.0}, 400),
                  ("e", "k5", {"lr": 0.01, "seed": 1}, {"test/si_sdr": 6.0}, 500)])
    res = resolve(runs, "abl")
    assert sorted(res.finished["run_id"]) == ["b", "c", "d", "e"]
    assert list(res.other["run_id"]) == ["a"] and bool(res.other["superseded"].iloc[0])
    table = results_table(res)
    assert [c[0].n for c in table.cells] == [2, 2]  # seeds, not runs


def test_runs_without_a_seed_are_replicates_never_paired() -> None:
    runs = frame([(x, x, {"lr": lr}, {"test/si_sdr": v}, 100 * i) for i, (x, lr, v) in
                  enumerate([("a", 0.1, 1.0), ("b", 0.1, 2.0), ("c", 0.1, 4.0),
                             ("d", 0.01, 5.0), ("e", 0.01, 7.0)])])
    res = resolve(runs, "abl")
    assert not res.paired and len(res.finished) == 5
    table = results_table(res)
    assert [c[0].n for c in table.cells] == [3, 2]
    assert pd.isna(table.cells[1][0].p) and "no seed param" in table.caption


def test_labels_with_commas_in_values() -> None:
    runs = frame([("a", "a", {"layers": "[1, 2]", "seed": 0}, {"test/si_sdr": 1.0}, 100),
                  ("b", "b", {"layers": "[3, 4]", "seed": 0}, {"test/si_sdr": 2.0}, 200)])
    assert resolve(runs, "abl").variants == ["layers=[1, 2]", "layers=[3, 4]"]


def test_rate_distortion_without_quality_metrics_draws_nothing(tmp_path: Path) -> None:
    runs = frame([("a", "a", {"seed": 0}, {"rate/nominal_bps": 100.0}, 100)])
    assert rate_distortion([resolve(runs, "abl")], tmp_path / "rd.png") == []


def test_ablation_folders_stay_inside_the_output() -> None:
    assert slug("real_vs_complex") == "real_vs_complex"
    assert "/" not in slug("../../etc") and not slug("../../etc").startswith(".")
    assert slug("javascript:alert(1)//") == "javascript_alert_1___"


def test_codec_runs_are_ordered_by_codec_and_rate_whatever_their_start() -> None:
    settings = [("c2", "codec2", 1600.0, 100), ("o24", "opus", 24000.0, 200),
                ("o6", "opus", 6000.0, 300), ("c3", "codec2", 3200.0, 400)]
    runs = frame([(rid, rid, {"model.domain": "codec", "codec.name": name,
                              "codec.setting": rid}, {"test/si_sdr": 1.0,
                                                      "rate/nominal_bps": rate}, end)
                  for rid, name, rate, end in settings])
    assert list(resolve(runs, "abl").finished["run_id"]) == ["o6", "o24", "c2", "c3"]
