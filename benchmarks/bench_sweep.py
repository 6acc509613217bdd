"""Sweep and tracking overheads, measured side by side in one run (the experiments issue's goals).

1. **Tracking overhead** (goal <= 2 % of run time): the same training run with MLflow tracking
   (sqlite store, batched logging, artifacts) and with a tracker that records nothing, alternated
   ``--rounds`` times; the ratio of median wall times. The store is created before timing (a
   sweep creates it once; creating its tables takes seconds).
2. **Two local workers** (goal >= 1.6x the throughput of one): the same runs (``--runs`` seeds)
   by the local executor with ``--jobs 1`` (one process, all cores) and ``--jobs 2`` (two worker
   processes, half the cores each); runs per second.
3. **Ray vs local** (goal: within 15 %): the same runs by the Ray executor (local cluster
   started by the sweep, included in its time) and the local one, both with 2 jobs.
4. **Data loading** (goal <= 5 % of training time): ``train/data_fraction`` of the runs
   (time fetching and normalizing batches / time of the training loop).

Each sweep writes to a fresh runs directory (nothing skipped) and shares one feature cache
(filled before timing). Usage: ``python -m benchmarks.bench_sweep [--profile quick] [--runs 4]
[--steps N] [--data data/recorded]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lab.config import RunConfig, apply_overrides
from lab.profiles import PROFILES
from lab.sweep import expand, run_sweep
from lab.tracking import Tracker


class NullTracker(Tracker):
    """Records nothing: the baseline of the tracking-overhead measurement."""

    def __init__(self) -> None:  # no store
        self.run_id = "null"
        self.uri = self.experiment = "null"

    def finished(self, run_key: str) -> str | None:
        return None

    def start(self, run_name: str, tags: dict[str, str], params: dict[str, Any]) -> str:
        return "null"

    def resume(self, run_id: str, run_name: str, params: dict[str, Any]) -> None:
        return None

    def log(self, metrics: dict[str, float], step: int) -> None:
        return None

    def flush(self) -> bool:
        return True

    def artifact(self, path: str | Path, subdir: str | None = None) -> None:
        return None

    def finish(self, status: str, reason: str = "", retries: int = 3) -> None:
        return None


def base_config(args: argparse.Namespace, runs: Path, cache: Path) -> RunConfig:
    overrides = [*PROFILES[args.profile].overrides, f"data.root={args.data}",
                 f"data.cache_dir={cache}", f"tracking.runs_dir={runs}",
                 "tracking.experiment=bench_sweep", "device=cpu"]
    if args.steps:
        overrides += [f"optim.steps={args.steps}", f"eval.val_every={max(1, args.steps // 4)}"]
    return apply_overrides(RunConfig(), overrides)


def timed_sweep(args: argparse.Namespace, cache: Path, executor: str, jobs: int) -> tuple[
        float, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        configs = expand(base_config(args, Path(tmp), cache), [[]], range(args.runs))
        t0 = time.perf_counter()
        summary = run_sweep(configs, executor, jobs, progress=False)
        seconds = time.perf_counter() - t0
        if summary.count("FINISHED") != args.runs:
            raise SystemExit(f"{executor} x{jobs}: {summary.report()}")
        fractions = [r.metrics.get("train/data_fraction", float("nan"))
                     for r in summary.results]
    return seconds, fractions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="quick", choices=sorted(PROFILES))
    ap.add_argument("--runs", type=int, default=4, help="runs per sweep (seeds)")
    ap.add_argument("--steps", type=int, default=0, help="training steps (default: profile's)")
    ap.add_argument("--rounds", type=int, default=3, help="tracking-overhead rounds")
    ap.add_argument("--data", default="data/recorded")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--skip-workers", action="store_true", help="skip parts 2 and 3")
    ap.add_argument("--skip-tracking", action="store_true", help="skip part 1")
    args = ap.parse_args(argv)
    from lab.train import run

    ok = True
    with tempfile.TemporaryDirectory() as cache_tmp:
        cache = Path(cache_tmp)
        with tempfile.TemporaryDirectory() as tmp:  # fill the feature cache, untimed
            run(base_config(args, Path(tmp), cache), progress=False, tracker=NullTracker())
        tracked: list[float] = []
        untracked: list[float] = []
        rounds = 0 if args.skip_tracking else args.rounds
        with tempfile.TemporaryDirectory() as store:  # one store, created before timing
            run(apply_overrides(base_config(args, Path(store), cache), ["seed=1000"]),
                progress=False)
            for i in range(rounds):  # new seeds: new run keys, nothing resumed or skipped
                for tracker, times in ((None, tracked), (NullTracker(), untracked)):
                    with tempfile.TemporaryDirectory() as tmp:
                        where = Path(store) if tracker is None else Path(tmp)
                        cfg = apply_overrides(base_config(args, where, cache), [f"seed={i}"])
                        t0 = time.perf_counter()
                        run(cfg, progress=False, tracker=tracker)
                        times.append(time.perf_counter() - t0)
        if rounds:
            overhead = statistics.median(tracked) / statistics.median(untracked) - 1
            print(f"tracking: run {statistics.median(untracked):.1f} s untracked, "
                  f"{statistics.median(tracked):.1f} s with MLflow -> overhead "
                  f"{overhead:+.1%} (goal <= 2 %)")
            ok &= overhead <= 0.02
        if args.skip_workers:
            return 0 if ok else 1
        one, fractions = timed_sweep(args, cache, "local", 1)
        two, more = timed_sweep(args, cache, "local", 2)
        speedup = one / two
        print(f"local executor, {args.runs} runs: 1 job {one:.1f} s, 2 jobs {two:.1f} s -> "
              f"{speedup:.2f}x throughput (goal >= 1.6x)")
        ok &= speedup >= 1.6
        if not args.skip_ray:
            ray_s, _ = timed_sweep(args, cache, "ray", 2)
            ratio = ray_s / two
            print(f"ray executor, 2 jobs: {ray_s:.1f} s -> {ratio:.2f}x the local executor "
                  f"(goal <= 1.15x)")
            ok &= ratio <= 1.15
        frac = statistics.median(fractions + more)
        print(f"data loading: median train/data_fraction {frac:.1%} (goal <= 5 %)")
        ok &= frac <= 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
