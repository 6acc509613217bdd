"""Tracking against real stores: the embedded sqlite store, a real MLflow server on loopback
(stopped and restarted on the same store for the spool), and W&B offline run files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from lab.tracking import Tracker, TrackingUnavailableError, default_uri, main, redact, replay
from tests.lab.conftest import free_port
from tests.mlflow_server import MlflowServer


def history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    """``(step, value)`` of every value of ``key``, in step order."""
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedded store (runs dir) for the module; each test logs to its own experiment."""
    return tmp_path_factory.mktemp("runs")


# -- redaction -------------------------------------------------------------------------------------
def test_redact_removes_credentials_only() -> None:
    assert redact("http://user:pw@host") == "http://***@host"
    assert redact("https://token@mlflow.example.com:5000/x") == "https://***@mlflow.example.com:5000/x"
    assert redact("see http://a:b@h1/x and https://c:d@h2") == "see http://***@h1/x and https://***@h2"
    for plain in ("http://127.0.0.1:5000", "sqlite:////abs/runs/mlflow.db", "a@b.c", "none"):
        assert redact(plain) == plain


# -- embedded store --------------------------------------------------------------------------------
def test_batched_metrics_params_and_tags_read_back(store: Path) -> None:
    tracker = Tracker("", store, "batched")
    assert tracker.uri == default_uri(store) == f"sqlite:///{store.resolve() / 'mlflow.db'}"
    secret_uri = "http://user:s3cret@mlflow.example.com:5000"
    run_id = tracker.start("tiny-s0", tags={"run_key": "k-batched", "where": secret_uri},
                           params={"run_key": "k-batched", "tracking.uri": secret_uri,
                                   "optim.lr": 0.001, "data.words": "yes,no"})
    client = MlflowClient(tracking_uri=tracker.uri)
    loss = {s: 1.0 / s for s in range(1, 6)}
    for s, v in loss.items():
        tracker.log({"train/loss": v, "train/lr": 0.1 * s}, s)
    tracker.log({"val/loss": 0.25}, 4)
    assert history(client, run_id, "train/loss") == []  # buffered until flushed
    assert tracker.flush()
    assert history(client, run_id, "train/loss") == sorted(loss.items())
    assert history(client, run_id, "train/lr") == [(s, 0.1 * s) for s in range(1, 6)]
    assert history(client, run_id, "val/loss") == [(4, 0.25)]
    # a step the run already has (or an earlier one) is dropped
    tracker.log({"train/loss": 99.0}, 5)
    tracker.log({"train/loss": 98.0}, 2)
    # more values than one batch holds (1000): all arrive, once
    for s in range(6, 1506):
        tracker.log({"train/loss": float(s)}, s)
    assert tracker.flush()
    got = history(client, run_id, "train/loss")
    assert got == sorted(loss.items()) + [(s, float(s)) for s in range(6, 1506)]

    run = client.get_run(run_id)
    assert run.info.run_name == "tiny-s0" and run.info.status == "RUNNING"
    assert run.data.params["run_key"] == "k-batched"
    assert run.data.params["optim.lr"] == "0.001"  # params come back as strings
    assert run.data.params["tracking.uri"] == "http://***@mlflow.example.com:5000"
    assert run.data.tags["where"] == "http://***@mlflow.example.com:5000"
    assert "s3cret" not in json.dumps([run.data.params, run.data.tags])
    assert not tracker.spool.exists()
    tracker.finish("FINISHED")
    assert client.get_run(run_id).info.status == "FINISHED"


