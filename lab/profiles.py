"""Run profiles: overrides applied to the base config before an ablation's grid, and seeds.

* ``smoke``: seconds per run, for CI (tiny models, a few clips, a few steps, one seed);
* ``quick``: the README's main job on 2 CPU cores in about 15 minutes with everything else:
  small models (16 ms STFT frames), 800 training clips, 40 steps, two seeds so that a confidence
  interval can be shown. It shows the whole pipeline, not converged models: quality numbers from
  it are far below the ``paper`` profile's;
* ``paper``: sized for one GPU (the default sizes, the whole corpus, three seeds).

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
        "optim.batch_size=4", "eval.val_every=2", "eval.val_clips=4", "eval.examples=1",
        "eval.batch_size=4", "model.width=2", "model.latent_dim=2", "model.stages=1",
        "vq.codebook_size=16", "tracking.profile=smoke"), (0,)),
    "quick": Profile("quick", (
        "data.max_train_clips=800", "data.max_eval_clips=32", "features.n_fft=256",
        "features.hop_length=128", "optim.steps=40", "optim.batch_size=8", "optim.lr=1e-3",
        "eval.val_every=40", "eval.val_clips=32", "eval.examples=2", "eval.batch_size=16",
        "model.width=8", "model.latent_dim=4", "tracking.profile=quick"), (0, 1)),
    "paper": Profile("paper", (
        "optim.steps=20000", "optim.batch_size=32", "optim.lr=2e-4", "eval.val_every=1000",
        "eval.val_clips=256", "eval.examples=4", "model.width=32", "model.latent_dim=16",
        "tracking.profile=paper"), (0, 1, 2)),
}
