"""Projected wall time of a whole profile, from measured training speed on this device.

For every distinct run of a profile (the ablations' grids x seeds, deduplicated by run key as the
sweeps share them), a few training steps of the run's own config (:class:`lab.step.Trainer` on
random features of the run's size) measure its steps/s here; the projection is

    T(1 device)  = sum over runs of steps / (steps/s)   (+ evaluation, not counted)
    T(N devices) = the makespan of the runs spread over N devices, longest first (the Ray
                   executor runs one trial per device; runs are independent)

Steps/s of one variant is measured once and reused for its seeds. Run on the GPU box to size the
paper profile (``--device cuda``); on the CPU it gives the quick profile's training budget.

Usage: ``python -m benchmarks.project_profile --profile paper --device cuda --gpus 1,4,8``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time

import torch

from benchmarks.bench_train_step import full_step
from experiments import codebook_size, real_vs_complex, seed_reproduction, vae_vs_vqvae
from lab.cli import base_config
from lab.config import RunConfig, apply_overrides, run_key, run_name
from lab.device import pick_device
from lab.profiles import PROFILES
from lab.sweep import expand
from lab.tracking import Tracker

ABLATIONS = {"real_vs_complex": real_vs_complex.grid, "vae_vs_vqvae": vae_vs_vqvae.grid,
             "codebook_size": codebook_size.grid, "seed_reproduction": seed_reproduction.grid}


def profile_runs(profile: str) -> list[RunConfig]:
    """Every distinct run of ``profile`` (first seen wins, as in the sweeps)."""
    args = argparse.Namespace(data=None, tracking_uri=None, wandb=None, runs_dir=None,
                              profile=profile, command="")
    seen: dict[str, RunConfig] = {}
    for name, grid in ABLATIONS.items():
        base = base_config(name, args)
        for cfg in expand(base, grid(profile), list(PROFILES[profile].seeds), []):
            seen.setdefault(run_key(cfg), cfg)
    return list(seen.values())


def variant(config: RunConfig) -> str:
    return run_key(dataclasses.replace(config, seed=0))


def makespan(durations: list[float], devices: int) -> float:
    """Longest-first list scheduling of independent jobs on ``devices`` workers."""
    loads = [0.0] * devices
    for d in sorted(durations, reverse=True):
        i = loads.index(min(loads))
        loads[i] += d
    return max(loads)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="paper")
    ap.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per variant (default 20)")
    ap.add_argument("--gpus", default="1,2,4,8", help="device counts to project for")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    runs = profile_runs(args.profile)
    print(f"{args.profile} profile: {len(runs)} distinct runs; device {device}, "
          f"torch {torch.__version__}")
    speed: dict[str, float] = {}
    durations: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        tracker = Tracker("", tmp, "project_profile", "off")
        tracker.start("projection", {}, {})
        for cfg in runs:
            key = variant(cfg)
            if key not in speed:
                cfg_dev = apply_overrides(cfg, [f"device={device.type}", "eval.log_every=1"])
                step = full_step(cfg_dev, device, tracker)
                step()  # warm-up
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(args.steps):
                    step()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                speed[key] = args.steps / (time.perf_counter() - t0)
                print(f"  {cfg.tracking.experiment:<18} {run_name(cfg):<32} "
                      f"{speed[key]:8.2f} steps/s  ({cfg.optim.steps} steps: "
                      f"{cfg.optim.steps / speed[key] / 60:.1f} min)")
            durations.append(cfg.optim.steps / speed[key])
        tracker.finish("FINISHED")
    for n in [int(g) for g in args.gpus.split(",") if g.strip()]:
        print(f"projected training time on {n} device(s): {makespan(durations, n) / 3600:.2f} h")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
