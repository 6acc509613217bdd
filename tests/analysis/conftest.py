"""A tracking store written directly with the MLflow API (not through lab): what a user who
logs by hand has, with only the documented param and metric names."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SR = 16000


@dataclass
class HandStore:
    uri: str
    root: Path
    values: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    run_ids: dict[str, str] = field(default_factory=dict)  # run name -> id


def tone(f0: float, n: int = SR) -> np.ndarray:
    t = np.arange(n) / SR
    return (0.3 * np.sin(2 * np.pi * f0 * t) * np.hanning(n)).astype(np.float32)


@pytest.fixture(scope="session")
def hand_store(tmp_path_factory: pytest.TempPathFactory) -> HandStore:
    """Experiment ``toy``: variants ``complex`` and ``real`` x seeds 0-2 (FINISHED), one FAILED
    run, one older FINISHED run of complex seed 0 that a later run supersedes; experiment
    ``codec_baselines``: two codec runs. Artifacts: examples and code counts."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("hand-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    toy = client.create_experiment("toy", artifact_location=str(root / "artifacts" / "toy"))
    store = HandStore(uri, root)
    ref = tone(220.0)

    def log_run(exp: str, name: str, params: dict[str, object], metrics: dict[str, float],
                status: str = "FINISHED", key: str | None = None, steps: int = 0,
                recon: np.ndarray | None = None, start: int | None = None,
                end: int | None = None) -> str:
        run = client.create_run(exp, run_name=name, start_time=start,
                                tags={"run_key": key or name, "git_commit": "abc123",
                                      "command": "python log_by_hand.py"})
        rid = run.info.run_id
        points = [Metric("train/loss", metrics["test/mel_distance"] * (1 + 5 / s), 0, s)
                  for s in range(1, steps + 1)]
        points += [Metric("val/loss", metrics["test/mel_distance"] * (1 + 6 / s), 0, s)
                   for s in range(5, steps + 1, 5)]
        points += [Metric(k, v, 0, steps) for k, v in metrics.items()]
        client.log_batch(rid, metrics=points,
                         params=[Param(k, str(v)) for k, v in params.items()])
        if recon is not None:
            folder = root / "tmp" / rid
            (folder / "examples").mkdir(parents=True)
            sf.write(folder / "examples" / "0_reference.wav", ref, SR)
            sf.write(folder / "examples" / "0_recon.wav", recon, SR)
            (folder / "counts.json").write_text("[5, 0, 3, 9]\n")
            client.log_artifacts(rid, str(folder / "examples"), "examples")
            client.log_artifact(rid, str(folder / "counts.json"), "codebook")
        client.set_terminated(rid, status=status, end_time=end)
        return rid

    t0 = int(time.time() * 1000) + 3_600_000  # ms; after every other run's start
    for domain, shift in (("complex", 1.0), ("real", 0.0)):
        for seed in (2, 0, 1):  # logged out of seed order: pairing must go by the seed param
            m = {"test/si_sdr": 10.0 + shift + 0.3 * seed + 0.1 * seed**2,
                 "test/pesq_wb": 2.0 + 0.1 * shift + 0.05 * seed + 0.03 * shift * seed**2,
                 "test/mel_distance": 0.5 - 0.1 * shift + 0.01 * seed,
                 "rate/nominal_bps": 2000.0, "model/params": 1000.0 + 10 * shift}
            params = {"model.domain": domain, "seed": seed, "vq.codebook_size": 16,
                      "model.bottleneck": "vq", "optim.lr": "0.001", "data.normalize": "True"}
            name = f"{domain}-s{seed}"
            if (domain, seed) == ("complex", 0):  # an older attempt, superseded
                log_run(toy, name, params, {**m, "test/si_sdr": -99.0}, steps=10,
                        recon=tone(200.0))
            start = end = None
            if (domain, seed) == ("real", 1):  # started first, finished last: it wins
                start, end = t0, t0 + 9_000_000
            store.run_ids[name] = log_run(toy, name, params, m, steps=10, start=start, end=end,
                                          recon=tone(220.0 + 5 * shift))
            if (domain, seed) == ("real", 1):  # started later, finished earlier: superseded
                log_run(toy, name, params, {**m, "test/si_sdr": -77.0}, start=t0 + 1000,
                        end=t0 + 2000)
            store.values[(domain, seed)] = m
    store.run_ids["failed"] = log_run(
        toy, "complex-s3", {"model.domain": "complex", "seed": 3, "vq.codebook_size": 16,
                            "model.bottleneck": "vq", "optim.lr": "0.001",
                            "data.normalize": "True"},
        {"test/si_sdr": math.nan, "test/mel_distance": 1e9}, status="FAILED")
    codecs = client.create_experiment("codec_baselines",
                                      artifact_location=str(root / "artifacts" / "codecs"))
    for rate, sdr in ((6000.0, 3.0), (12000.0, 8.0)):
        log_run(codecs, f"opus-{rate:g}", {"model.domain": "codec", "codec.name": "opus",
                                            "model.bottleneck": "opus", "codec.setting": rate},
                {"test/si_sdr": sdr, "test/pesq_wb": 2.5, "test/mel_distance": 0.3,
                 "rate/measured_bps": rate})
    return store
