"""Run profiles: overrides applied to the base config before an ablation's grid, and seeds.

* ``smoke``: seconds per run, for CI (tiny models, a few clips, a few steps, one seed);
* ``quick``: the README's main job on 2 CPU cores: the default model (frames topology, width 64)
  on 16 ms STFT frames (n_fft 256, 129 bins), the whole training split, 240 steps of batch 8 at
  lr 2e-3, ten validations (so that convergence can be judged), 64 test clips, three seeds (a
  paired test needs them). One setting is for short training: the codebook's EMA decay is 0.8
  (it must follow an encoder that moves fast: 6.4 dB SI-SDR against 4.5 dB with 0.99 for the
  complex VQ-256 at 240 steps). The ablations' quick grids keep the complex models and the twins of
  the first question; the paper profile keeps every variant;
* ``reference``: the quick profile's models and grids (plus residual VQ at 8 bits in the codebook
  ablation, and a VAE at the VQ's rate: beta 3 with 8 free bits per vector) trained to a
  plateau: the plateau schedule (lr 2e-3 halved after 3 validations of 50 steps without a
  0.5 % improvement of ``val/recon``, stopped at the plateau after 3
  halvings; a cap of 3000 steps), so that every run ends converged by the project's criterion.
  Sized from single runs (recorded corpus, one thread each): the complex VQ-256 stopped at 1350
  steps with 10.07 dB (quick: 9.80), the plain AE at 1350 with 16.66 dB and PESQ 2.71 (quick:
  15.9, 2.26). Measured whole (``make reproduce PROFILE=reference``, fresh clone, environment
  cached): 4083 s, 27 runs of 1200-3000 steps, 26 converged;
* ``paper``: sized for one GPU (n_fft 512, width 128, the whole corpus, 20k steps, three seeds).

An ablation may shrink its grid for ``smoke`` (e.g. two codebook sizes instead of nine).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    overrides: tuple[str, ...]
    seeds: tuple[int, ...]


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", (
        "data.max_train_clips=16", "data.max_eval_clips=4", "optim.steps=4",
        "optim.batch_size=4", "eval.val_every=2", "eval.log_every=2", "eval.val_clips=4",
        "eval.examples=1", "eval.batch_size=4", "model.width=2", "model.latent_dim=2",
        "model.groups=2", "model.stages=1", "model.res_blocks=1", "vq.codebook_size=16",
        "tracking.profile=smoke"), (0,)),
    "quick": Profile("quick", (
        "data.max_eval_clips=64", "features.n_fft=256", "features.hop_length=128",
        "optim.steps=240", "optim.batch_size=8", "optim.lr=2e-3", "eval.val_every=24",
        "eval.val_clips=32", "eval.examples=2", "eval.batch_size=16", "vq.ema_decay=0.8",
        "tracking.profile=quick"), (0, 1, 2)),
    "reference": Profile("reference", (
        "data.max_eval_clips=64", "features.n_fft=256", "features.hop_length=128",
        "optim.steps=3000", "optim.batch_size=8", "optim.lr=2e-3", "optim.schedule=plateau",
        "optim.patience=3", "optim.lr_cuts=3", "eval.val_every=50", "eval.val_clips=64",
        "eval.examples=2", "eval.batch_size=16", "vq.ema_decay=0.8",
        "tracking.profile=reference"), (0, 1, 2)),
    "paper": Profile("paper", (
        "optim.steps=20000", "optim.batch_size=32", "optim.lr=1e-3", "eval.val_every=1000",
        "eval.val_clips=256", "eval.examples=4", "model.width=128", "tracking.profile=paper"),
        (0, 1, 2)),
}
