"""Vector quantization (van den Oord et al. 2017, "Neural Discrete Representation Learning").

Input ``z: (B, D, *S)`` (channel-first, as conv encoders give): every position's ``D``-vector is
quantized on its own (the seed reshaped without moving channels last, quantizing whole channel
maps instead). With codebook ``e: (K, D)``:

* nearest code ``k_i = argmin_k ||z_i - e_k||^2``, computed as ``||e_k||^2 - 2 z_i . e_k`` (the
  ``||z_i||^2`` term does not change the argmin) in row chunks of at most ``chunk_elements``
  distances: no ``N x K`` one-hot and no larger-than-needed ``N x K`` tensor;
* straight-through estimator ``z + sg(q - z)``: the decoder's gradient reaches the encoder as is;
* losses: ``vq/commitment = beta * mean ||z - sg(q)||^2`` (default ``beta = 0.25``) and, when the
  codebook is learned by gradient, ``vq/codebook = mean ||sg(z) - q||^2``;
* EMA codebook (van den Oord 2017 appendix A.1; ``decay`` 0.99 by default, the paper's): counts
  ``N_k <- g N_k + (1 - g) n_k``, sums ``m_k <- g m_k + (1 - g) sum_{k_i = k} z_i`` from zero,
  zero-debiased by ``1 - g^t`` after ``t`` updates (as Sonnet's ``VectorQuantizerEMA``),
  Laplace-smoothed ``N_k' = (N_k + eps) / (sum N + K eps) * sum N``, ``e_k = m_k / N_k'`` (counts
  by ``bincount``, sums by ``index_add_``); the debiased counts also define dead codes;
* k-means initialization from the first training batch (``kmeans_iters`` Lloyd iterations from
  distinct random batch vectors); dead-code replacement: a code whose EMA count falls below
  ``dead_threshold`` is reset to a random vector of the batch (SoundStream, EnCodec);
* metrics: ``codebook/perplexity`` ``exp(H)`` of the batch's code distribution,
  ``codebook/usage`` (fraction of codes used in the batch), ``codebook/dead_fraction``, and
  ``codebook/entropy_bits`` (``H`` in bits per vector; ``log2 K`` is the nominal rate), from which
  the model reports ``rate/nominal_bps`` and ``rate/entropy_bps``;
* rate: ``log2 K`` bits per vector, nominal (:class:`~vq.base.Rate`).

Its config is :class:`VQConfig` (the ``vq.*`` keys of a run) and its spec :data:`SPEC`; the
complex quantizer is this one over the stacked parts (:mod:`vq.complex_quantizer`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vq.base import Bottleneck, BottleneckOutput, BottleneckSpec, Rate

if TYPE_CHECKING:
    from vq.complex_quantizer import ComplexVectorQuantizer


@dataclass(frozen=True)
class VQConfig:
    """A vector quantizer's settings (the ``vq.*`` keys of a run)."""

    codebook_size: int = 256  # K codes (log2 K bits per latent vector)
    commitment: float = 0.25  # weight of the commitment loss
    ema_decay: float = 0.99  # codebook update by exponential moving average, in (0, 1)

    def __post_init__(self) -> None:
        if self.codebook_size < 2:
            raise ValueError(f"codebook_size must be >= 2, got {self.codebook_size}")
        if not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {self.ema_decay}")
        if not self.commitment >= 0:
            raise ValueError(f"commitment must be >= 0, got {self.commitment}")


