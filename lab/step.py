"""One training step of a run, lean enough that the step is the model's arithmetic.

:class:`Trainer` owns what a step touches: the batch order, the normalized batch, the objective
(:class:`lab.losses.ReconstructionLoss`) plus the bottleneck's terms, backward, global
gradient-norm clipping (``foreach``), the optimizer and the schedule. What is not forward,
backward or update is kept off the per-step path:

* no host sync per step: the logged scalars are summed on the device (:class:`Window`) and read
  once per ``eval.log_every`` steps, as interval means; a NaN or Inf in the loss or the gradient
  norm stays in the sum and raises :class:`NonFiniteError` at the end of the interval (before
  any validation or checkpoint, so nothing non-finite is logged or saved);
* no per-step formatting: the progress bar's postfix changes once per interval.

``benchmarks/bench_train_step.py`` times :meth:`Trainer.step` against the bare forward +
backward + Adam of the same model on the same batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
from torch import Tensor

from lab.loader import BatchOrder
from lab.losses import ReconstructionLoss
from lab.reconstruction import Reconstructor


class NonFiniteError(RuntimeError):
    """The loss or the gradient became NaN or Inf."""


class Window:
    """Training scalars summed on the device over one log interval, read with one host sync."""

    def __init__(self) -> None:
        self.sums: dict[str, Tensor] = {}
        self.steps = self.clips = 0
        self.seconds = 0.0

    def add(self, scalars: dict[str, Tensor], clips: int, seconds: float) -> None:
        for k, v in scalars.items():
            v = v.detach()
            self.sums[k] = self.sums[k] + v if k in self.sums else v
        self.steps += 1
        self.clips += clips
        self.seconds += seconds

    def flush(self, step: int) -> dict[str, float]:
        """The means since the last flush; :class:`NonFiniteError` when the loss or the gradient
        norm was NaN or Inf at any step of the interval."""
        keys = list(self.sums)
        values = torch.stack([self.sums[k].double() for k in keys]).tolist() if keys else []
        out = {k: v / self.steps for k, v in zip(keys, values, strict=True)}
        for key, what in (("train/loss", "loss"), ("train/grad_norm", "gradient norm")):
            if key in out and not math.isfinite(out[key]):
                raise NonFiniteError(f"{what} is {out[key]} at step {step} (or up to "
                                     f"{self.steps - 1} steps before)")
        out["train/clips_per_second"] = self.clips / self.seconds if self.seconds > 0 else 0.0
        self.sums, self.steps, self.clips, self.seconds = {}, 0, 0, 0.0
        return out


class Trainer:
    """``step(i)``: training step ``i`` on ``features[order(i)]``; returns the interval's
    metric means when step ``i + 1`` ends a log interval (or ``flush_at`` says so), else None."""

    def __init__(self, rec: Reconstructor, objective: ReconstructionLoss, features: Tensor,
                 order: BatchOrder, opt: torch.optim.Optimizer,
                 sched: torch.optim.lr_scheduler.LRScheduler, grad_clip: float,
                 log_every: int, device: torch.device,
                 flush_at: Callable[[int], bool] = lambda done: False) -> None:
        self.rec, self.model, self.objective = rec, rec.model, objective
        self.features, self.order, self.opt, self.sched = features, order, opt, sched
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.clip = grad_clip if grad_clip > 0 else math.inf
        self.log_every, self.device, self.flush_at = log_every, device, flush_at
        self.window = Window()
        self.data_seconds = self.train_seconds = 0.0
        self._zero = torch.zeros((), device=device)

    def step(self, step: int) -> dict[str, float] | None:
        t0 = time.perf_counter()
        x = self.rec.model_input(self.features[self.order(step)].to(self.device,
                                                                    non_blocking=True))
        t1 = time.perf_counter()
        recon, b = self.model(x)
        r, terms = self.objective(x, recon)
        loss = r + sum(b.losses.values(), self._zero)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.params, self.clip, foreach=True)
        lr = self.opt.param_groups[0]["lr"]  # the rate this step uses
        self.opt.step()
        self.sched.step()
        t2 = time.perf_counter()
        self.data_seconds += t1 - t0
        self.train_seconds += t2 - t0
        self.window.add({"train/loss": loss, "train/recon": r, "train/grad_norm": norm,
                         **{f"train/recon/{k}": v for k, v in terms.items()},
                         **{f"train/{k}": v for k, v in b.losses.items()},
                         **{f"train/{k}": v for k, v in b.metrics.items()}}, len(x), t2 - t0)
        done = step + 1
        if done % self.log_every and not self.flush_at(done):
            return None
        metrics = self.window.flush(done)
        metrics["train/lr"] = lr
        return metrics
