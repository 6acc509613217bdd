"""Shared fixtures of the run tests: a tiny corpus in the real layout, tiny run configs, one
torch thread, free loopback ports."""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.config import RunConfig, apply_overrides
from tests.lab.test_dataset import make_corpus

SR = 16000
WORDS = ("yes", "no")
# per word, one clip per speaker: 4 training speakers, 1 validation, 1 testing
SPLITS = ("training", "training", "training", "training", "validation", "testing")
TINY = ("model.width=2", "model.latent_dim=2", "vq.codebook_size=8", "model.stages=1",
        "optim.steps=4", "eval.val_every=2", "eval.log_every=1", "eval.examples=1",
        "optim.batch_size=4",
        "device=cpu")


def harmonic_clip(f0: float, syllable_hz: float, n: int = SR) -> np.ndarray:
    """Six harmonics of ``f0`` under a raised-sine window and a syllable-rate envelope: a
    deterministic speech stand-in."""
    t = np.arange(n) / SR
    env = np.sin(np.pi * t * SR / n) ** 2 * (0.55 + 0.45 * np.sin(2 * np.pi * syllable_hz * t))
    tone = sum(np.sin(2 * np.pi * f0 * k * t + 0.3 * k) / k for k in range(1, 7))
    out: np.ndarray = (0.3 * env * tone).astype(np.float32)
    return out


def corpus_clips() -> dict[str, tuple[np.ndarray, int, str]]:
    clips: dict[str, tuple[np.ndarray, int, str]] = {}
    for w, word in enumerate(WORDS):
        for s, split in enumerate(SPLITS):
            f0 = 100.0 + 20.0 * s + 50.0 * w
            clips[f"{word}/spk{s}_nohash_0.wav"] = (harmonic_clip(f0, 3.0 + w), SR, split)
    return clips


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 words x 6 speakers x 1 clip of 1 s, with a manifest (4 + 1 + 1 clips per word)."""
    return make_corpus(tmp_path_factory.mktemp("corpus"), corpus_clips())


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One feature cache for every run of the session (as in a sweep)."""
    return tmp_path_factory.mktemp("cache")


def tiny_config(corpus: Path, cache_dir: Path, runs_dir: Path, *overrides: str) -> RunConfig:
    """The base config at tiny sizes on the tiny corpus, logging under ``runs_dir``."""
    return apply_overrides(RunConfig(), [
        f"data.root={corpus}", f"data.cache_dir={cache_dir}", f"tracking.runs_dir={runs_dir}",
        *TINY, *overrides])


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One torch thread: the tiny models' steps are dominated by thread hand-offs otherwise (and
    the CPU may be shared with other processes)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def free_port() -> int:
    """A loopback TCP port nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)
