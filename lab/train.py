"""One training run: train, validate, checkpoint, evaluate on the test split, track everything.

``run(config)`` trains the autoencoder of :func:`lab.build.model_config` on normalized features
(:mod:`lab.data`) with the reconstruction objective of :mod:`lab.losses` (``loss.*`` weights:
negative SI-SDR and the compressed complex spectral loss of the de-normalized, iSTFT-inverted
output by default) plus the
bottleneck's terms (:mod:`vq.base`); one step is :meth:`lab.step.Trainer.step`.

* Device: CUDA when present (``device=auto``), else CPU. Seeding: ``torch.manual_seed(seed)``
  before the model is built; batch order from ``(seed, epoch)``; the RNG state is checkpointed,
  so on the CPU the same config and seed give the same metrics, resumed or not.
* Adam or AdamW, linear warm-up then a cosine, constant or plateau schedule (the rate halved
  after ``optim.patience`` validations without improvement, the run stopped at the plateau
  after ``optim.lr_cuts`` halvings: :func:`lab.convergence.plateau_schedule`), global
  gradient-norm clipping. A non-finite loss or gradient stops the run: it is marked FAILED with
  the reason and nothing non-finite is logged.
* Every ``eval.val_every`` steps: validation loss, a flush of the buffered metrics and atomic
  checkpoints in :func:`checkpoint_dir`: ``best-<step>.pt`` when the validation reconstruction
  objective ``val/recon`` (:data:`SELECT_METRIC`: the loss without the bottleneck's terms)
  improved,
  then ``last.pt`` (which names the best file; older best files are removed only after it is
  written, so a kill never leaves a best checkpoint that ``last.pt`` does not know).
* Early stopping (``optim.patience`` > 0, :func:`lab.convergence.plateaued` of ``val/recon``,
  as is the convergence flag): training ends at
  the validation after which ``patience`` validations have not improved on the best by
  ``optim.min_delta``; ``optim.steps`` is then the cap. Final metrics are logged at the last
  step run, with ``train/steps`` and ``convergence/stopped_early``.
* Resume: the same config finds its checkpoint (by run key) and continues from its step in the
  same tracked run (histories without duplicated or missing steps: :mod:`lab.tracking`).
* At the end: every metric of :mod:`lab.evaluate` on the test split (with the best weights), the
  quality metrics on the other sets of :mod:`lab.eval_sets` (``unseen/*`` on voices never heard,
  ``cross/*`` on another corpus, ``prompt/*`` on whole prompts), reconstructed examples (WAV,
  figures), the model, the normalizer and the config as artifacts.

Metric histories (training ones as means over ``eval.log_every`` steps; ``train/lr`` is the rate
of the interval's last step): ``train/loss``,
``train/recon``, ``train/recon/<term>`` (terms with a weight), ``train/<bottleneck term>``,
``train/<bottleneck metric>``, ``train/lr``, ``train/grad_norm``, ``train/clips_per_second``,
``val/loss``, ``val/recon``, ``val/recon/<term>`` (every term), ``time/train_seconds`` (wall-clock
seconds of training, steps and validations, up to this validation; carried across a resume, so
quality can be read against time as well as steps); then ``train/data_fraction``
(time spent fetching batches / training time) and :mod:`lab.convergence`'s
``convergence/val_rel_change`` and ``convergence/converged`` (from the validation history, which
checkpoints carry, so a resumed run judges its whole history).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from lab import checkpoint as ckpt
from lab.artifacts import save_model, write_examples
from lab.build import model_config
from lab.claim import RunClaim
from lab.config import RunConfig, param_values, run_key, run_name, to_dict
from lab.convergence import (
    CHANGE_METRIC,
    FLAG_METRIC,
    STOPPED_METRIC,
    is_converged,
    plateau_schedule,
    plateaued,
    relative_change,
)
from lab.corpus import check_run_corpora
from lab.data import RunData, corpus_metrics, load_run_data, spread
from lab.device import pick_device
from lab.eval_sets import eval_sets, prompt_waves, waves
from lab.evaluate import evaluate, score_prompts
from lab.features import FeatureTransform
from lab.loader import BatchOrder
from lab.losses import ReconstructionLoss
from lab.progress import progress as progress_bar
from lab.reconstruction import Reconstructor
from lab.step import NonFiniteError, Trainer
from lab.tracking import Tracker, TrackingUnavailableError, default_uri
from vq.autoencoder import SpectrogramAutoencoder

log = logging.getLogger(__name__)
CLOCK_METRIC = "time/train_seconds"
# what picks the best checkpoint, stops a run early and judges convergence: the reconstruction
# objective, without the bottleneck's auxiliary terms (a VQ's commitment loss grows with the
# encoder's scale while quality still improves: on the recorded corpus, lr 1e-3, val/loss was
# lowest at step 200 of 1200 while validation SI-SDR rose from 8.7 to 9.4 dB)
SELECT_METRIC = "val/recon"


SPOOLED = "SPOOLED"  # trained, but the store was away at its end: replay its spool
ELSEWHERE = "finished by another process"  # the reason of a run skipped after waiting for it


@dataclass
class RunResult:
    key: str
    name: str
    status: str  # FINISHED | FAILED | SKIPPED | BUSY (claimed by another process) | SPOOLED
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    run_id: str = ""


def git_state() -> dict[str, str]:
    """The commit and whether the tree has uncommitted changes ("unknown" outside git)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    return {"git_commit": commit, "git_dirty": str(bool(dirty)).lower()}


