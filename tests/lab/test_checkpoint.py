"""Checkpoints load weights only: a crafted checkpoint whose unpickling would write a file is
refused with a clear error, and the file does not appear; a checkpoint that holds code, is torn
or is not one is refused by lab.run before anything is created (one line, exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from lab.checkpoint import CheckpointError, load, save_atomic
from lab.cli import build_configs, parse_args, parser
from lab.tracking import default_uri
from lab.train import checkpoint_dir, run
from tests.lab.conftest import TINY
from tests.lab.test_reconstruct import runs_code

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkpoint_round_trips_tensors_and_plain_containers(tmp_path: Path) -> None:
    state = {"step": 7, "model": {"w": torch.arange(3.0)}, "rng": {"torch": torch.get_rng_state()},
             "val_history": [(1, 0.5)], "best_file": "best.pt"}
    save_atomic(state, tmp_path / "last.pt")
    back = load(tmp_path / "last.pt")
    assert back is not None and back["step"] == 7 and back["best_file"] == "best.pt"
    assert torch.equal(back["model"]["w"], torch.arange(3.0))
    assert load(tmp_path / "missing.pt") is None


@pytest.mark.faults
def test_a_crafted_checkpoint_is_refused_before_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return exec, (f"open({str(marker)!r}, 'w').write('pwned')",)

    path = tmp_path / "last.pt"
    torch.save({"step": 1, "optimizer": Payload()}, path)
    with pytest.raises(CheckpointError, match=f"refusing to load {path}"):
        load(path)
    assert not marker.exists()
    runs_code(path)  # what an unsafe loader would have done
    assert marker.read_text() == "pwned"


def _bad_checkpoints(tmp_path: Path) -> dict[str, Callable[[Path], None]]:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return exec, (f"open({str(marker)!r}, 'w').write('pwned')",)

    def holds_code(path: Path) -> None:
        torch.save({"step": 2, "optimizer": Payload()}, path)

    def torn(path: Path) -> None:  # what a full disk leaves of a checkpoint written in place
        torch.save({"step": 2, "model": {"w": torch.zeros(1000)}}, path)
        path.write_bytes(path.read_bytes()[:700])

    def not_one(path: Path) -> None:
        torch.save([1, 2, 3], path)

    return {"holds code": holds_code, "torn": torn, "not a checkpoint": not_one}


@pytest.mark.faults
@pytest.mark.parametrize("case", ["holds code", "torn", "not a checkpoint"])
def test_a_bad_checkpoint_is_refused_before_the_store_is_touched(
        case: str, corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    """lab.run and lab.reconstruct agree: one line, exit 2, nothing created, no code run; a
    sweep that meets the file anyway (it appeared after planning) fails that run, not the
    store."""
    runs = tmp_path / "runs"
    argv = ["--data", str(corpus), "--runs-dir", str(runs), "--seeds", "0", *TINY,
            "optim.steps=2", f"data.cache_dir={cache_dir}", "tracking.experiment=bad-ckpt"]
    (config,) = build_configs("single", lambda profile: [[]], parse_args(parser("single", ""),
                                                                         argv))
    path = checkpoint_dir(config, default_uri(runs)) / "last.pt"
    path.parent.mkdir(parents=True)
    _bad_checkpoints(tmp_path)[case](path)
    proc = subprocess.run([sys.executable, "-m", "lab.run", *argv],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], lines
    assert "delete it" in lines[0]
    assert not (tmp_path / "pwned").exists()
    assert not (runs / "mlflow.db").exists()  # nothing created
    result = run(config, progress=False)  # in a sweep: this run fails, with the reason
    assert result.status == "FAILED" and str(path) in result.reason
    assert result.run_id == ""  # no tracked run was started
    assert not (tmp_path / "pwned").exists()
