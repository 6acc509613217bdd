"""Real vs complex at a fixed bottleneck (VQ, K from the profile).

Runs: the complex model on the complex STFT; its parameter-matched and FLOP-matched real twins on
the planar (Re, Im) input; a parameter-matched real model on the log-magnitude (same latent bits),
inverted with Griffin-Lim (its oracle-phase control is logged by the same run under oracle/*;
not in the quick profile).
"""

from __future__ import annotations

from lab.cli import ablation_main

GRID = [
    ["model.domain=complex", "features.representation=stft"],
    ["model.twin=params", "features.representation=planar"],
    ["model.twin=flops", "features.representation=planar"],
]
# magnitude-only: no waveform to train through, so a spectral loss (lab.losses)
LOG_MAGNITUDE = ["model.twin=params", "features.representation=log_magnitude",
                 "loss.spectral=1", "loss.si_sdr=0", "loss.snr=0", "loss.mrstft=0",
                 "loss.compressed=0"]


def grid(profile: str) -> list[list[str]]:
    return GRID if profile in ("quick", "reference") else [*GRID, LOG_MAGNITUDE]


if __name__ == "__main__":
    raise SystemExit(ablation_main("real_vs_complex", __doc__, grid))
