"""The compute device of a run or a benchmark: ``auto`` (CUDA when present), ``cpu`` or ``cuda``."""

from __future__ import annotations

import torch


def pick_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ``cuda`` without CUDA is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device=cuda but CUDA is not available")
    return torch.device(name)
