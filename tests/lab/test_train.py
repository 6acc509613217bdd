"""lab.train end to end on a tiny corpus: the contract metrics, tags and artifacts in MLflow
(re-evaluated from the logged model), determinism across runs dirs and seeds, the non-finite
guard, and resuming after SIGKILL into the same tracked run with the same results."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from mlflow.tracking import MlflowClient

from lab.artifacts import load_model
from lab.build import feature_size, model_config
from lab.config import RunConfig, apply_overrides, from_dict, leaves, run_key, run_name, to_dict
from lab.convergence import CHANGE_METRIC, FLAG_METRIC, is_converged, relative_change
from lab.dataset import ManifestDataset
from lab.evaluate import evaluate
from lab.features import FeatureTransform
from lab.losses import TERMS
from lab.reconstruction import Reconstructor
from lab.tracking import default_uri
from lab.train import RunResult, checkpoint_dir, lr_factor, run
from tests.lab.conftest import SR, finite, tiny_config
from vq.autoencoder import SpectrogramAutoencoder, flop_count, parameter_count

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_kill_resume_worker.py")
STEPS = 8
BASE = (f"optim.steps={STEPS}", "tracking.experiment=train-tests", "tracking.profile=tiny")
TIMING = {"model/audio_seconds_per_second", "train/data_fraction"}  # timings
SUMMARY = ("si_sdr", "snr", "pesq_wb", "stoi", "estoi", "lsd", "spectral_convergence", "mrstft",
           "mel_distance", "pesq_failures", "stoi_failures", "n_clips")
CONTRACT = {f"test/{m}" for m in SUMMARY} | {
    "model/params", "model/flops_per_second", "model/audio_seconds_per_second",
    "rate/nominal_bps", "rate/entropy_bps", "codebook/perplexity", "codebook/usage",
    "codebook/dead_fraction"}
ARTIFACTS = {"config.json", "examples/0.png", "examples/0_recon.wav", "examples/0_reference.wav",
             "model/model.pt", "model/normalizer.json", "codebook/counts.json"}

pytestmark = pytest.mark.usefixtures("one_thread")


@dataclass
class Tracked:
    config: RunConfig
    result: RunResult
    client: MlflowClient

    def history(self, key: str) -> list[tuple[int, float]]:
        return sorted((m.step, m.value)
                      for m in self.client.get_metric_history(self.result.run_id, key))


def tracked_run(config: RunConfig) -> Tracked:
    result = run(config, progress=False)
    return Tracked(config, result, MlflowClient(default_uri(config.tracking.runs_dir)))


def same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal but for the timing metric; ``rel 1e-6`` (pystoi's ESTOI varies in its last bits
    between calls on identical input)."""
    keys = set(a) - TIMING
    return keys == set(b) - TIMING and all(
        math.isclose(a[k], b[k], rel_tol=1e-6, abs_tol=1e-9) for k in keys)


@pytest.fixture(scope="module")
def reference(corpus: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory,
              one_thread: None) -> Tracked:
    """One uninterrupted tiny run (8 steps, validation every 2)."""
    return tracked_run(tiny_config(corpus, cache_dir, tmp_path_factory.mktemp("reference"),
                                   *BASE))


# -- pieces of the loop ----------------------------------------------------------------------------
def test_lr_schedule_closed_form() -> None:
    c = apply_overrides(RunConfig(), ["optim.steps=100", "optim.warmup_steps=10"])
    assert lr_factor(0, c) == pytest.approx(0.1 * 0.5 * (1 + math.cos(0.0)))
    assert lr_factor(4, c) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.04)))
    assert lr_factor(50, c) == pytest.approx(0.5)
    assert lr_factor(100, c) == pytest.approx(0.0, abs=1e-15)
    assert lr_factor(150, c) == pytest.approx(0.0, abs=1e-15)
    const = apply_overrides(c, ["optim.schedule=constant"])
    assert [lr_factor(s, const) for s in (0, 4, 9, 10, 99)] == pytest.approx(
        [0.1, 0.5, 1.0, 1.0, 1.0])
    assert lr_factor(0, apply_overrides(c, ["optim.warmup_steps=0"])) == 1.0


