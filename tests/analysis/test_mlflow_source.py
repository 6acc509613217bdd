"""Loading runs logged directly with the MLflow API into the tidy frame."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.mlflow_source import load_mlflow, store_uri
from analysis.runs import META, cast_param
from analysis.select import all_ablations, resolve
from lab.tracking import TrackingUnavailableError
from tests.analysis.conftest import HandStore


def test_cast_param() -> None:
    assert [cast_param(s) for s in ("16", "-3", "1e-3", "0.5", "True", "false", "None", "stft",
                                    "0,1", "")] == [16, -3, 0.001, 0.5, True, False, None,
                                                    "stft", "0,1", ""]


def test_frame_has_the_documented_columns_and_types(hand_store: HandStore) -> None:
    runs = load_mlflow(hand_store.uri)
    frame = runs.runs
    assert list(frame.columns[:len(META)]) == list(META)
    assert len(frame) == 6 + 2 + 1 + 2  # finished, superseded, failed, codecs
    row = frame[frame["run_id"] == hand_store.run_ids["real-s2"]].iloc[0]
    assert row["params.seed"] == 2 and frame["params.seed"].dtype == "Int64"
    assert row["params.optim.lr"] == 0.001 and frame["params.optim.lr"].dtype == "float64"
    assert row["params.data.normalize"] and frame["params.data.normalize"].dtype == "boolean"
    assert frame["params.model.domain"].dtype == object
    assert row["params.model.domain"] == "real"
    assert row["metrics.test/si_sdr"] == pytest.approx(hand_store.values[("real", 2)]
                                                       ["test/si_sdr"])
    assert row["status"] == "FINISHED" and row["source"] == "mlflow"
    assert row["ablations"] == ("toy",)  # no ablation tags: the experiment
    assert row["git_commit"] == "abc123" and row["command"] == "python log_by_hand.py"
    assert isinstance(row["end_time"], pd.Timestamp)
    hist = runs.history[(runs.history["run_id"] == row["run_id"])
                        & (runs.history["key"] == "train/loss")]
    assert list(hist["step"]) == list(range(1, 11))
    only = load_mlflow(hand_store.uri, experiments=["codec_baselines"])
    assert set(only.runs["experiment"]) == {"codec_baselines"}


def test_resolution_latest_finished_wins_and_failed_are_listed(hand_store: HandStore) -> None:
    res = resolve(load_mlflow(hand_store.uri).runs, "toy")
    assert len(res.finished) == 6 and res.finished["run_key"].is_unique
    winner = res.finished[res.finished["run_key"] == "complex-s0"].iloc[0]
    assert winner["run_id"] == hand_store.run_ids["complex-s0"]
    assert winner["metrics.test/si_sdr"] > 0  # not the superseded -99
    # latest *finished* wins: this one started first and finished last
    late = res.finished[res.finished["run_key"] == "real-s1"].iloc[0]
    assert late["run_id"] == hand_store.run_ids["real-s1"]
    assert list(res.other["status"]) == ["FAILED"]
    assert not res.other["superseded"].iloc[0]
    assert res.varying == ["model.domain"]
    assert res.constant["vq.codebook_size"] == 16
    assert res.variants == ["complex", "real"]  # run names without -s<seed>, in start order
    assert sorted(res.finished["seed"]) == [0, 0, 1, 1, 2, 2]
    assert all_ablations(load_mlflow(hand_store.uri).runs) == ["codec_baselines", "toy"]


def test_missing_store_and_unreachable_server(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(FileNotFoundError, match="no tracking store"):
        store_uri(None, str(tmp_path))
    with pytest.raises(TrackingUnavailableError, match="cannot reach"):
        load_mlflow("http://127.0.0.1:9")
