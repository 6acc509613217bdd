"""Complex convolution, forward + backward, as a ratio to the equal-FLOP floor.

The floor is one real convolution ``2C -> 2C`` on a real ``(B, 2C, ...)`` tensor: a complex
``C -> C`` convolution does the same multiply-adds (4 real products per complex product). Shapes
from the foundation issue: 2-D batch 16, 32 -> 32 channels, 3x3, 64x64; 1-D batch 16, 64 -> 64,
length 4096, kernel 3. Methods (all with bias, zero padding "same"):

* ``cvnn planar``: :class:`cvnn.CConv2d` on the planar layout, as inside a cvnn model.
* ``cvnn complex API``: the same layer called on complex tensors (two layout copies per call).
* ``torch native complex64``: ``F.conv2d`` on complex tensors (torch uses three real convs).
* ``4 real convs (seed / complexPyTorch math)``: two real convolutions per part on the seed's
  trailing-2 tensors, written here from the math.
* ``complexPyTorch`` and ``complextorch`` (Gauss) layers, when the ``bench`` extra is installed.

Usage: ``python -m benchmarks.bench_conv [--rounds N] [--device cpu|cuda|auto]``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from benchmarks._timing import Step, interleaved, report, timing_parser
from cvnn import CConv1d, CConv2d
from cvnn.layout import complex_to_planar
from lab.device import pick_device


def _backward(y: Tensor, grad: Tensor, params: list[Tensor]) -> None:
    for p in params:
        p.grad = None
    y.backward(grad)


def steps_for(nd: int, batch: int, c: int, size: tuple[int, ...], k: int,
              device: torch.device) -> dict[str, Step]:
    """Build one forward+backward closure per method on shared random inputs."""
    g = torch.Generator().manual_seed(0)
    real_conv: Callable[..., Tensor] = F.conv1d if nd == 1 else F.conv2d
    pad = k // 2
    z = torch.randn(batch, c, *size, dtype=torch.complex64, generator=g).to(device)
    x_planar = complex_to_planar(z).requires_grad_()
    z_in = z.clone().requires_grad_()
    x_trailing = torch.view_as_real(z).clone().requires_grad_()
    steps: dict[str, Step] = {}

    w_floor = nn.Parameter(torch.randn(2 * c, 2 * c, *([k] * nd), generator=g).to(device) * 0.05)
    b_floor = nn.Parameter(torch.zeros(2 * c, device=device))
    gy_planar = torch.randn(batch, 2 * c, *size, generator=g).to(device)

    def floor() -> None:
        _backward(real_conv(x_planar, w_floor, b_floor, padding=pad), gy_planar,
                  [w_floor, b_floor, x_planar])

    steps["floor: real conv 2C->2C"] = floor

    layer = (CConv1d if nd == 1 else CConv2d)(c, c, k, padding=pad).to(device)
    params = [*layer.parameters()]

    def ours_planar() -> None:
        _backward(layer.forward_planar(x_planar), gy_planar, [*params, x_planar])

    steps["cvnn planar (inside a model)"] = ours_planar
    gz = torch.complex(gy_planar[:, :c], gy_planar[:, c:])

    def ours_complex() -> None:
        _backward(layer(z_in), gz, [*params, z_in])

    steps["cvnn complex API (per-layer conversion)"] = ours_complex

    w_c = nn.Parameter(layer.complex_weight().detach().clone())
    b_c = nn.Parameter(torch.zeros(c, dtype=torch.complex64, device=device))

    def native() -> None:
        _backward(real_conv(z_in, w_c, b_c, padding=pad), gz, [w_c, b_c, z_in])

    steps["torch native complex64"] = native
    conv_r = (nn.Conv1d if nd == 1 else nn.Conv2d)(c, c, k, padding=pad).to(device)
    conv_i = (nn.Conv1d if nd == 1 else nn.Conv2d)(c, c, k, padding=pad).to(device)
    gy_trailing = torch.view_as_real(gz).contiguous()

    def four_real() -> None:
        xr, xi = x_trailing[..., 0], x_trailing[..., 1]
        y = torch.stack([conv_r(xr) - conv_i(xi), conv_r(xi) + conv_i(xr)], dim=-1)
        _backward(y, gy_trailing, [*conv_r.parameters(), *conv_i.parameters(), x_trailing])

    steps["4 real convs (seed / complexPyTorch math)"] = four_real
    steps.update(_peer_steps(nd, c, k, pad, z_in, gz, device))
    return steps


def _peer_steps(nd: int, c: int, k: int, pad: int, z_in: Tensor, gz: Tensor,
                device: torch.device) -> dict[str, Step]:
    steps: dict[str, Step] = {}

    def add(name: str, module: Any) -> None:
        module = module.to(device)
        params = [*module.parameters(), z_in]

        def step() -> None:
            _backward(module(z_in), gz, params)

        steps[name] = step

    if importlib.util.find_spec("complexPyTorch") is not None:
        if nd == 2:
            from complexPyTorch.complexLayers import ComplexConv2d

            add("complexPyTorch ComplexConv2d", ComplexConv2d(c, c, k, padding=pad))
        else:
            print("  (complexPyTorch has no 1-D convolution)")
    if importlib.util.find_spec("complextorch") is not None:
        import complextorch.nn.gauss as gauss

        add(f"complextorch gauss.Conv{nd}d", (gauss.Conv1d if nd == 1 else gauss.Conv2d)(
            c, c, k, padding=pad))
    return steps


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=15, warmup=3)
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    ok = True
    cases = [
        ("2-D: batch 16, 32->32, 3x3, 64x64", 2, 16, 32, (64, 64), 3, 1.05),
        ("1-D: batch 16, 64->64, k=3, length 4096", 1, 16, 64, (4096,), 3, 1.10),
    ]
    for title, nd, b, c, size, k, goal in cases:
        steps = steps_for(nd, b, c, size, k, device)
        res = interleaved(steps, "floor: real conv 2C->2C", args.rounds, args.warmup, device)
        ok &= report(title, res, goal, "cvnn planar (inside a model)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
