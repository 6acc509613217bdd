"""Peak memory of one call of a step, above what was allocated before it.

CUDA: ``torch.cuda.max_memory_allocated`` after a reset. CPU: the allocation timeline of
``torch.profiler`` (``profile_memory=True``): each operator's own allocations at its start
(``self_cpu_memory_usage``), each free (a ``[memory]`` event with a negative size) at its time;
the peak of the running sum.
"""

from __future__ import annotations

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks._timing import Step


def peak_bytes(step: Step, device: torch.device) -> int:
    """Peak bytes allocated during one ``step()`` beyond those held before it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return int(torch.cuda.max_memory_allocated(device) - base)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    timeline: list[tuple[float, int]] = []
    for e in prof.events():
        if e.name == "[memory]":
            timeline.append((e.time_range.start, e.cpu_memory_usage))
        elif e.self_cpu_memory_usage != 0:
            timeline.append((e.time_range.start, e.self_cpu_memory_usage))
    running = peak = 0
    for _, size in sorted(timeline, key=lambda t: t[0]):
        running += size
        peak = max(peak, running)
    return peak
