"""Loading W&B offline runs into the tidy frame: runs written by wandb itself, a run mirrored by
lab.tracking (it must load as its MLflow twin does), and folders that cannot be read."""

from __future__ import annotations

import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis.mlflow_source import load_mlflow
from analysis.runs import META, Runs
from analysis.wandb_source import flatten, load_wandb_api, load_wandb_offline, number
from lab.tracking import Tracker, TrackingUnavailableError


def write_run(root: Path, run_id: str, config: dict[str, Any],
              points: dict[int, dict[str, Any]], summary: dict[str, Any] | None = None,
              exit_code: int = 0, name: str | None = None, tags: list[str] | None = None) -> Path:
    """One offline run of project ``toy`` logged with wandb itself; its run folder."""
    import wandb

    run = wandb.init(project="toy", id=run_id, name=name, dir=str(root), config=config,
                     tags=tags, mode="offline")
    try:
        for step in sorted(points):
            run.log(points[step], step=step)
        run.summary.update(summary or {})
    finally:
        run.finish(exit_code=exit_code)
    (folder,) = (root / "wandb").glob(f"offline-run-*-{run_id}")
    return folder


def row_of(runs: Runs, run_id: str) -> pd.Series:
    rows = runs.runs[runs.runs["run_id"] == run_id]
    assert len(rows) == 1, runs.runs[["run_id", "run_name"]]
    return rows.iloc[0]


def points_of(runs: Runs, run_id: str, key: str) -> list[tuple[int, float]]:
    h = runs.history
    h = h[(h["run_id"] == run_id) & (h["key"] == key)].sort_values("step")
    return list(zip(h["step"], h["value"], strict=True))


def test_flatten_and_numbers() -> None:
    assert flatten({"_wandb": {"t": 1}, "a": {"value": 1, "desc": "d"}, "b": {"c": {"d": 2}},
                    "e": {}, "f": [1, 2]}) == {"a": 1, "b.c.d": 2, "e": {}, "f": [1, 2]}
    assert [number(v) for v in (1, 0.5, True, "x", None, [1])] == [1.0, 0.5, None, None, None,
                                                                     None]
    assert math.isnan(number("NaN") or 0.0) and number("-Infinity") == -math.inf


