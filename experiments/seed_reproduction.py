"""The seed's mel VQ-VAE (vq.presets.SEED_VQVAE on lab.features.SEED_MEL) as the seed trained it
(linear power mel, no normalization, Adam 2e-4, batch 16, Griffin-Lim 32 iterations) against our
corrected version (log mel, normalized by training-split statistics). Both quantize each
time-frequency position (the seed's channel-map reshape is not reproduced: it is a bug) and are
evaluated on the held-out test split with every metric.
"""

from __future__ import annotations

from lab.cli import ablation_main

SEED = ["model.preset=seed_vqvae", "model.domain=real", "features.n_fft=1024",
        "features.hop_length=512", "features.n_mels=128", "features.mel_scale=htk",
        "features.mel_norm=none", "features.griffin_lim_iters=32", "optim.lr=2e-4",
        "optim.batch_size=16", "optim.schedule=constant", "optim.grad_clip=0"]


def grid(profile: str) -> list[list[str]]:
    return [[*SEED, "features.representation=mel", "data.normalize=false"],
            [*SEED, "features.representation=log_mel", "data.normalize=true"]]


if __name__ == "__main__":
    raise SystemExit(ablation_main("seed_reproduction", __doc__, grid))
