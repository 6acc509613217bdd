"""Real vs complex at a fixed bottleneck (VQ, K from the profile).

Runs: the complex model on the complex STFT; its parameter-matched and FLOP-matched real twins on
the planar (Re, Im) input; a parameter-matched real model on the log-magnitude (same latent bits),
inverted with Griffin-Lim (its oracle-phase control is logged by the same run under oracle/*).
"""

from __future__ import annotations

from lab.cli import ablation_main

GRID = [
    ["model.domain=complex", "features.representation=stft"],
    ["model.twin=params", "features.representation=planar"],
    ["model.twin=flops", "features.representation=planar"],
    ["model.twin=params", "features.representation=log_magnitude"],
]


def grid(profile: str) -> list[list[str]]:
    return GRID


if __name__ == "__main__":
    raise SystemExit(ablation_main("real_vs_complex", __doc__, grid))
