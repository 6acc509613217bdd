"""A full training step of ``lab.train`` against the bare forward + backward + Adam of the model.

For each variant of the quick profile (the configs the ablations build: profile overrides, the
grid's delta), on a batch of the profile's size (``8 x 129 bins x 126 frames``, random complex
STFT-like features, normalized by statistics fitted on them):

* floor (``bare``): ``zero_grad``, forward, the run's objective (:class:`lab.losses.
  ReconstructionLoss` plus the bottleneck's terms), backward, ``Adam.step`` on one fixed batch;
* ``full``: what the training loop does per step (:meth:`lab.step.Trainer.step`: batch indexing
  and normalization, gradient clipping, the schedule, the device-side sums of the logged
  scalars, one host sync and a tracker log every ``eval.log_every`` steps (a real MLflow store
  in a temporary folder), the progress bar).

Each timed call is ``log_every`` steps, so every call contains exactly one flush. Goal (the
models issue): full <= 1.15x bare. Also printed: training steps/s of each variant (the full
step), the number that sizes the profiles.

Usage: ``python -m benchmarks.bench_train_step [--rounds N] [--variants complex-vq256,...]``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import torch
from tqdm import tqdm

from benchmarks._timing import Step, interleaved, report, timing_parser
from lab.build import model_config
from lab.config import RunConfig, apply_overrides
from lab.device import pick_device
from lab.features import FeatureTransform
from lab.loader import BatchOrder
from lab.losses import ReconstructionLoss
from lab.normalization import normalizer_from_features
from lab.profiles import PROFILES
from lab.reconstruction import Reconstructor
from lab.step import Trainer
from lab.tracking import Tracker
from vq.autoencoder import SpectrogramAutoencoder

COMPLEX = ["model.domain=complex", "features.representation=stft"]
VARIANTS: dict[str, list[str]] = {
    "complex-vq256": COMPLEX,
    "real-params-vq256": ["model.twin=params", "features.representation=planar"],
    "real-flops-vq256": ["model.twin=flops", "features.representation=planar"],
    "complex-ae": [*COMPLEX, "model.bottleneck=none"],
    "complex-vae": [*COMPLEX, "model.bottleneck=vae", "vae.beta=0.01"],
    "complex-vq16": [*COMPLEX, "vq.codebook_size=16"],
    "complex-vq4096": [*COMPLEX, "vq.codebook_size=4096"],
}
CLIPS = 64  # distinct clips the full step indexes into


def _setup(config: RunConfig, device: torch.device
           ) -> tuple[Reconstructor, ReconstructionLoss, torch.Tensor]:
    transform = FeatureTransform(config.features).to(device)
    g = torch.Generator().manual_seed(0)
    wave = 0.1 * torch.randn(CLIPS, config.features.sample_rate, generator=g)
    features = transform(wave.to(device)).cpu()
    normalizer = normalizer_from_features([features], config.features.representation)
    torch.manual_seed(0)
    model = SpectrogramAutoencoder(model_config(config)).to(device).train()
    rec = Reconstructor(transform, model, normalizer).to(device)
    return rec, ReconstructionLoss(config.loss, rec), features.to(device)


def bare_step(config: RunConfig, device: torch.device) -> Step:
    rec, objective, features = _setup(config, device)
    x = rec.model_input(features[: config.optim.batch_size])
    opt = torch.optim.Adam(rec.model.parameters(), lr=config.optim.lr)
    zero = torch.zeros((), device=device)
    every = config.eval.log_every

    def step() -> None:
        for _ in range(every):
            opt.zero_grad(set_to_none=True)
            y, b = rec.model(x)
            r, _ = objective(x, y)
            (r + sum(b.losses.values(), zero)).backward()
            opt.step()

    return step


def full_step(config: RunConfig, device: torch.device, tracker: Tracker) -> Step:
    rec, objective, features = _setup(config, device)
    opt = torch.optim.Adam(rec.model.parameters(), lr=config.optim.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    o = config.optim
    trainer = Trainer(rec, objective, features, BatchOrder(len(features), o.batch_size, 0), opt,
                      sched, o.grad_clip, config.eval.log_every, device)
    bar = tqdm(total=10**9, disable=False, dynamic_ncols=True, leave=False, desc="full step")
    counter = [0]

    def step() -> None:
        for _ in range(config.eval.log_every):
            metrics = trainer.step(counter[0])
            counter[0] += 1
            bar.update()
            if metrics is not None:
                tracker.log(metrics, counter[0])
                bar.set_postfix(loss=f"{metrics['train/loss']:.4f}", refresh=False)

    return step


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=10, warmup=2)
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="comma-separated quick-profile variants (default: all)")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        ap.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    ok = True
    speeds: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tracker = Tracker("", tmp, "bench_train_step", "off")
        tracker.start("bench", {}, {})
        try:
            for name in names:
                config = apply_overrides(RunConfig(), [*PROFILES["quick"].overrides,
                                                       *VARIANTS[name], "device=" + device.type])
                every = config.eval.log_every
                steps: dict[str, Callable[[], None]] = {
                    "bare forward+backward+Adam": bare_step(config, device),
                    "full training step (lab.step.Trainer)": full_step(config, device, tracker)}
                res = interleaved(steps, "bare forward+backward+Adam", args.rounds, args.warmup,
                                  device)
                ok &= report(f"{name}: {every} steps per call, batch {config.optim.batch_size}",
                             res, 1.15, "full training step (lab.step.Trainer)")
                speeds.append((name, every / res["full training step (lab.step.Trainer)"][0]))
        finally:
            tracker.finish("FINISHED")
    print("\ntraining steps/s (full step, quick profile)")
    for name, sps in speeds:
        print(f"  {name:<24} {sps:6.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
