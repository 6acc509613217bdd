"""Run profiles: overrides applied to the base config before an ablation's grid, and seeds.

* ``smoke``: seconds per run, for CI (tiny models, a few clips, a few steps, one seed);
* ``quick``: the README's main job on 2 CPU cores: the default model (frames topology, width 64)
  on 16 ms STFT frames (n_fft 256, 129 bins), the whole training split, 240 steps of batch 8 at
  lr 2e-3, ten validations (so that convergence can be judged), 64 test clips, three seeds (a
  paired test needs them). One setting is for short training: the codebook's EMA decay is 0.8
  (it must follow an encoder that moves fast: 6.4 dB SI-SDR against 4.5 dB with 0.99 for the
  complex VQ-256 at 240 steps). The ablations' quick grids keep the complex models and the twins of
  the first question; the paper profile keeps every variant;
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
    "paper": Profile("paper", (
        "optim.steps=20000", "optim.batch_size=32", "optim.lr=1e-3", "eval.val_every=1000",
        "eval.val_clips=256", "eval.examples=4", "model.width=128", "tracking.profile=paper"),
        (0, 1, 2)),
}
