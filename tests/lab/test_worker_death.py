"""A worker process of a local sweep killed with SIGKILL mid-run: its pool breaks, the runs it
held go to a fresh pool and resume from their checkpoints, and the sweep ends with every run
FINISHED once, no metric step twice, nothing failed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lab.sweep import SweepSummary, expand, run_sweep
from lab.tracking import default_uri
from tests.lab.conftest import tiny_config

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _holder_pid(runs: Path) -> int | None:
    """The pid of a process holding a run's claim (its lock file names it)."""
    for lock in (runs / "checkpoints").glob("*/*.lock"):
        text = lock.read_text()
        if "pid=" in text:
            return int(text.split("pid=")[1].split()[0])
    return None


def test_a_worker_killed_mid_run_is_replaced_and_its_run_resumed(
        corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    base = tiny_config(corpus, cache_dir, runs, "optim.steps=120", "eval.val_every=40",
                       "eval.log_every=10", "tracking.experiment=worker-death")
    configs = expand(base, [[]], range(2))
    out: list[SweepSummary] = []
    sweep = threading.Thread(target=lambda: out.append(run_sweep(configs, "local", 2,
                                                                 progress=False)))
    sweep.start()
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and time.monotonic() < deadline and sweep.is_alive():
        pid = _holder_pid(runs)
        client_ready = (runs / "mlflow.db").is_file()
        if pid is not None and pid != os.getpid() and client_ready:
            time.sleep(0.5)  # let it log a few steps
            os.kill(pid, signal.SIGKILL)
            killed = pid
        time.sleep(0.05)
    sweep.join(timeout=600)
    assert killed is not None, "no worker was seen holding a run"
    (summary,) = out
    assert summary.count("FINISHED") == 2 and summary.count("FAILED") == 0, summary.report()
    client = MlflowClient(default_uri(runs))
    exp = client.get_experiment_by_name("worker-death")
    assert exp is not None
    found = client.search_runs([exp.experiment_id])
    assert Counter(r.data.tags["run_key"] for r in found) == Counter(
        {r.key: 1 for r in summary.results})
    for r in found:
        assert r.info.status == "FINISHED"
        for name in ("train/loss", "val/loss"):
            steps = [m.step for m in client.get_metric_history(r.info.run_id, name)]
            assert len(steps) == len(set(steps)), (name, steps)  # no step twice
        train = sorted(m.step for m in client.get_metric_history(r.info.run_id, "train/loss"))
        assert train == list(range(10, 121, 10))  # and none missing