# -- one run, end to end ---------------------------------------------------------------------------
def test_run_end_to_end(reference: Tracked, corpus: Path, tmp_path: Path) -> None:
    config, result, client = reference.config, reference.result, reference.client
    key = run_key(config)
    assert result.status == "FINISHED" and result.reason == ""
    assert (result.key, result.name) == (key, run_name(config)) == (key, "complex-vq8-s0")
    m = result.metrics
    assert set(m) >= CONTRACT and not {k for k in m if k.startswith(("oracle/", "rate/kl"))}
    assert finite(list(m.values()))
    # recomputed independently
    model_cfg = model_config(config)
    model = SpectrogramAutoencoder(model_cfg)
    freq, frames = feature_size(config)
    f, t = model.latent_size(freq, frames)
    assert m["model/params"] == parameter_count(model)
    assert m["model/flops_per_second"] == flop_count(  # per 1 s clip, at the training batch
        model, freq, frames, batch=config.optim.batch_size)
    assert m["rate/nominal_bps"] == pytest.approx(f * t * math.log2(8))
    assert 0 <= m["rate/entropy_bps"] <= m["rate/nominal_bps"] + 1e-9
    assert 1 <= m["codebook/perplexity"] <= 8 and 0 < m["codebook/usage"] <= 1
    assert m["test/n_clips"] == 2  # one test speaker x two words

    run_info = client.get_run(result.run_id)
    assert run_info.info.status == "FINISHED" and run_info.info.run_name == result.name
    tags = run_info.data.tags
    assert (tags["run_key"], tags["ablation"], tags["profile"]) == (key, "train-tests", "tiny")
    if (ROOT / ".git").exists():
        assert len(tags["git_commit"]) == 40
        assert set(tags["git_commit"]) <= set("0123456789abcdef")
        assert tags["git_dirty"] in ("true", "false")
    else:  # not a checkout
        assert (tags["git_commit"], tags["git_dirty"]) == ("unknown", "unknown")
    expected_params = {k: ",".join(v) if isinstance(v, tuple) else str(v)
                       for k, v in leaves(config).items() if k != "tracking.command"}
    assert run_info.data.params == {**expected_params, "run_key": key}
    # the final metrics, at the last step, as returned
    for name, value in m.items():
        assert reference.history(name) == [(STEPS, value)], name
    # histories: every step once
    for name in ("train/loss", "train/recon", "train/lr", "train/grad_norm",
                 "train/clips_per_second", "train/vq/commitment", "train/vq/codebook",
                 "train/codebook/perplexity", "train/codebook/usage"):
        hist = reference.history(name)
        assert [s for s, _ in hist] == list(range(1, STEPS + 1)), name
        assert finite([v for _, v in hist])
    assert [s for s, _ in reference.history("val/loss")] == [2, 4, 6, 8]
    assert [s for s, _ in reference.history("val/recon")] == [2, 4, 6, 8]
    ((step, fraction),) = reference.history("train/data_fraction")
    assert step == STEPS and 0 <= fraction <= 1
    # the training loss is the reconstruction plus the bottleneck terms
    terms = sorted(k for k in run_info.data.metrics if k.startswith("train/vq/"))
    assert terms == ["train/vq/codebook", "train/vq/commitment"]
    for (_, loss), (_, recon), *others in zip(reference.history("train/loss"),
                                              reference.history("train/recon"),
                                              *(reference.history(k) for k in terms),
                                              strict=True):
        assert loss == pytest.approx(recon + sum(v for _, v in others), rel=1e-5)

    # artifacts
    def listing(path: str | None = None) -> list[str]:
        out = []
        for a in client.list_artifacts(result.run_id, path):
            out += listing(a.path) if a.is_dir else [a.path]
        return out

    assert set(listing()) == ARTIFACTS
    dl = Path(client.download_artifacts(result.run_id, "", str(tmp_path)))
    assert from_dict(json.loads((dl / "config.json").read_text())) == config
    assert (dl / "examples/0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the logged model, re-evaluated here, gives the logged metrics
    loaded, normalizer = load_model(dl / "model")
    assert loaded.config == model_cfg
    test = ManifestDataset(corpus, "testing", length=SR, sample_rate=SR)
    waves = torch.stack([test[i][0] for i in range(len(test))])
    rec = Reconstructor(FeatureTransform(config.features), loaded, normalizer)
    again = evaluate(rec, waves, config.eval.batch_size, n_examples=1,
                     flops_batch=config.optim.batch_size, vae_seed=config.seed)
    assert same_metrics(again.metrics, {k: v for k, v in m.items()
                                         if not k.startswith(("convergence/", "data/"))})
    counts = json.loads((dl / "codebook/counts.json").read_text())
    assert counts == again.code_counts and len(counts) == 8  # the test clips' code histogram
    f, t = loaded.latent_size(*feature_size(config))
    assert sum(counts) == len(waves) * f * t
    ref_wav, sr = sf.read(dl / "examples/0_reference.wav")
    rec_wav, _ = sf.read(dl / "examples/0_recon.wav")
    assert sr == SR
    step16 = 1 / 32768
    np.testing.assert_allclose(ref_wav, waves[0].numpy(), atol=step16)
    np.testing.assert_allclose(rec_wav, np.clip(again.examples[0][1].numpy(), -1, 1),
                               atol=step16)
    # checkpoints
    folder = checkpoint_dir(config, default_uri(config.tracking.runs_dir))
    ckpt = torch.load(folder / "last.pt", weights_only=True)
    assert ckpt["step"] == STEPS and ckpt["run_id"] == result.run_id
    assert [p.name for p in folder.glob("best-*.pt")] == [ckpt["best_file"]]


def test_lr_history_is_the_rate_each_step_used(reference: Tracked) -> None:
    config = reference.config
    history = reference.history("train/lr")
    assert [s for s, _ in history] == list(range(1, STEPS + 1))
    assert [lr for _, lr in history] == pytest.approx(
        [config.optim.lr * lr_factor(s - 1, config) for s in range(1, STEPS + 1)])


def test_convergence_is_logged_from_the_validation_history(reference: Tracked) -> None:
    """Judged on the reconstruction objective (val/recon), not val/loss with the VQ's terms."""
    m = reference.result.metrics
    val = reference.history("val/recon")
    assert [s for s, _ in val] == [2, 4, 6, 8]
    expected = relative_change([s for s, _ in val], [v for _, v in val], STEPS)
    assert m[CHANGE_METRIC] == pytest.approx(expected)
    assert m[FLAG_METRIC] == float(bool(is_converged(expected)))
    # the best checkpoint is the validation with the lowest reconstruction objective
    folder = checkpoint_dir(reference.config, default_uri(reference.config.tracking.runs_dir))
    best_step = min(val, key=lambda sv: sv[1])[0]
    assert torch.load(folder / "last.pt", weights_only=True)["best_file"] == f"best-{best_step}.pt"
    # every loss term is measured at validation, weight 0 included; trained terms in training
    names = set(reference.client.get_run(reference.result.run_id).data.metrics)
    assert {f"val/recon/{t}" for t in TERMS} <= names
    trained = {t for t in TERMS if reference.config.loss.weight(t) > 0}
    assert {n for n in names if n.startswith("train/recon/")} == {
        f"train/recon/{t}" for t in trained}


def test_a_plateau_stops_the_run_early_and_counts_as_converged(
        corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    """A learning rate too small to move the model: the validation loss is flat, so with
    patience 2 the run stops at its third validation (step 6 of a cap of 20), judged converged;
    without patience the same config runs to its cap."""
    flat = ("optim.lr=1e-12", "optim.steps=20", "tracking.experiment=early")
    stopped = tracked_run(tiny_config(corpus, cache_dir, tmp_path, *flat, "optim.patience=2"))
    assert stopped.result.status == "FINISHED", stopped.result.reason
    m = stopped.result.metrics
    assert [s for s, _ in stopped.history("val/loss")] == [2, 4, 6]
    assert (m["train/steps"], m["convergence/stopped_early"], m[FLAG_METRIC]) == (6, 1, 1)
    assert max(s for s, _ in stopped.history("test/si_sdr")) == 6
    full = tracked_run(tiny_config(corpus, cache_dir, tmp_path, *flat))
    assert full.result.key != stopped.result.key
    assert len(full.history("val/loss")) == 10 and "train/steps" not in full.result.metrics


def test_plateau_schedule_halves_the_rate_then_stops(
        corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    """A flat validation loss (a rate too small to move the model), patience 1, two halvings:
    validations at 2 (the best), 4 (a plateau: the rate halves from step 5 on), 6 (halves
    again), 8 (a plateau after the last halving: the run stops, converged)."""
    lr = 1e-12
    config = tiny_config(corpus, cache_dir, tmp_path, f"optim.lr={lr}", "optim.steps=40",
                         "optim.schedule=plateau", "optim.patience=1", "optim.lr_cuts=2",
                         "tracking.experiment=plateau")
    done = tracked_run(config)
    assert done.result.status == "FINISHED", done.result.reason
    m = done.result.metrics
    assert (m["train/steps"], m["convergence/stopped_early"], m[FLAG_METRIC]) == (8, 1, 1)
    rates = dict(done.history("train/lr"))
    assert [rates[s] / lr for s in (1, 4, 5, 6, 7, 8)] == pytest.approx(
        [1, 1, 0.5, 0.5, 0.25, 0.25])
    with pytest.raises(ValueError, match="patience >= 1"):
        tiny_config(corpus, cache_dir, tmp_path, "optim.schedule=plateau")


# -- determinism -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_same_seed_same_run_other_seed_other_run(reference: Tracked, corpus: Path,
                                                 cache_dir: Path, tmp_path: Path) -> None:
    again = tracked_run(tiny_config(corpus, cache_dir, tmp_path / "again", *BASE))
    assert again.result.status == "FINISHED" and again.result.key == reference.result.key
    assert again.result.run_id != reference.result.run_id
    assert same_metrics(again.result.metrics, reference.result.metrics)
    for name in ("train/loss", "val/loss"):
        assert again.history(name) == reference.history(name)

    other = tracked_run(tiny_config(corpus, cache_dir, tmp_path / "seed1", *BASE, "seed=1"))
    assert other.result.status == "FINISHED" and other.result.key != reference.result.key
    assert other.result.name == "complex-vq8-s1"
    assert other.result.metrics["test/si_sdr"] != reference.result.metrics["test/si_sdr"]
    assert other.history("train/loss") != reference.history("train/loss")


# -- the non-finite guard --------------------------------------------------------------------------
def check_failed_non_finite(tracked: Tracked) -> None:
    result = tracked.result
    assert result.status == "FAILED" and result.metrics == {}
    assert result.reason.startswith("NonFiniteError: "), result.reason
    assert "is nan at step" in result.reason or "is inf at step" in result.reason
    info = tracked.client.get_run(result.run_id)
    assert info.info.status == "FAILED"
    assert info.data.tags["failure_reason"] == result.reason
    assert "train/loss" in info.data.metrics  # the steps before the failure are kept
    assert not any(k.startswith("test/") for k in info.data.metrics)
    for name in info.data.metrics:
        assert finite([v for _, v in tracked.history(name)]), name


@pytest.mark.faults
def test_non_finite_loss_fails_the_run(corpus: Path, cache_dir: Path, tmp_path: Path) -> None:
    # Adam moves every weight by about lr per step: 1e30 overflows the next forward pass
    tracked = tracked_run(tiny_config(corpus, cache_dir, tmp_path, *BASE, "optim.lr=1e30",
                                      "optim.grad_clip=0"))
    check_failed_non_finite(tracked)
    assert tracked.history("train/loss")[0][0] == 1


def test_non_finite_validation_is_not_logged(corpus: Path, cache_dir: Path,
                                             tmp_path: Path) -> None:
    tracked = tracked_run(tiny_config(corpus, cache_dir, tmp_path, *BASE, "optim.lr=1e30",
                                      "optim.grad_clip=0", "eval.val_every=1"))
    check_failed_non_finite(tracked)


# -- resume after SIGKILL --------------------------------------------------------------------------
@pytest.mark.faults
@pytest.mark.slow
def test_resume_after_sigkill(reference: Tracked, corpus: Path, cache_dir: Path,
                              tmp_path: Path) -> None:
    config = tiny_config(corpus, cache_dir, tmp_path / "runs", *BASE)
    key = run_key(config)
    assert key == reference.result.key
    config_file, marker = tmp_path / "config.json", tmp_path / "paused"
    config_file.write_text(json.dumps(to_dict(config)))
    # the worker stops for good just before writing last.pt at step 6: metrics of steps 1-6
    # are in the store, the checkpoint on disk is the one of step 4
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(WORKER), str(config_file), str(marker), "6"],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            code = proc.poll()
            if code is not None:
                pytest.fail(f"worker ended ({code}) before step 6:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker did not reach step 6:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        busy = run(config, progress=False)  # the worker holds the run's claim: not trained twice
        assert busy.status == "BUSY" and f"pid={proc.pid}" in busy.reason, busy
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()

    ckpt_dir = checkpoint_dir(config, default_uri(config.tracking.runs_dir))
    state = torch.load(ckpt_dir / "last.pt", weights_only=True)
    assert state["step"] == 4
    run_id = state["run_id"]
    client = MlflowClient(default_uri(config.tracking.runs_dir))
    assert client.get_run(run_id).info.status == "RUNNING"
    stored = sorted(m.step for m in client.get_metric_history(run_id, "train/loss"))
    assert stored == [1, 2, 3, 4, 5, 6]

    # the kernel released the dead holder's claim: the same config resumes, in this process
    resumed = Tracked(config, run(config, progress=False, wait=True),
                      MlflowClient(default_uri(config.tracking.runs_dir)))
    assert resumed.result.status == "FINISHED", resumed.result.reason
    assert resumed.result.run_id == run_id
    exp = client.get_experiment_by_name("train-tests")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], f"tags.run_key = '{key}'")
    assert [(r.info.run_id, r.info.status) for r in runs] == [(run_id, "FINISHED")]
    for name in client.get_run(run_id).data.metrics:
        steps = Counter(s for s, _ in resumed.history(name))
        assert max(steps.values()) == 1, (name, steps)  # no step twice
    assert [s for s, _ in resumed.history("train/loss")] == list(range(1, STEPS + 1))
    assert [s for s, _ in resumed.history("val/loss")] == [2, 4, 6, 8]
    # exactly what the uninterrupted run computed, before and after the kill
    assert resumed.history("train/loss") == reference.history("train/loss")
    assert resumed.history("val/loss") == reference.history("val/loss")
    assert same_metrics(resumed.result.metrics, reference.result.metrics)


def test_the_corpus_is_described_by_final_metrics(reference: Tracked, corpus: Path) -> None:
    """``data/*``: clip counts of each split the run used, and the synthetic fraction read
    from the manifest's ``source`` column (clips whose source is a speech engine)."""
    from data_scripts.engines import ENGINES
    from data_scripts.manifest import read_manifest

    m = reference.result.metrics
    cfg = reference.config
    rows = read_manifest(corpus)
    assert m["data/train_clips"] == len(ManifestDataset(corpus, "training",
                                                        max_clips=cfg.data.max_train_clips))
    assert m["data/test_clips"] == m["test/n_clips"]
    synthetic = sum(r.source in ENGINES for r in rows) / len(rows)
    assert m["data/synthetic_fraction"] == pytest.approx(synthetic)
