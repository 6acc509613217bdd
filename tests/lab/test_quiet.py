"""What a user's log shows of a run started as a command: no MLflow or alembic INFO chatter (a
new store's tables, the migration context, "View run" lines), and progress bars as a few plain
lines with the latest validation loss."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.tracking import QUIET_ENV, Tracker
from tests.mlflow_server import MlflowServer

ROOT = Path(__file__).resolve().parents[2]
CHATTER = ("INFO", "Creating initial MLflow database tables", "Updating database tables",
           "Context impl", "Will assume", "View run", "View experiment", "\U0001f3c3",
           "\U0001f9ea")


Proc = subprocess.CompletedProcess[str]


def command(corpus: Path, cache_dir: Path, runs: Path, *extra: str) -> Proc:
    """``python -m lab.run`` at the smoke profile, as a user starts it (a new process)."""
    env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}  # as a user's shell
    return subprocess.run(
        [sys.executable, "-m", "lab.run", "--profile", "smoke", "--data", str(corpus),
         "--runs-dir", str(runs), f"data.cache_dir={cache_dir}", *extra],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=600)


def assert_quiet(proc: Proc) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in CHATTER:
        assert text not in proc.stdout + proc.stderr, f"{text!r} reached the log"


def test_a_run_logs_no_mlflow_chatter_and_a_few_bar_lines(corpus: Path, cache_dir: Path,
                                                          tmp_path: Path) -> None:
    proc = command(corpus, cache_dir, tmp_path / "runs")  # a new store: its tables are created
    assert_quiet(proc)
    assert (tmp_path / "runs" / "mlflow.db").is_file()
    assert "single: 1 run = 1 config x 1 seed (smoke profile's seed 0), 1 at once" in proc.stdout
    bar = [line for line in proc.stderr.splitlines() if line.startswith("complex-vq16-s0:")]
    assert "\r" not in proc.stderr and len(bar) == 5  # 4 steps: 0/4 ... 4/4, one line each
    assert "val=" in bar[-1] and "loss=" in bar[-1]  # the latest validation loss


@pytest.mark.slow
def test_workers_and_a_server_log_no_chatter(corpus: Path, cache_dir: Path, tmp_path: Path,
                                             server: MlflowServer) -> None:
    """Two spawned workers logging to a server (its "View run" lines are printed only for an
    HTTP store): one command covers both."""
    assert_quiet(command(corpus, cache_dir, tmp_path / "runs", "--jobs", "2", "--seeds", "0,1",
                         "--tracking-uri", server.uri))


def test_mlflow_loggers_stay_at_warning(tmp_path: Path) -> None:
    """Even when mlflow was imported before lab.tracking (as in this test process)."""
    from mlflow.environment_variables import MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT

    logging.getLogger("mlflow").setLevel(logging.INFO)
    Tracker("", tmp_path / "runs", "quiet")
    assert logging.getLogger("mlflow").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("alembic").getEffectiveLevel() >= logging.WARNING
    assert MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.get()
