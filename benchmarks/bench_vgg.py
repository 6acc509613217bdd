"""A whole model: complex VGG-11 against the real VGG-11 of twice the width (equal FLOPs).

One training step (forward, cross-entropy, backward) on 32x32 inputs, batch 16. The complex model
takes complex images and classifies with the modulus of its complex logits; the real twin takes
the planar ``[Re ; Im]`` images (twice the input channels). Both have the same depth, pooling and
classifier layout; a complex ``C -> C`` layer costs the multiply-adds of a real ``2C -> 2C`` one, so
``VGG(width=2w)`` is the equal-FLOP twin of ``ComplexVGG(width=w)``. The complex model does extra
work in its whitening batch norm (2x2 covariance per channel) and max pooling by modulus, and less
in its deep layers, where its convolutions use Gauss's three-product trick (3/4 of the
multiply-adds; :func:`cvnn.conv.prefer_gauss`).

Usage: ``python -m benchmarks.bench_vgg [--width 32] [--batch 16] [--rounds N] [--device ...]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from benchmarks._timing import Step, interleaved, report, timing_parser
from cvnn import VGG, ComplexVGG
from cvnn.layout import complex_to_planar
from lab.device import pick_device


def steps_for(width: int, batch: int, device: torch.device) -> dict[str, Step]:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(batch, 3, 32, 32, dtype=torch.complex64, generator=g).to(device)
    x = complex_to_planar(z)
    y = torch.randint(0, 10, (batch,), generator=g).to(device)
    real = VGG(11, in_channels=6, num_classes=10, input_size=32, width=2 * width,
               hidden=8 * width).to(device)
    cplx = ComplexVGG(11, in_channels=3, num_classes=10, input_size=32, width=width,
                      hidden=4 * width).to(device)

    def step_real() -> None:
        real.zero_grad(set_to_none=True)
        F.cross_entropy(real(x), y).backward()

    def step_complex() -> None:
        cplx.zero_grad(set_to_none=True)
        F.cross_entropy(cplx(z).abs(), y).backward()

    n_real = sum(p.numel() for p in real.parameters())
    n_cplx = sum(p.numel() for p in cplx.parameters())
    print(f"  real VGG-11 width {2 * width}: {n_real:,} real parameters; complex VGG-11 width "
          f"{width}: {n_cplx:,} real parameters ({n_cplx / n_real:.2f}x)")
    return {f"floor: real VGG-11, width {2 * width}": step_real,
            f"cvnn ComplexVGG-11, width {width}": step_complex}


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=10, warmup=2)
    ap.add_argument("--width", type=int, default=32, help="complex base width (default 32)")
    ap.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    steps = steps_for(args.width, args.batch, device)
    floor = next(iter(steps))
    res = interleaved(steps, floor, args.rounds, args.warmup, device)
    ok = report(f"VGG-11 training step, 32x32, batch {args.batch}", res, 1.15,
                f"cvnn ComplexVGG-11, width {args.width}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