def lr_factor(step: int, config: RunConfig) -> float:
    o = config.optim
    warm = min(1.0, (step + 1) / o.warmup_steps) if o.warmup_steps else 1.0
    if o.schedule in ("constant", "plateau"):  # plateau: halvings applied by the loop
        return warm
    return warm * 0.5 * (1.0 + math.cos(math.pi * min(step, o.steps) / max(1, o.steps)))


@torch.no_grad()
def validate(model: SpectrogramAutoencoder, rec: Reconstructor, objective: ReconstructionLoss,
             val: Tensor, limit: int, batch_size: int, device: torch.device) -> dict[str, float]:
    """``val/loss`` (the training objective), ``val/recon`` and every ``val/recon/<term>``,
    means over ``limit`` evenly spread validation clips."""
    was = model.training
    model.eval()
    data = val[spread(len(val), limit)]
    sums: dict[str, float] = {}
    for i in range(0, len(data), batch_size):
        x = rec.model_input(data[i:i + batch_size].to(device))
        out, b = model(x)
        r, terms = objective.evaluate(x, out)
        loss = r + sum(b.losses.values(), torch.zeros((), device=device))
        values = {"val/loss": loss, "val/recon": r,
                  **{f"val/recon/{k}": v for k, v in terms.items()}}
        for k, v in values.items():
            sums[k] = sums.get(k, 0.0) + float(v) * len(x)
    model.train(was)
    return {k: v / len(data) for k, v in sums.items()}


def _params(config: RunConfig, key: str) -> dict[str, Any]:
    out = param_values(config)
    del out["tracking.command"]  # a tag: the same run may be resumed by another command
    out["run_key"] = key
    return out


def run(config: RunConfig, progress: bool = True, tracker: Tracker | None = None,
        wait: bool = False) -> RunResult:
    """Train and evaluate one run (resuming it if it has a checkpoint); see the module docs.

    The run is trained only under its claim (:mod:`lab.claim`): when another process holds it,
    the result is ``BUSY`` (the holder named in ``reason``), or with ``wait`` this waits for the
    holder and then skips the run it finished (or resumes the one it left)."""
    key, name = run_key(config), run_name(config)
    check_run_corpora(config)  # a ConfigError before anything is in the store
    t = config.tracking
    tracker = tracker or Tracker(t.uri, t.runs_dir, t.experiment, t.wandb)
    done = tracker.finished(key)  # done before, maybe by another ablation
    if done is not None:
        return RunResult(key, name, "SKIPPED", run_id=done)
    ckpt_dir = checkpoint_dir(config, tracker.uri)
    claim = RunClaim(claim_path(ckpt_dir))
    if not claim.acquire():
        holder = claim.holder() or "another process"
        if not wait:
            return RunResult(key, name, "BUSY", reason=f"being trained by {holder}")
        log.warning("%s is being trained by %s: waiting for it", name, holder)
        claim.acquire(wait=True)
    with claim:
        done = tracker.finished(key)  # the holder may have finished it meanwhile
        if done is not None:
            return RunResult(key, name, "SKIPPED", reason=ELSEWHERE, run_id=done)
        return _claimed_run(config, key, name, tracker, ckpt_dir, progress)


