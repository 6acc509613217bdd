"""lab.claim and the one-process-per-run promise: claims exclude each other (in one process and
across processes), a holder killed with SIGKILL leaves the run to the next claimant, a waiting
claimant gets the run once it is released, and two sweeps started together on one store train
each run once with clean histories."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lab.claim import ClaimError, RunClaim
from lab.tracking import default_uri
from tests.lab.conftest import TINY

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.faults
HOLD = ("import sys, threading; from lab.claim import RunClaim; "
        "c = RunClaim(sys.argv[1]); assert c.acquire(); print('held', flush=True); "
        "threading.Event().wait()")


def test_a_claim_excludes_another_until_released(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "k.lock"
    first, second = RunClaim(path), RunClaim(path)
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held  # separate opens exclude each other
    assert f"pid={os.getpid()}" in second.holder()
    first.release()
    with second:
        assert second.acquire()
        assert not first.acquire()
    assert first.acquire()
    first.release()


def test_a_waiting_claimant_gets_the_run_when_it_is_released(tmp_path: Path) -> None:
    path = tmp_path / "k.lock"
    holder = RunClaim(path)
    assert holder.acquire()
    got = threading.Event()

    def wait_for_it() -> None:
        with RunClaim(path) as waiter:
            waiter.acquire(wait=True)
            got.set()

    t = threading.Thread(target=wait_for_it)
    t.start()
    assert not got.wait(0.3)  # still held
    holder.release()
    t.join(timeout=30)
    assert got.is_set()


def test_a_holder_killed_with_sigkill_leaves_the_run(tmp_path: Path) -> None:
    path = tmp_path / "k.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        claim = RunClaim(path)
        assert not claim.acquire()
        assert f"pid={proc.pid}" in claim.holder()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert claim.acquire()  # the kernel released the dead holder's lock
        claim.release()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_unusable_claim_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ClaimError, match="cannot claim the run at"):
        RunClaim(blocker / "k.lock").acquire()


@pytest.mark.slow
def test_two_sweeps_at_once_train_each_run_once(corpus: Path, cache_dir: Path,
                                                tmp_path: Path) -> None:
    """The issue's case: two sweeps of the same runs started together on one store."""
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "lab.run", "--data", str(corpus), "--runs-dir", str(runs),
           "--seeds", "0,1,2", "--jobs", "1", *TINY, "optim.steps=6", f"data.cache_dir={cache_dir}",
           "tracking.experiment=claims"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    client = MlflowClient(default_uri(runs))
    exp = client.get_experiment_by_name("claims")
    assert exp is not None
    found = client.search_runs([exp.experiment_id])
    keys = Counter(r.data.tags["run_key"] for r in found)
    assert len(keys) == 3 and set(keys.values()) == {1}, keys  # each run once
    assert {r.info.status for r in found} == {"FINISHED"}
    for r in found:
        for name in ("train/loss", "val/loss"):
            steps = [m.step for m in client.get_metric_history(r.info.run_id, name)]
            assert steps == sorted(set(steps)), (name, steps)  # no step twice
        assert [m.step for m in client.get_metric_history(r.info.run_id, "train/loss")] == \
            list(range(1, 7))
    # between them the two sweeps trained the three runs once; each says what it did
    trained = sum(out.count("finished,") and int(out.split("runs: ")[1].split(" finished")[0])
                  for out in outs)
    assert trained == 3, outs
