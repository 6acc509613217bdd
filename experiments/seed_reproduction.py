"""The seed's mel VQ-VAE (vq.presets.SEED_VQVAE on lab.features.SEED_MEL) as the seed trained it
(linear power mel, no normalization, Adam 2e-4, batch 16, Griffin-Lim 32 iterations) against our
corrected version (log mel, normalized by training-split statistics). Both quantize each
time-frequency position (the seed's channel-map reshape is not reproduced: it is a bug) and are
evaluated on the held-out test split with every metric.

Profile ``paper`` trains the preset as is (256 channels, K = 512, D = 256); ``quick`` and
``smoke`` keep its topology (two stride-2 stages at constant width, two residual blocks, EMA decay
0.999) at 16 and 4 channels, so that they fit 2 CPU cores.
"""

from __future__ import annotations

from lab.cli import ablation_main

SEED = ["model.domain=real", "features.n_fft=1024",
        "features.hop_length=512", "features.n_mels=128", "features.mel_scale=htk",
        "features.mel_norm=none", "features.griffin_lim_iters=32", "optim.lr=2e-4",
        "optim.batch_size=16", "optim.schedule=constant", "optim.grad_clip=0",
        # mels carry no phase: a spectral loss (lab.losses)
        "loss.spectral=1", "loss.si_sdr=0", "loss.snr=0", "loss.mrstft=0", "loss.compressed=0"]


SMALL = {"quick": 16, "smoke": 4}


def model(profile: str) -> list[str]:
    if profile not in SMALL:
        return ["model.preset=seed_vqvae"]
    w = SMALL[profile]
    return ["model.bottleneck=vq", "model.arch=conv2d", f"model.width={w}", "model.growth=1",
            "model.stages=2",
            "model.res_blocks=2", f"model.latent_dim={w}", f"vq.codebook_size={2 * w}",
            "vq.ema_decay=0.999"]


def grid(profile: str) -> list[list[str]]:
    base = [*SEED, *model(profile)]
    return [[*base, "features.representation=mel", "data.normalize=false"],
            [*base, "features.representation=log_mel", "data.normalize=true"]]


if __name__ == "__main__":
    raise SystemExit(ablation_main("seed_reproduction", __doc__, grid))