def test_resume_drops_steps_already_logged(store: Path) -> None:
    first = Tracker("", store, "resume")
    run_id = first.start("r", {"run_key": "k-resume"}, {"run_key": "k-resume"})
    for s in range(1, 5):
        first.log({"train/loss": float(s)}, s)
    assert first.flush()
    # the process dies; a new one resumes the run and recomputes steps 3 and 4
    second = Tracker("", store, "resume")
    assert second.find("k-resume") == (run_id, "RUNNING")
    second.resume(run_id, "r", {"run_key": "k-resume"})
    for s in range(3, 7):
        second.log({"train/loss": 10.0 * s}, s)
    second.log({"val/loss": 0.5}, 6)  # a metric the run did not have yet
    second.finish("FINISHED")
    client = MlflowClient(tracking_uri=default_uri(store))
    assert history(client, run_id, "train/loss") == [
        (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0), (5, 50.0), (6, 60.0)]
    assert history(client, run_id, "val/loss") == [(6, 0.5)]
    assert second.find("k-resume") == (run_id, "FINISHED")
    assert second.find("k-unknown") is None
    # a FINISHED run is shared by every experiment (ablations share runs) and can be linked
    other = Tracker("", store, "another-experiment")
    assert other.find("k-resume") == (run_id, "FINISHED")
    assert other.finished("k-resume") == run_id  # and tags it as part of this ablation
    assert client.get_run(run_id).data.tags["ablation.another-experiment"] == "true"
    # an unfinished run belongs to its own experiment only
    other.start("s2", {"run_key": "k-open"}, {})
    assert Tracker("", store, "third").find("k-open") is None


def test_failed_run_has_its_reason(store: Path) -> None:
    tracker = Tracker("", store, "failed")
    run_id = tracker.start("f", {"run_key": "k-failed"}, {})
    tracker.log({"train/loss": 1.0}, 1)
    tracker.finish("FAILED", "NonFiniteError: loss is nan at step 2")
    run = MlflowClient(tracking_uri=tracker.uri).get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["failure_reason"] == "NonFiniteError: loss is nan at step 2"
    assert history(MlflowClient(tracking_uri=tracker.uri), run_id, "train/loss") == [(1, 1.0)]


@pytest.mark.faults
def test_unreachable_server_is_refused_before_anything_starts(tmp_path: Path) -> None:
    port = free_port()
    runs = tmp_path / "runs"
    with pytest.raises(TrackingUnavailableError, match="cannot reach the MLflow server") as err:
        Tracker(f"http://user:pw@127.0.0.1:{port}", runs, "x")
    assert f"http://***@127.0.0.1:{port}" in str(err.value)
    assert "pw" not in str(err.value)
    assert not runs.exists()


def test_resumed_run_keeps_an_earlier_spool(store: Path) -> None:
    first = Tracker("", store, "spool-kept")
    run_id = first.start("s", {"run_key": "k-spool-kept"}, {})
    first.log({"m": 1.0}, 1)
    assert first.flush()
    # the store goes away for this process: a real client of a port nothing listens on
    first.client = MlflowClient(tracking_uri=f"http://127.0.0.1:{free_port()}")
    first.log({"m": 2.0}, 2)
    assert not first.flush()
    spool = first.spool
    assert spool.is_file()
    # the process dies; a rerun resumes the run from a checkpoint after step 2
    second = Tracker("", store, "spool-kept")
    second.resume(run_id, "s", {})
    second.log({"m": 3.0}, 3)
    assert second.flush()
    got = history(second.client, run_id, "m")
    assert got == [(1, 1.0), (2, 2.0), (3, 3.0)] or (
        spool.is_file() and replay(spool) == 1
        and history(second.client, run_id, "m") == [(1, 1.0), (2, 2.0), (3, 3.0)])


def test_spool_file_holds_no_credentials(store: Path) -> None:
    tracker = Tracker("", store, "spool-secret")
    tracker.start("s", {"run_key": "k-spool-secret"}, {})
    tracker.client = MlflowClient(tracking_uri=f"http://user:s3cret@127.0.0.1:{free_port()}")
    tracker.log({"m": 1.0}, 1)
    assert not tracker.flush()
    assert "s3cret" not in tracker.spool.read_text()