def _claimed_run(config: RunConfig, key: str, name: str, tracker: Tracker, ckpt_dir: Path,
                 progress: bool) -> RunResult:
    try:
        state = ckpt.load(ckpt_dir / "last.pt")
    except ckpt.CheckpointError as err:  # refused before the store is touched
        log.error("run %s (%s) not started: %s", name, key, err)
        return RunResult(key, name, "FAILED", reason=str(err))
    params = _params(config, key)
    started = _resume_or_start(tracker, ckpt_dir, state, name, key, params, config)
    if not started:
        state = None
    assert tracker.run_id is not None
    result = RunResult(key, name, "FAILED", run_id=tracker.run_id)
    try:
        result.metrics = _train_and_evaluate(config, key, tracker, ckpt_dir, state, progress)
    except KeyboardInterrupt:
        tracker.finish("KILLED", "interrupted")
        raise
    except Exception as err:  # the run failed: say why, keep the sweep going
        result.reason = f"{type(err).__name__}: {err}"
        # a full disk or a lost folder is the machine's, not the code's: no traceback for it
        trace = "" if isinstance(err, OSError) else "\n" + traceback.format_exc()
        log.error("run %s (%s) failed: %s%s", name, key, result.reason, trace)
        return _end(tracker, result, "FAILED")
    return _end(tracker, result, "FINISHED")


def _end(tracker: Tracker, result: RunResult, status: str) -> RunResult:
    """End the tracked run; when the store is away at the end, the run's metrics, artifacts
    and end wait in its spool (:mod:`lab.tracking`): the result is ``SPOOLED``, its reason the
    one line that says how to replay them."""
    try:
        tracker.finish(status, result.reason if status == "FAILED" else "")
    except TrackingUnavailableError as err:
        log.error("run %s: %s", result.name, err)
        result.status, result.reason = SPOOLED, str(err)
        return result
    except Exception as err:  # the store refuses the end (e.g. its disk is full)
        text = " ".join(str(err).split()).split(" [SQL:")[0]  # SQLAlchemy appends the query
        first = (text or type(err).__name__)[:300]
        log.error("run %s: its end (%s) could not be recorded: %s", result.name, status, first)
        result.status = "FAILED"
        result.reason = (f"{result.reason}; " if result.reason else "") + (
            f"the store could not record the run's end: {first}")
        return result
    result.status = status
    return result


def check_checkpoints(configs: list[RunConfig]) -> None:
    """:class:`lab.checkpoint.CheckpointError` for the first run whose ``last.pt`` holds code or
    cannot be read: a sweep refuses it before anything is created (CLIs: one line, exit 2)."""
    for config in configs:
        t = config.tracking
        ckpt.load(checkpoint_dir(config, t.uri or default_uri(Path(t.runs_dir))) / "last.pt")


def claim_path(ckpt_dir: Path) -> Path:
    """The claim file of the run whose checkpoints are in ``ckpt_dir``: ``<run key>.lock``
    beside that folder (so that clearing a run's checkpoints keeps its claim)."""
    return ckpt_dir.parent / f"{ckpt_dir.name}.lock"


def checkpoint_dir(config: RunConfig, uri: str) -> Path:
    """``<runs dir>/checkpoints/<tracking store hash>/<run key>``: a run's checkpoints belong to
    the tracked run they continue, so another store starts its own."""
    store = hashlib.sha256(uri.encode()).hexdigest()[:8]
    return Path(config.tracking.runs_dir) / "checkpoints" / store / run_key(config)


