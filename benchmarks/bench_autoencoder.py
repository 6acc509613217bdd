"""A training step of the complex 2-D spectrogram autoencoder against its real twins.

One step = forward, reconstruction MSE plus the bottleneck's loss terms, backward, Adam update,
on a batch of default STFTs (``B x 257 bins x 126 frames``: 1 s at 16 kHz, n_fft 512, hop 128).
Methods, interleaved in one run (ratios: medians over rounds of time / the floor's time):

* floor: the FLOP-matched real twin (:func:`vq.twins.real_twin` with ``match="flops"``) on the
  planar input: the same arithmetic in real layers;
* the complex model on the complex STFT (cvnn layers);
* the complex model with naive complex batch norm (``norm="naive"``: one real BN per part)
  instead of Trabelsi's whitening, the default;
* the parameter-matched real twin (for reference: it does about half the FLOPs).

Goal (the models issue): complex <= 1.15x its FLOP-matched twin.
Usage: ``python -m benchmarks.bench_autoencoder [--rounds N] [--bottleneck vq|vae|none]``.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from benchmarks._timing import Step, interleaved, report, timing_parser
from lab.device import pick_device
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder, flop_count, parameter_count
from vq.twins import real_twin

F_BINS, FRAMES = 257, 126


def train_step(config: AutoencoderConfig, batch: int, device: torch.device) -> Step:
    model = SpectrogramAutoencoder(config).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, config.in_channels, F_BINS, FRAMES, generator=g)
    if config.domain == "complex":
        x = torch.complex(x, torch.randn(x.shape, generator=g)) / 2**0.5
    x = x.to(device)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        recon, out = model(x)
        loss = (recon - x).abs().square().mean() + sum(out.losses.values())
        loss.backward()
        opt.step()

    return step


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=10, warmup=2)
    ap.add_argument("--width", type=int, default=16, help="complex model width (channels)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--bottleneck", default="vq", choices=("none", "vae", "vq"))
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    # the 2-D topology (model.arch=conv2d), whose batch norm the naive-BN row swaps; the frames
    # topology, which has none, is timed by bench_train_step
    cfg = AutoencoderConfig(arch="conv2d", width=args.width, latent_dim=8, stages=2, res_blocks=1,
                            bottleneck=args.bottleneck)
    flops_twin, f_err = real_twin(cfg, "flops", F_BINS, FRAMES)
    params_twin, p_err = real_twin(cfg, "params", F_BINS, FRAMES)
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, c in (("complex", cfg), ("FLOP twin", flops_twin), ("param twin", params_twin)):
        m = SpectrogramAutoencoder(c)
        print(f"  {name:<11} width {c.width:>3}  params {parameter_count(m):>8}  "
              f"GFLOPs/clip {flop_count(m, F_BINS, FRAMES) / 1e9:.3f}")
    print(f"  twin mismatch: FLOPs {f_err:.1%}, params {p_err:.1%}")
    floor = f"real FLOP twin (width {flops_twin.width})"
    ours = f"complex (width {cfg.width}, cvnn)"
    steps = {floor: train_step(flops_twin, args.batch, device),
             ours: train_step(cfg, args.batch, device),
             f"complex, naive BN (width {cfg.width})": train_step(
                 replace(cfg, norm="naive"), args.batch, device),
             f"real param twin (width {params_twin.width})": train_step(params_twin, args.batch,
                                                                        device)}
    res = interleaved(steps, floor, args.rounds, args.warmup, device)
    ok = report(f"training step, batch {args.batch} x {F_BINS} x {FRAMES}, {args.bottleneck}",
                res, 1.15, ours)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
