"""A full disk under the runs dir (a 1.2 MB tmpfs mounted in a private mount namespace): the run
fails in one line per fault, no traceback, the last checkpoint is whole, and the same command
with room again resumes the same tracked run to FINISHED."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lab.tracking import default_uri
from tests.lab.conftest import TINY
from tests.lab.test_readonly import ENV, NO_MOUNT, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.faults,
              pytest.mark.skipif(bool(NO_MOUNT), reason=NO_MOUNT)]


def test_a_full_disk_fails_the_run_cleanly_and_the_run_resumes(
        corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    runs, kept = tmp_path / "runs", tmp_path / "kept"
    runs.mkdir()
    cmd = [sys.executable, "-m", "lab.run", "--data", str(corpus), "--runs-dir", str(runs),
           "--seeds", "0", *TINY, "optim.steps=40", "eval.val_every=5", "model.width=8",
           f"data.cache_dir={cache_dir}", "tracking.experiment=full"]
    r, k = shlex.quote(str(runs)), shlex.quote(str(kept))
    # the tmpfs lives as long as the namespace: copy what the run left before it goes
    script = (f"mount -t tmpfs -o size=1200k none {r} && \"$@\"; code=$?; "
              f"cp -a {r} {k}; exit $code")
    full = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *cmd], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    out = full.stdout + full.stderr
    assert full.returncode == 1, out[-3000:]
    assert "Traceback" not in out and "No space left on device" in out, out[-3000:]
    assert "1 failed" in full.stdout
    # what the full disk holds is whole (checkpoints are written atomically, the run's id
    # beside them at its start): the same command with room resumes the same tracked run
    import json

    import torch

    (marker,) = kept.glob("checkpoints/*/*/run.json")
    run_id = json.loads(marker.read_text())["run_id"]
    for ckpt in marker.parent.glob("*.pt"):
        assert 0 < torch.load(ckpt, weights_only=True)["step"] < 40
    shutil.copytree(kept, runs, dirs_exist_ok=True)  # room again, at the same path
    again = subprocess.run(cmd, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    client = MlflowClient(default_uri(runs))
    assert [r.info.run_id for r in client.search_runs(
        [client.get_experiment_by_name("full").experiment_id])] == [run_id]  # not a second
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    steps = [m.step for m in client.get_metric_history(run_id, "train/loss")]
    assert steps == sorted(set(steps))  # no step twice