def _resume_or_start(tracker: Tracker, ckpt_dir: Path, state: dict[str, Any] | None, name: str,
                     key: str, params: dict[str, Any], config: RunConfig) -> bool:
    """Reopen the tracked run of an earlier attempt (True: train from ``state`` if any), or
    start a new one (False). The run id is written next to the checkpoints at once, so an
    attempt killed before its first checkpoint is continued, not duplicated."""
    marker = ckpt_dir / "run.json"
    run_id = (state or {}).get("run_id") or (
        json.loads(marker.read_text())["run_id"] if marker.is_file() else None)
    if run_id:
        try:
            tracker.resume(run_id, name, params)
            return state is not None
        except Exception as err:  # deleted from the store meanwhile: start over
            log.warning("cannot reopen run %s (%s); starting a new one", run_id, err)
    tags = tracker.run_tags(key, config.tracking.profile, git_state(), config.tracking.command)
    tracker.start(name, tags, params)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": tracker.run_id}) + "\n")
    for stale in [ckpt_dir / "last.pt", *ckpt_dir.glob("best-*.pt")]:
        stale.unlink(missing_ok=True)
    return False


def _train_and_evaluate(config: RunConfig, key: str, tracker: Tracker, ckpt_dir: Path,
                        state: dict[str, Any] | None, progress: bool) -> dict[str, float]:
    device = pick_device(config.device)
    transform = FeatureTransform(config.features)
    data: RunData = load_run_data(config, transform)
    torch.manual_seed(config.seed)
    model = SpectrogramAutoencoder(model_config(config)).to(device)
    rec = Reconstructor(transform, model, data.normalizer).to(device)
    o = config.optim
    opt_cls = torch.optim.AdamW if o.optimizer == "adamw" else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    cuts = [0]  # the plateau schedule's halvings so far (from the validation history)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: lr_factor(s, config) * 0.5 ** cuts[0])
    start, best, best_file = 0, math.inf, ""
    val_history: list[tuple[int, float]] = []
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start, best = int(state["step"]), float(state["best_val"])
        best_file = str(state.get("best_file", ""))
        ckpt.set_rng_state(state["rng"])
        val_history = [(int(a), float(b)) for a, b in state.get("val_history", [])]
        if state.get("select_metric", "val/loss") != SELECT_METRIC:  # judged on another metric
            best, val_history = math.inf, []
    objective = ReconstructionLoss(config.loss, rec)

    def validating(done: int) -> bool:
        return done % config.eval.val_every == 0 or done == o.steps

    def stopped(history: list[tuple[int, float]]) -> bool:  # early, on a plateau
        losses = [v for _, v in history]
        if o.schedule == "plateau":
            cuts[0], stop = plateau_schedule(losses, o.patience, o.min_delta, o.lr_cuts)
            return stop
        return plateaued(losses, o.patience, o.min_delta)

    trainer = Trainer(rec, objective, data.train,
                      BatchOrder(len(data.train), o.batch_size, config.seed), opt, sched,
                      o.grad_clip, config.eval.log_every, device, flush_at=validating)
    model.train()
    clock0, elapsed0 = time.perf_counter(), float((state or {}).get("train_seconds", 0.0))
    end = start if stopped(val_history) else o.steps  # a resumed run that had stopped early
    bar = progress_bar(range(start, end), initial=start, total=o.steps,
                       desc=run_name(config), unit="step", disable=not progress)
    postfix: dict[str, str] = {}  # the latest training and validation losses
    for step in bar:
        metrics = trainer.step(step)  # the interval's means at its end, else None
        done = step + 1
        if metrics is not None:
            tracker.log(metrics, done)
            postfix["loss"] = f"{metrics['train/loss']:.4f}"
            bar.set_postfix(postfix, refresh=False)
        if validating(done):
            val = validate(model, rec, objective, data.val, config.eval.val_clips,
                           config.eval.batch_size, device)
            if not all(math.isfinite(v) for v in val.values()):
                raise NonFiniteError(f"validation loss is {val['val/loss']} at step {done}")
            seconds = elapsed0 + time.perf_counter() - clock0  # steps and validations so far
            tracker.log({**val, CLOCK_METRIC: seconds}, done)
            val_history.append((done, val[SELECT_METRIC]))
            stop = stopped(val_history)  # (sets the plateau schedule's halvings)
            if o.schedule == "plateau":  # a new halving applies from the next step on
                for group, base in zip(opt.param_groups, sched.base_lrs, strict=True):
                    group["lr"] = base * lr_factor(sched.last_epoch, config) * 0.5 ** cuts[0]
            postfix["val"] = f"{val['val/loss']:.4f}"
            bar.set_postfix(postfix, refresh=False)
            if val[SELECT_METRIC] < best:  # a new file: the best of last.pt stays until replaced
                best, best_file = val[SELECT_METRIC], f"best-{done}.pt"
                ckpt.save_atomic({"model": model.state_dict(), "step": done, "best_val": best},
                                 ckpt_dir / best_file)
            tracker.flush()
            ckpt.save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                              "scheduler": sched.state_dict(), "step": done, "best_val": best,
                              "best_file": best_file, "rng": ckpt.rng_state(),
                              "train_seconds": seconds,
                              "run_id": tracker.run_id, "val_history": val_history,
                              "select_metric": SELECT_METRIC,
                              "normalizer": data.normalizer.state_dict()},
                             ckpt_dir / "last.pt")
            for old in ckpt_dir.glob("best-*.pt"):
                if old.name != best_file:
                    old.unlink(missing_ok=True)
            if stop:
                break
    bar.close()
    last = val_history[-1][0] if stopped(val_history) else o.steps
    data_seconds, train_seconds = trainer.data_seconds, trainer.train_seconds
    if train_seconds > 0:
        tracker.log({"train/data_fraction": data_seconds / train_seconds}, last)
    change = relative_change([s for s, _ in val_history], [v for _, v in val_history], last)
    best_state = ckpt.load(ckpt_dir / best_file) if best_file else None
    if best_state is not None:
        model.load_state_dict(best_state["model"])
    test, *others = eval_sets(config)
    test_waves = waves(test, config)
    result = evaluate(rec, test_waves, config.eval.batch_size, n_examples=config.eval.examples,
                      progress=progress, flops_batch=o.batch_size, vae_seed=config.seed,
                      names=test.metrics)
    final = dict(result.metrics)
    scored = {"test": len(test_waves)}
    for s in others:  # unseen voices, another corpus, whole prompts: quality metrics only
        if s.whole:
            prompts = prompt_waves(s, config)
            final.update(score_prompts(rec, prompts, config.eval.batch_size, s.prefix,
                                       config.seed, s.metrics))
            scored[s.prefix] = len(prompts)
            continue
        clips = waves(s, config)
        extra = evaluate(rec, clips, config.eval.batch_size, progress=progress, prefix=s.prefix,
                         flops_batch=o.batch_size, vae_seed=config.seed, names=s.metrics)
        final.update({k: v for k, v in extra.metrics.items() if k.startswith(f"{s.prefix}/")})
        scored[s.prefix] = len(clips)
    final.update(corpus_metrics(config, train=len(data.train), validation=len(data.val),
                                **scored))
    converged = True if last < o.steps else is_converged(change)
    if converged is not None:  # None with too few validations: nothing to say
        final[CHANGE_METRIC] = change
        final[FLAG_METRIC] = float(converged)
    if o.patience:
        final[STOPPED_METRIC] = float(last < o.steps)
        final["train/steps"] = float(last)
    if train_seconds > 0:
        final["train/data_fraction"] = data_seconds / train_seconds
    tracker.log(final, last)
    tracker.flush()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in write_examples(result.examples, folder / "examples",
                                   config.features.sample_rate):
            tracker.artifact(path, "examples")
        save_model(model, data.normalizer, folder / "model")
        for path in sorted((folder / "model").iterdir()):
            tracker.artifact(path, "model")
        (folder / "config.json").write_text(json.dumps(to_dict(config), indent=2) + "\n")
        tracker.artifact(folder / "config.json")
        if result.code_counts is not None:  # the test clips' code histogram (analysis plots it)
            (folder / "counts.json").write_text(json.dumps(result.code_counts) + "\n")
            tracker.artifact(folder / "counts.json", "codebook")
    return final
