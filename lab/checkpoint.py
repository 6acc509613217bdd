"""Atomic training checkpoints: ``last.pt`` (every validation) and ``best.pt`` (lowest val loss).

A checkpoint holds everything a resumed run needs to continue exactly as if it had not stopped:
model, optimizer and schedule states, the step, the RNG states, the best validation loss, the
normalization statistics and the tracking run id. Written to a temporary file in the same
folder, flushed to disk, then renamed over the old one (``os.replace`` is atomic on POSIX), so a
``kill -9`` at any moment leaves either the old or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch


def save_atomic(state: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class UnsafeFileError(pickle.UnpicklingError):
    """A file from a runs folder or a store holds more than tensors and plain containers:
    unpickling it could run code, so it is not loaded."""


def safe_load(path: Path) -> Any:
    """``torch.load(path, weights_only=True)`` on the CPU. A file whose pickle would import or
    call anything beyond tensors and plain containers (so could run code) is refused before
    anything runs, with :class:`UnsafeFileError` naming the file."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnsafeFileError(
            f"refusing to load {path}: it holds objects other than tensors and plain containers, "
            f"and loading it could run code ({first})") from None


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from: it holds code, or it cannot be read (torn by a
    full disk, overwritten, not a checkpoint). Nothing is loaded or started from it."""


def load(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path``, or None when there is none (read with :func:`safe_load`:
    a checkpoint holds tensors and plain containers only); :class:`CheckpointError` for one
    that holds code or cannot be read, with what to do."""
    if not path.is_file():
        return None
    try:
        state = safe_load(path)
    except UnsafeFileError as err:
        raise CheckpointError(f"{err}; delete it to train the run from the start") from None
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointError(f"cannot read the checkpoint {path} ({first}); delete it to train "
                              f"the run from the start") from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"{path} is not a training checkpoint (no step); delete it to "
                              f"train the run from the start")
    return state


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
