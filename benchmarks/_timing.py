"""Interleaved timing: every method runs once per round, so drift on a shared machine hits all
methods alike; each method's ratio is the median over rounds of (its time / the floor's time in the
same round)."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

Step = Callable[[], None]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(steps: dict[str, Step], floor: str, rounds: int, warmup: int,
                device: torch.device) -> dict[str, tuple[float, float]]:
    """Run ``steps`` round-robin; return ``name -> (median seconds, median ratio to floor)``."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    sync(device)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            sync(device)
            t0 = time.perf_counter()
            step()
            sync(device)
            times[name].append(time.perf_counter() - t0)
    out = {}
    for name, ts in times.items():
        ratios = [t / f for t, f in zip(ts, times[floor], strict=True)]
        out[name] = (statistics.median(ts), statistics.median(ratios))
    return out


def report(title: str, results: dict[str, tuple[float, float]], goal: float | None,
           ours: str) -> bool:
    """Print a table of ratios; return whether ``ours`` meets ``goal`` (True when no goal)."""
    print(f"\n{title}")
    print(f"  {'method':<44} {'median ms':>10} {'x floor':>8}")
    for name, (t, r) in results.items():
        print(f"  {name:<44} {t * 1e3:>10.2f} {r:>8.3f}")
    if goal is None:
        return True
    ok = results[ours][1] <= goal
    print(f"  goal: {ours} <= {goal:.2f}x floor -> {'met' if ok else 'NOT met'}")
    return ok


def timing_parser(doc: str | None, rounds: int, warmup: int) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares: rounds, warmup, device."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=rounds, help=f"timed rounds (default {rounds})")
    ap.add_argument("--warmup", type=int, default=warmup,
                    help=f"untimed rounds first (default {warmup})")
    ap.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    return ap
