"""The recorded corpus against the TTS corpus: training speed, and the builder's throughput.

1. **Training steps/s on each corpus, side by side.** The quick profile's complex VQ-256 model,
   the full training step (:class:`lab.step.Trainer`: batch indexing into the cached features,
   normalization, forward, backward, Adam) on each corpus's real training features, the two
   interleaved round by round. Goal: the recorded corpus within 5 % of the TTS corpus (data
   loading must not become the bottleneck).
2. **Builder throughput**: seconds of audio per wall-clock second of
   :func:`data_scripts.make_corpus.build` on the recorded corpus's decoded prompts, with 1 and 2
   worker processes (the G.722 decoding with ffmpeg timed apart).

Usage: ``python -m benchmarks.bench_corpus [--recorded data/recorded] [--tts data/tts]
[--rounds N] [--skip-builder]`` (``make data`` makes both corpora).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch

from benchmarks._timing import Step, interleaved, report, timing_parser
from data_scripts import make_recorded
from data_scripts.make_corpus import Options, build
from lab.build import model_config
from lab.config import RunConfig, apply_overrides
from lab.data import cached_features
from lab.device import pick_device
from lab.features import FeatureTransform
from lab.loader import BatchOrder
from lab.losses import ReconstructionLoss
from lab.normalization import normalizer_from_features
from lab.profiles import PROFILES
from lab.reconstruction import Reconstructor
from lab.step import Trainer
from vq.autoencoder import SpectrogramAutoencoder


def training(root: Path, device: torch.device, cache: Path) -> tuple[int, Step]:
    """``(training clips, one call = log_every full steps)`` on ``root``'s training split."""
    config = apply_overrides(RunConfig(), [*PROFILES["quick"].overrides, f"data.root={root}",
                                           f"data.cache_dir={cache}", f"device={device.type}"])
    transform = FeatureTransform(config.features).to(device)
    train, _, _ = cached_features(config, transform)
    normalizer = normalizer_from_features([train], config.features.representation)
    torch.manual_seed(0)
    model = SpectrogramAutoencoder(model_config(config)).to(device).train()
    rec = Reconstructor(transform, model, normalizer).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.optim.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    o = config.optim
    trainer = Trainer(rec, ReconstructionLoss(config.loss, rec), train,
                      BatchOrder(len(train), o.batch_size, 0), opt, sched, o.grad_clip,
                      config.eval.log_every, device)
    counter = [0]

    def step() -> None:
        for _ in range(config.eval.log_every):
            trainer.step(counter[0])
            counter[0] += 1

    return len(train), step


def builder(jobs: tuple[int, ...]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        t0 = time.perf_counter()
        wavs, languages, licences, n = make_recorded.stage(
            make_recorded.LANGUAGES, make_recorded.DOWNLOADS, Path(tmp), max(jobs))
        print(f"\nbuilder: {n} prompts unpacked and decoded (ffmpeg, {max(jobs)} jobs) in "
              f"{time.perf_counter() - t0:.1f} s")
        for j in jobs:
            report_ = build(wavs, Path(tmp) / f"corpus{j}", Options(
                layout="flat", languages=languages, licences=licences, jobs=j), quiet=True)
            print(f"  make_corpus.build, {j} job{'s' if j > 1 else ''}: "
                  f"{report_['audio_seconds_read']:.0f} s of audio in "
                  f"{report_['elapsed_seconds']:.1f} s = "
                  f"{report_['audio_seconds_per_second']:.0f} audio-s/s")


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=12, warmup=2)
    ap.add_argument("--recorded", type=Path, default=Path("data/recorded"))
    ap.add_argument("--tts", type=Path, default=Path("data/tts"))
    ap.add_argument("--skip-builder", action="store_true")
    args = ap.parse_args(argv)
    for root in (args.recorded, args.tts):
        if not (root / "manifest.csv").is_file():
            print(f"no corpus in {root}: run `make data`")
            return 2
    device = pick_device(args.device)
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        n_tts, tts = training(args.tts, device, Path(cache))
        n_rec, rec = training(args.recorded, device, Path(cache))
        res = interleaved({"TTS corpus": tts, "recorded corpus": rec},
                          "TTS corpus", args.rounds, args.warmup, device)
    ok = report(f"full training steps, complex VQ-256 (quick profile), {n_tts} TTS vs {n_rec} "
                f"recorded training clips", res, 1.05, "recorded corpus")
    log_every = apply_overrides(RunConfig(), list(PROFILES["quick"].overrides)).eval.log_every
    for name, (t, _) in res.items():
        print(f"  {name}: {log_every / t:.1f} steps/s")
    if not args.skip_builder:
        builder((1, 2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