@pytest.mark.usefixtures("wandb_offline")
def test_runs_written_by_wandb(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    loss = {s: 1.0 / s for s in range(1, 7)}
    points: dict[int, dict[str, Any]] = {s: {"train/loss": v, "note": "text"}
                                         for s, v in loss.items()}
    for s in (3, 6):
        points[s]["val/loss"] = 0.1 * s
    points[7] = {"test/si_sdr": 9.5, "train/codebook": {"perplexity": 12.0}}
    write_run(root, "wbfin01", name="complex-s0", tags=["ablation.width", "ablation.domain", "x"],
              config={"run_key": "complex-s0", "seed": 0, "optim.lr": 1e-3,
                      "model": {"domain": "complex", "width": 4}, "data.normalize": True,
                      "vq.codebook_size": "16", "features.kind": {"value": "stft",
                                                                  "desc": "front end"},
                      "data.words": "yes,no", "eval.examples": None},
              points=points, summary={"test/pesq_wb": 2.5, "train/loss": 0.01})
    failed = write_run(root, "wbfail01", name="real-s1", exit_code=1,
                       config={"seed": 1, "optim.lr": 0.01, "model": {"domain": "real"}},
                       points={1: {"train/loss": 2.0}, 2: {"train/loss": math.nan}})

    runs = load_wandb_offline([root], history_keys=None)  # runs/, not runs/wandb: searched
    frame = runs.runs
    assert list(frame.columns[:len(META)]) == list(META) and len(frame) == 2
    ok, bad = row_of(runs, "wbfin01"), row_of(runs, "wbfail01")
    # meta
    assert (ok["source"], ok["experiment"], ok["run_name"], ok["status"]) == \
        ("wandb", "toy", "complex-s0", "FINISHED")
    assert (bad["run_name"], bad["status"]) == ("real-s1", "FAILED")
    assert bad["failure_reason"] == "W&B exit code 1" and ok["failure_reason"] == ""
    assert ok["run_key"] == "complex-s0" and bad["run_key"] == "wbfail01"  # no key: the id
    assert ok["ablations"] == ("domain", "width") and bad["ablations"] == ("toy",)
    assert ok["start_time"] <= ok["end_time"] <= pd.Timestamp.now(tz="UTC")
    assert str(ok["start_time"].tz) == "UTC"
    assert ok["artifact_uri"].startswith("file://") and ok["artifact_uri"].endswith("/files")
    # params: cast like MLflow's strings
    assert ok["params.seed"] == 0 and bad["params.seed"] == 1
    assert frame["params.seed"].dtype == "Int64"
    assert ok["params.optim.lr"] == 0.001 and frame["params.optim.lr"].dtype == "float64"
    assert ok["params.data.normalize"] and frame["params.data.normalize"].dtype == "boolean"
    assert ok["params.vq.codebook_size"] == 16  # a string in the config, cast
    assert frame["params.vq.codebook_size"].dtype == "Int64"
    assert ok["params.model.domain"] == "complex" and bad["params.model.domain"] == "real"
    assert frame["params.model.domain"].dtype == object
    assert ok["params.model.width"] == 4
    assert ok["params.features.kind"] == "stft"  # {"value": ...} unwrapped
    assert ok["params.data.words"] == "yes,no" and ok["params.run_key"] == "complex-s0"
    assert pd.isna(ok["params.eval.examples"])
    assert not any(c.startswith("params._") for c in frame.columns)
    # metrics: last by step, the summary wins, W&B's own keys and text left out
    assert ok["metrics.val/loss"] == pytest.approx(0.6)
    assert ok["metrics.test/si_sdr"] == 9.5 and ok["metrics.test/pesq_wb"] == 2.5
    assert ok["metrics.train/codebook.perplexity"] == 12.0
    assert ok["metrics.train/loss"] == 0.01  # set in the summary after step 6
    assert math.isnan(bad["metrics.train/loss"])
    assert not [c for c in frame.columns if c.startswith("metrics._") or c == "metrics.note"]
    # history: every point of every key, NaN kept
    assert points_of(runs, "wbfin01", "train/loss") == sorted(loss.items())
    val = points_of(runs, "wbfin01", "val/loss")
    assert [s for s, _ in val] == [3, 6] and [v for _, v in val] == pytest.approx([0.3, 0.6])
    assert points_of(runs, "wbfail01", "train/loss")[0] == (1, 2.0)
    assert math.isnan(points_of(runs, "wbfail01", "train/loss")[1][1])
    # one run folder; the default history keys
    only = load_wandb_offline(failed)
    assert list(only.runs["run_id"]) == ["wbfail01"]
    assert set(only.history["key"]) == {"train/loss"} and len(only.history) == 2


@pytest.mark.usefixtures("wandb_offline")
def test_killed_and_unreadable_folders(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = write_run(tmp_path / "runs", "wbok01", config={"seed": 3},
                     points={s: {"train/loss": 1.0 / s} for s in range(1, 5)})
    data = (good / "run-wbok01.wandb").read_bytes()
    folders = tmp_path / "folders"
    # a killed run: its log ends early, without the exit record
    killed = folders / good.name
    shutil.copytree(good, killed)
    (killed / "run-wbok01.wandb").write_bytes(data[:len(data) // 2])
    # corrupt: not a W&B log at all
    bad = folders / "offline-run-20260101_000000-wbbad1"
    bad.mkdir()
    (bad / "run-wbbad1.wandb").write_bytes(b"not a transaction log, just bytes")
    # killed before W&B wrote a record (the header only), and never resumed
    empty = folders / "offline-run-20260101_000001-wbempty"
    empty.mkdir()
    (empty / "run-wbempty.wandb").write_bytes(data[:7])
    nolog = folders / "offline-run-20260101_000002-wbnolog"
    nolog.mkdir()
    with pytest.raises(ValueError, match=r"wbbad1.*skip_bad=True"):
        load_wandb_offline([bad])
    with pytest.raises(ValueError, match=r"wbempty.*no run record"):
        load_wandb_offline([empty])
    with pytest.raises(ValueError, match=r"wbnolog.* no \.wandb file"):
        load_wandb_offline([nolog])
    # skip_bad: a warning for each, and the rest is read
    with caplog.at_level(logging.WARNING, logger="analysis.wandb_source"):
        runs = load_wandb_offline([folders], skip_bad=True)
    assert all(n in caplog.text for n in ("wbbad1", "wbempty", "wbnolog"))
    row = row_of(runs, "wbok01")
    assert len(runs.runs) == 1 and row["status"] == "RUNNING" and pd.isna(row["end_time"])
    assert row["params.seed"] == 3 and row["run_name"] == "wbok01"  # no name: the id
    # nothing there
    (tmp_path / "nothing" / "notes").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no W&B runs"):
        load_wandb_offline([tmp_path / "nothing"])
    with pytest.raises(FileNotFoundError, match="no such W&B folder"):
        load_wandb_offline([tmp_path / "missing"])


@pytest.mark.usefixtures("wandb_offline")
def test_lab_mirrored_run_loads_as_its_mlflow_twin(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    params = {"run_key": "k-twin", "seed": 2, "model.width": 4, "optim.lr": 0.001,
              "data.normalize": True, "data.words": "yes,no", "vq.beta": 0.25,
              "tracking.profile": "smoke", "tracking.uri": "http://u:s3cret@h:1"}
    first = Tracker("", runs, "wb-twin", wandb="offline")
    run_id = first.start("twin-s2", first.run_tags("k-twin", "smoke", {"git_commit": "abc"}),
                         params)
    for s in range(1, 5):
        first.log({"train/loss": 1.0 / s}, s)
        if s == 2:
            assert first.flush()
    # the process dies after step 2 was stored; another resumes the run from a checkpoint (a
    # second later: W&B names run folders to the second, and the test wants two folders)
    time.sleep(1.1)
    second = Tracker("", runs, "wb-twin", wandb="offline")
    second.resume(run_id, "twin-s2", params)
    for s in range(3, 7):
        second.log({"train/loss": 10.0 * s, "train/lr": 0.1 * s}, s)
    second.log({"val/loss": 0.5, "test/si_sdr": 7.25}, 6)
    second.finish("FINISHED")
    folders = sorted((runs / "wandb").glob(f"offline-run-*-{run_id}"))
    assert len(folders) == 2  # the resumed run wrote a second folder
    # and one more a killed process left with only the log's header
    killed = runs / "wandb" / f"offline-run-20000101_000000-{run_id}"
    killed.mkdir()
    log_file = folders[0] / f"run-{run_id}.wandb"
    (killed / log_file.name).write_bytes(log_file.read_bytes()[:7])

    mlflow_runs = load_mlflow(second.uri, history_keys=None)
    wandb_runs = load_wandb_offline([runs], history_keys=None)
    m, w = row_of(mlflow_runs, run_id), row_of(wandb_runs, run_id)
    for col in ("run_id", "experiment", "run_name", "status", "run_key", "ablations",
                "profile"):
        assert w[col] == m[col], col
    assert m["ablations"] == ("wb-twin",)
    assert (m["source"], w["source"]) == ("mlflow", "wandb")
    assert mlflow_runs.params() == wandb_runs.params()
    assert mlflow_runs.metrics() == wandb_runs.metrics()
    columns = [c for c in mlflow_runs.runs.columns if c.startswith(("params.", "metrics."))]
    assert w[columns].to_dict() == m[columns].to_dict()
    assert w["params.tracking.uri"] == "http://***@h:1"
    assert w["metrics.train/loss"] == 60.0 and w["params.data.normalize"]
    key = ["run_id", "key", "step"]
    hist_m = mlflow_runs.history.sort_values(key).reset_index(drop=True)
    hist_w = wandb_runs.history.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(hist_w, hist_m)
    assert points_of(wandb_runs, run_id, "train/loss") == [
        (1, 1.0), (2, 0.5), (3, 30.0), (4, 40.0), (5, 50.0), (6, 60.0)]
    # one frame from both sources
    both = Runs.concat([mlflow_runs, wandb_runs])
    assert sorted(both.runs["source"]) == ["mlflow", "wandb"]


@pytest.mark.usefixtures("wandb_offline")
def test_api_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    with pytest.raises(TrackingUnavailableError, match="WANDB_API_KEY"):
        load_wandb_api("entity/project")
