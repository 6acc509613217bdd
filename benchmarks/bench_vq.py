"""The VQ layer, forward + backward with its codebook update, against its peers and the floor.

N = 16384 vectors of D = 64, K in (256, 1024, 4096), training mode, from one run with the
methods interleaved (ratios are medians over rounds of time / the floor's time in that round):

* ``floor``: one distance ``addmm`` + ``argmin`` + embedding lookup and the straight-through
  backward, with no codebook update: the least any VQ layer does;
* ``vq.VectorQuantizer``: ours, EMA update (decay 0.99), commitment 0.25, dead-code replacement;
* ``one-hot matmul``: the seed's formulation, written here from its description (full distance
  matrix, argmin, an N x K one-hot, one-hot @ codebook), with the same EMA update through the
  one-hot (``one_hot.T @ x``);
* ``vector-quantize-pytorch``: ``VectorQuantize`` with the same settings (EMA decay 0.99,
  commitment 0.25, rotation trick off, no k-means), when the ``bench`` extra is installed.

Goal (the models issue), at K = 1024: >= 4x faster than vector-quantize-pytorch, >= 2.5x faster
than the one-hot form, <= 1.3x the floor, with lower peak memory than both peers (peak bytes
allocated during one step beyond those held before it: :mod:`benchmarks._memory`).
Usage: ``python -m benchmarks.bench_vq [--rounds N]``.
"""

from __future__ import annotations

import importlib.util

import torch
import torch.nn.functional as F

from benchmarks._memory import peak_bytes
from benchmarks._timing import Step, interleaved, report, timing_parser
from lab.device import pick_device
from vq.quantizer import VectorQuantizer

N, D = 16384, 64


def steps_for(k: int, device: torch.device) -> dict[str, Step]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, D, generator=g).to(device).requires_grad_()
    z = x.detach().t().reshape(1, D, N).clone().requires_grad_()  # channel-first for ours
    codebook = torch.randn(k, D, generator=g).to(device)
    grad = torch.randn(N, D, generator=g).to(device)

    def floor() -> None:
        x.grad = None
        dist = torch.addmm(codebook.square().sum(1), x.detach(), codebook.t(), alpha=-2.0)
        q = F.embedding(dist.argmin(1), codebook)
        (x + (q - x).detach()).backward(grad)

    ours = VectorQuantizer(D, k, kmeans_init=False).to(device).train()
    grad_cf = grad.t().reshape(1, D, N).contiguous()

    def vq_ours() -> None:
        z.grad = None
        out = ours(z)
        torch.autograd.backward([out.latent, out.losses["vq/commitment"]], [grad_cf, None])

    ema_count = torch.zeros(k, device=device)
    ema_sum = torch.zeros(k, D, device=device)
    book = codebook.clone()

    def one_hot() -> None:
        x.grad = None
        dist = (x.detach().square().sum(1, keepdim=True) - 2 * x.detach() @ book.t()
                + book.square().sum(1))
        onehot = F.one_hot(dist.argmin(1), k).to(x.dtype)
        q = onehot @ book
        loss = 0.25 * F.mse_loss(x, q)
        torch.autograd.backward([x + (q - x).detach(), loss], [grad, None])
        with torch.no_grad():
            ema_count.mul_(0.99).add_(onehot.sum(0), alpha=0.01)
            ema_sum.mul_(0.99).add_(onehot.t() @ x.detach(), alpha=0.01)
            book.copy_(ema_sum / (ema_count + 1e-5)[:, None])

    steps: dict[str, Step] = {"floor: addmm + argmin + lookup": floor,
                              "vq.VectorQuantizer (EMA)": vq_ours,
                              "one-hot matmul (seed)": one_hot}
    if importlib.util.find_spec("vector_quantize_pytorch") is not None:
        from vector_quantize_pytorch import VectorQuantize

        peer = VectorQuantize(dim=D, codebook_size=k, decay=0.99, commitment_weight=0.25,
                              rotation_trick=False, kmeans_init=False).to(device).train()
        xb = x.detach().unsqueeze(0).clone().requires_grad_()
        gb = grad.unsqueeze(0)

        def vqp() -> None:
            xb.grad = None
            q, _, loss = peer(xb)
            torch.autograd.backward([q, loss.sum()], [gb, None])

        steps["vector-quantize-pytorch 1.32"] = vqp
    return steps


def main(argv: list[str] | None = None) -> int:
    ap = timing_parser(__doc__, rounds=10, warmup=2)
    ap.add_argument("--sizes", default="256,1024,4096", help="codebook sizes K")
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    ok = True
    for k in (int(s) for s in args.sizes.split(",")):
        steps = steps_for(k, device)
        res = interleaved(steps, "floor: addmm + argmin + lookup", args.rounds, args.warmup,
                          device)
        goal = 1.3 if k == 1024 else None
        ok &= report(f"VQ forward+backward, N={N}, D={D}, K={k}", res, goal,
                     "vq.VectorQuantizer (EMA)")
        ours = res["vq.VectorQuantizer (EMA)"][0]
        for name, (t, _) in res.items():
            if name != "vq.VectorQuantizer (EMA)" and not name.startswith("floor"):
                print(f"  vq.VectorQuantizer is {t / ours:.2f}x faster than {name}")
        peaks = {name: peak_bytes(step, device) for name, step in steps.items()}
        for name, peak in peaks.items():
            print(f"  peak memory {name:<40} {peak / 2**20:8.1f} MiB")
        mine = peaks["vq.VectorQuantizer (EMA)"]
        lower = all(mine < p for n, p in peaks.items() if n != "vq.VectorQuantizer (EMA)"
                    and not n.startswith("floor"))
        print(f"  peak memory below every peer's -> {'met' if lower else 'NOT met'}")
        ok &= lower
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
