"""Checkpoints load weights only: a crafted checkpoint whose unpickling would write a file is
refused with a clear error, and the file does not appear."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lab.checkpoint import UnsafeFileError, load, save_atomic
from tests.lab.test_reconstruct import runs_code


def test_a_checkpoint_round_trips_tensors_and_plain_containers(tmp_path: Path) -> None:
    state = {"step": 7, "model": {"w": torch.arange(3.0)}, "rng": {"torch": torch.get_rng_state()},
             "val_history": [(1, 0.5)], "best_file": "best.pt"}
    save_atomic(state, tmp_path / "last.pt")
    back = load(tmp_path / "last.pt")
    assert back is not None and back["step"] == 7 and back["best_file"] == "best.pt"
    assert torch.equal(back["model"]["w"], torch.arange(3.0))
    assert load(tmp_path / "missing.pt") is None


def test_a_crafted_checkpoint_is_refused_before_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return exec, (f"open({str(marker)!r}, 'w').write('pwned')",)

    path = tmp_path / "last.pt"
    torch.save({"step": 1, "optimizer": Payload()}, path)
    with pytest.raises(UnsafeFileError, match=f"refusing to load {path}"):
        load(path)
    assert not marker.exists()
    runs_code(path)  # what an unsafe loader would have done
    assert marker.read_text() == "pwned"