def nearest_codes(x: Tensor, codebook: Tensor, chunk_elements: int = 1 << 18) -> Tensor:
    """``argmin_k ||x_i - e_k||^2`` for ``x (N, D)``, ``codebook (K, D)``, in row chunks."""
    e_sq = codebook.square().sum(1)
    rows = max(1, chunk_elements // max(1, codebook.shape[0]))
    out = torch.empty(x.shape[0], dtype=torch.long, device=x.device)
    for start in range(0, x.shape[0], rows):
        part = x[start:start + rows]
        dist = torch.addmm(e_sq, part, codebook.t(), alpha=-2.0)  # ||e||^2 - 2 x.e
        out[start:start + rows] = dist.argmin(1)
    return out


class VectorQuantizer(Bottleneck):
    """A VQ bottleneck over ``(B, dim, *S)``; see the module docstring."""

    codebook: Tensor  # (K, D): a buffer with EMA, a parameter without
    ema_count: Tensor  # (K,)
    ema_sum: Tensor  # (K, D)
    updates: Tensor  # number of EMA updates (10**6 after k-means: no debiasing)
    initialized: Tensor

    def __init__(self, dim: int, codebook_size: int, commitment: float = 0.25,
                 ema: bool = True, decay: float = 0.99, eps: float = 1e-5,
                 kmeans_init: bool = True, kmeans_iters: int = 10,
                 dead_threshold: float = 2.0, chunk_elements: int = 1 << 18) -> None:
        super().__init__()
        if dim < 1 or codebook_size < 2:
            raise ValueError(f"need dim >= 1 and codebook_size >= 2, got {dim}, {codebook_size}")
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        self.dim, self.codebook_size = dim, codebook_size
        self.commitment, self.ema, self.decay, self.eps = commitment, ema, decay, eps
        self.kmeans_iters, self.dead_threshold = kmeans_iters, dead_threshold
        self.chunk_elements = chunk_elements
        embed = torch.randn(codebook_size, dim) / math.sqrt(dim)
        if ema:
            self.register_buffer("codebook", embed)
        else:
            self.codebook = nn.Parameter(embed)
        self.register_buffer("ema_count", torch.zeros(codebook_size))
        self.register_buffer("ema_sum", torch.zeros(codebook_size, dim))
        self.register_buffer("updates", torch.tensor(0, dtype=torch.long))
        self.register_buffer("initialized", torch.tensor(not kmeans_init))

    def _debias(self) -> float:
        """``1 - g^t``: the weight the EMA has put on data after ``t`` updates (1 after k-means)."""
        t = int(self.updates)
        return 1.0 if t >= 10**6 else 1.0 - self.decay**t if t > 0 else 1.0

    def counts(self) -> Tensor:
        """The debiased EMA code counts ``(K,)``."""
        return self.ema_count / self._debias()

    def _flatten(self, z: Tensor) -> Tensor:
        if z.ndim < 2 or z.shape[1] != self.dim:
            raise ValueError(f"VectorQuantizer expects (B, {self.dim}, ...), got {tuple(z.shape)}")
        return z.movedim(1, -1).reshape(-1, self.dim)

    @torch.no_grad()
    def kmeans_init_(self, x: Tensor, generator: torch.Generator | None = None) -> None:
        """Lloyd's k-means on ``x (N, D)`` from distinct random points; sets codes and EMA state."""
        n, k = x.shape[0], self.codebook_size
        idx = torch.randperm(n, generator=generator, device="cpu")[:k].to(x.device)
        if n < k:  # too few vectors: repeat them, jittered
            extra = torch.randint(0, n, (k - n,), generator=generator, device="cpu").to(x.device)
            idx = torch.cat([idx, extra])
        centers = x[idx].clone()
        if n < k:
            centers[n:] += 1e-3 * x.std() * torch.randn_like(centers[n:])
        for _ in range(self.kmeans_iters):
            assign = nearest_codes(x, centers, self.chunk_elements)
            counts = torch.bincount(assign, minlength=k).to(x.dtype)
            sums = torch.zeros_like(centers).index_add_(0, assign, x)
            filled = counts > 0
            centers[filled] = sums[filled] / counts[filled, None]
        counts = torch.bincount(nearest_codes(x, centers, self.chunk_elements),
                                minlength=k).to(x.dtype)
        self.codebook.data.copy_(centers)
        self.ema_count.copy_(counts)
        self.ema_sum.copy_(centers * counts[:, None])
        self.updates.fill_(10**6)  # a full history: no debiasing
        self.initialized.fill_(True)

    @torch.no_grad()
    def _ema_update(self, x: Tensor, codes: Tensor) -> None:
        """EMA of the code counts (always: they define dead codes) and, with ``ema``, of the
        assigned sums and the codebook."""
        k, g = self.codebook_size, self.decay
        counts = torch.bincount(codes, minlength=k).to(x.dtype)
        self.ema_count.mul_(g).add_(counts, alpha=1 - g)
        if int(self.updates) < 10**6:
            self.updates.add_(1)
        if not self.ema:
            return
        sums = torch.zeros(k, self.dim, dtype=x.dtype, device=x.device).index_add_(0, codes, x)
        self.ema_sum.mul_(g).add_(sums, alpha=1 - g)
        c = self._debias()
        count = self.ema_count / c
        total = count.sum()
        smoothed = (count + self.eps) / (total + k * self.eps) * total
        self.codebook.data.copy_(self.ema_sum / c / smoothed[:, None])

    @torch.no_grad()
    def _replace_dead(self, x: Tensor) -> None:
        dead = self.counts() < self.dead_threshold
        n_dead = int(dead.sum())
        if n_dead == 0:
            return
        pick = torch.randint(0, x.shape[0], (n_dead,), device=x.device)
        c = self._debias()
        self.codebook.data[dead] = x[pick]
        self.ema_sum[dead] = x[pick] * (self.dead_threshold * c)
        self.ema_count[dead] = self.dead_threshold * c

    def forward(self, z: Tensor) -> BottleneckOutput:
        x = self._flatten(z)
        if self.training and not bool(self.initialized):
            self.kmeans_init_(x.detach())
        codes = nearest_codes(x.detach(), self.codebook.detach(), self.chunk_elements)
        q_flat = F.embedding(codes, self.codebook)
        q = q_flat.view(*z.shape[:1], *z.shape[2:], self.dim).movedim(-1, 1)
        losses = {"vq/commitment": self.commitment * F.mse_loss(z, q.detach())}
        codebook_loss = F.mse_loss(z.detach(), q)
        losses["vq/codebook"] = codebook_loss * (0.0 if self.ema else 1.0)
        metrics = self._metrics(codes)
        if self.training:
            self._ema_update(x.detach(), codes)
            self._replace_dead(x.detach())
        latent = z + (q - z).detach()
        return BottleneckOutput(latent, codes.view(*z.shape[:1], *z.shape[2:]), losses, metrics,
                                Rate("nominal", math.log2(self.codebook_size)),
                                (self.codebook_size,))

    @torch.no_grad()
    def _metrics(self, codes: Tensor) -> dict[str, Tensor]:
        p = torch.bincount(codes, minlength=self.codebook_size).double() / codes.numel()
        entropy = -(p[p > 0] * p[p > 0].log()).sum()
        return {
            "codebook/perplexity": entropy.exp(),
            "codebook/usage": (p > 0).double().mean(),
            "codebook/dead_fraction": (self.counts() < self.dead_threshold).double().mean(),
            "codebook/entropy_bits": entropy / math.log(2),
        }

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, codebook_size={self.codebook_size}, ema={self.ema}, "
                f"commitment={self.commitment}, decay={self.decay}")


def build(dim: int, c: VQConfig) -> VectorQuantizer:
    """The real quantizer of ``dim`` dimensions with ``c``'s settings."""
    return VectorQuantizer(dim, c.codebook_size, commitment=c.commitment, decay=c.ema_decay)


def build_complex(dim: int, c: VQConfig) -> ComplexVectorQuantizer:
    """The complex quantizer of ``dim`` complex dimensions (a real one of ``2 dim``)."""
    from vq.complex_quantizer import ComplexVectorQuantizer

    return ComplexVectorQuantizer(dim, c.codebook_size, commitment=c.commitment,
                                  decay=c.ema_decay)


SPEC = BottleneckSpec("vq", "vq", VQConfig, build, build_complex,
                      lambda c: f"vq{c.codebook_size}", lambda c: f"VQ K={c.codebook_size}")