# -- W&B offline -----------------------------------------------------------------------------------
def wandb_records(run_dir: Path) -> list[dict[str, Any]]:
    """Every record of an offline W&B run, as ``wandb leet inspect --json`` prints them."""
    out = subprocess.run([sys.executable, "-m", "wandb", "leet", "inspect", "--json",
                          str(run_dir)], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.usefixtures("wandb_offline")
def test_wandb_offline_mirrors_the_metrics(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    tracker = Tracker("", runs, "wb", wandb="offline")
    run_id = tracker.start("wb-s0", {"run_key": "k-wb"},
                           {"run_key": "k-wb", "tracking.uri": "http://u:s3cret@h:1"})
    logged: dict[str, list[tuple[int, float]]] = {"train/loss": [], "val/loss": []}
    for s in range(1, 7):
        tracker.log({"train/loss": 1.0 / (s + 2)}, s)
        logged["train/loss"].append((s, 1.0 / (s + 2)))
        if s % 3 == 0:
            tracker.log({"val/loss": 0.1 * s}, s)
            logged["val/loss"].append((s, 0.1 * s))
            assert tracker.flush()
    tracker.finish("FINISHED")

    client = MlflowClient(tracking_uri=tracker.uri)
    assert {k: history(client, run_id, k) for k in logged} == logged
    run_dirs = list((runs / "wandb").glob(f"offline-run-*-{run_id}"))
    assert len(run_dirs) == 1, list((runs / "wandb").iterdir())
    records = wandb_records(run_dirs[0])
    mirrored: dict[str, list[tuple[int, float]]] = {}
    for rec in records:
        if rec["type"] == "history":
            item = rec["history"]["item"]
            for key, value in item.items():
                if not key.startswith("_"):
                    mirrored.setdefault(key, []).append((rec["history"]["step"]["num"], value))
    assert mirrored == logged
    run = next(r["run"] for r in records if r["type"] == "run")
    assert run["run_id"] == run_id and run["display_name"] == "wb-s0" and run["project"] == "wb"
    config = run["config"]["update"]
    assert config["run_key"] == "k-wb" and config["tracking.uri"] == "http://***@h:1"
    assert "s3cret" not in json.dumps(records)
    assert next(r["exit"] for r in records if r["type"] == "exit").get("exit_code", 0) == 0


# -- a real MLflow server --------------------------------------------------------------------------
@pytest.mark.slow
def test_server_receives_metrics_params_and_artifacts(server: MlflowServer,
                                                      tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    tracker = Tracker(server.uri, runs, "served")
    run_id = tracker.start("served-s0", {"run_key": "k-served"}, {"run_key": "k-served",
                                                                   "model.width": 2})
    for s in range(1, 4):
        tracker.log({"train/loss": 2.0 ** -s}, s)
    assert tracker.flush()
    note = tmp_path / "note.txt"
    note.write_text("reconstructed\n")
    tracker.artifact(note, "examples")
    tracker.artifact(note)
    tracker.finish("FINISHED")

    client = MlflowClient(tracking_uri=server.uri)  # a fresh client, through the server
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "served-s0"
    assert run.data.params == {"run_key": "k-served", "model.width": "2"}
    assert run.data.tags["run_key"] == "k-served"
    assert history(client, run_id, "train/loss") == [(1, 0.5), (2, 0.25), (3, 0.125)]
    assert tracker.find("k-served") == (run_id, "FINISHED")
    assert [a.path for a in client.list_artifacts(run_id, "examples")] == ["examples/note.txt"]
    got = Path(client.download_artifacts(run_id, "examples/note.txt", str(tmp_path / "dl")))
    assert got.read_text() == "reconstructed\n"
    # it all went to the server's stores, nothing to a local one
    assert not (runs / "mlflow.db").exists()
    assert sorted(p.name for p in server.artifacts.rglob("note.txt")) == ["note.txt", "note.txt"]
    assert MlflowClient(tracking_uri=f"sqlite:///{server.db}").get_run(run_id).info.status == \
        "FINISHED"


def spooled(path: Path) -> tuple[dict[str, Any], set[tuple[str, int, float]]]:
    head, *rows = path.read_text().splitlines()
    return json.loads(head), {(k, s, v) for k, v, _, s in map(json.loads, rows)}


@pytest.mark.faults
@pytest.mark.slow
def test_spool_while_the_server_is_away(server: MlflowServer, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    kept = Tracker(server.uri, runs, "spool")
    a = kept.start("a", {"run_key": "k-a"}, {})
    kept.log({"m": 1.0}, 1)
    kept.log({"m": 2.0}, 2)
    assert kept.flush()
    lost = Tracker(server.uri, runs, "spool")
    b = lost.start("b", {"run_key": "k-b"}, {})
    lost.log({"m": 10.0}, 1)
    server.stop()
    try:
        kept.log({"m": 3.0}, 3)
        kept.log({"m": 4.0, "n": 0.5}, 4)
        assert not kept.flush()
        assert kept.spool == runs.resolve() / "spool" / f"{a}.jsonl"
        head, rows = spooled(kept.spool)
        assert head["run_id"] == a and head["uri"] == server.uri and head["reason"]
        assert rows == {("m", 3, 3.0), ("m", 4, 4.0), ("n", 4, 0.5)}
        kept.log({"m": 5.0}, 5)
        assert not kept.flush()  # still away: everything unsent stays buffered and spooled
        assert spooled(kept.spool)[1] == rows | {("m", 5, 5.0)}
        # the other run ends while the server is away: it says where its metrics are
        with pytest.raises(TrackingUnavailableError) as err:
            lost.finish("FINISHED", retries=0)
        assert str(lost.spool) in str(err.value) and "replay" in str(err.value)
        assert spooled(lost.spool)[1] == {("m", 1, 10.0)}
    finally:
        server.start()  # the same port and the same store
    assert kept.flush()
    assert not kept.spool.exists()
    client = MlflowClient(tracking_uri=server.uri)
    assert history(client, a, "m") == [(s, float(s)) for s in range(1, 6)]
    assert history(client, a, "n") == [(4, 0.5)]
    kept.finish("FINISHED")
    assert client.get_run(a).info.status == "FINISHED"
    # the process of the other run is gone: its spool is replayed with the command it named
    assert history(client, b, "m") == []
    assert main(["replay", str(lost.spool)]) == 0
    assert not lost.spool.exists()
    assert history(client, b, "m") == [(1, 10.0)]


@pytest.mark.faults
def test_processes_creating_one_new_store_at_once(tmp_path: Path) -> None:
    """Several commands started together on a runs dir with no store yet: MLflow's table creation
    runs under a lock, so every one of them gets the store (without it: 'duplicate column')."""
    import subprocess
    import sys

    code = ("import sys; from lab.tracking import Tracker; "
            "t = Tracker('', sys.argv[1], sys.argv[2]); print(t.experiment_id)")
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "runs"), f"exp{i}"],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    assert len({o.strip() for o, _ in outs}) == 4  # four experiments in the one store


@pytest.mark.faults
@pytest.mark.slow
def test_the_store_away_at_the_end_of_a_run(server: MlflowServer, tmp_path: Path) -> None:
    """Artifacts are spooled like metrics. Back before the end's retries: the run ends normally
    with every artifact; away for good: one exception naming the replay, and the replay sends
    the metrics and artifacts and ends the run (status, reason, end time)."""
    runs = tmp_path / "runs"
    files = tmp_path / "files"
    (files / "model").mkdir(parents=True)
    (files / "model" / "model.pt").write_bytes(b"weights")
    (files / "config.json").write_text("{}\n")
    back = Tracker(server.uri, runs, "end")
    a = back.start("a", {"run_key": "k-a"}, {})
    gone = Tracker(server.uri, runs, "end")
    b = gone.start("b", {"run_key": "k-b"}, {})
    for t in (back, gone):
        t.log({"m": 1.0}, 1)
        assert t.flush()
    server.stop()
    try:
        for t in (back, gone):
            t.log({"test/x": 2.0}, 2)
            assert not t.flush()
            t.artifact(files / "model" / "model.pt", "model")  # no exception: spooled
            t.artifact(files / "config.json")
            assert (t.spooled_artifacts / "model" / "model.pt").read_bytes() == b"weights"
        with pytest.raises(TrackingUnavailableError) as err:
            gone.finish("FAILED", "a reason", retries=0)
        assert f"python -m lab.tracking replay {gone.spool}" in str(err.value)
        assert json.loads(gone.spool.read_text().splitlines()[0])["finish"]["status"] == "FAILED"
    finally:
        server.start()
    client = MlflowClient(tracking_uri=server.uri)

    def artifacts(run_id: str) -> set[str]:
        out = {f.path for f in client.list_artifacts(run_id)}
        return out | {f.path for f in client.list_artifacts(run_id, "model")}

    back.finish("FINISHED")  # the store is back: everything is sent, the spool is gone
    assert client.get_run(a).info.status == "FINISHED"
    assert history(client, a, "test/x") == [(2, 2.0)]
    assert {"config.json", "model/model.pt"} <= artifacts(a)
    assert not back.spool.exists() and not back.spooled_artifacts.exists()

    run_b = client.get_run(b)
    assert run_b.info.status == "RUNNING" and not artifacts(b)
    assert main(["replay", str(gone.spool)]) == 0
    run_b = client.get_run(b)
    assert run_b.info.status == "FAILED" and run_b.data.tags["failure_reason"] == "a reason"
    assert run_b.info.end_time is not None and run_b.info.end_time < int(time.time() * 1000)
    assert history(client, b, "test/x") == [(2, 2.0)] and history(client, b, "m") == [(1, 1.0)]
    assert {"config.json", "model/model.pt"} <= artifacts(b)
    assert not gone.spool.exists() and not gone.spooled_artifacts.exists()


@pytest.mark.faults
@pytest.mark.slow
def test_a_run_whose_store_dies_at_artifact_upload_is_spooled_then_replayed(
        server: MlflowServer, corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    """The issue's case through lab.train.run: the server is killed as the run uploads its
    first artifact (training and test metrics done). The run is not lost and not FAILED: its
    result is SPOOLED with one line naming the replay; the replay ends it FINISHED with every
    metric and artifact of a run that was never interrupted."""
    from lab.train import SPOOLED, run
    from tests.lab.conftest import tiny_config

    class DiesAtUpload(Tracker):
        def artifact(self, path: str | Path, subdir: str | None = None) -> None:
            if server.proc is not None:
                server.stop()
            super().artifact(path, subdir)

        def finish(self, status: str, reason: str = "", retries: int = 3) -> None:
            super().finish(status, reason, retries=0)

    config = tiny_config(corpus, cache_dir, tmp_path / "runs", f"tracking.uri={server.uri}",
                         "tracking.experiment=dies-at-upload")
    tracker = DiesAtUpload(server.uri, tmp_path / "runs", "dies-at-upload")
    try:
        result = run(config, progress=False, tracker=tracker)
    finally:
        if server.proc is None:
            server.start()
    assert result.status == SPOOLED, result
    assert f"python -m lab.tracking replay {tracker.spool}" in result.reason
    assert "\n" not in result.reason
    client = MlflowClient(tracking_uri=server.uri)
    assert client.get_run(result.run_id).info.status == "RUNNING"
    assert main(["replay", str(tracker.spool)]) == 0
    done = client.get_run(result.run_id)
    assert done.info.status == "FINISHED"
    assert done.data.metrics["test/si_sdr"] == pytest.approx(result.metrics["test/si_sdr"])
    paths = {f.path for f in client.list_artifacts(result.run_id)}
    assert {"config.json", "model", "examples"} <= paths
    assert {f.path for f in client.list_artifacts(result.run_id, "model")} >= {
        "model/model.pt", "model/normalizer.json"}
