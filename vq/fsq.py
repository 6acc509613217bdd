"""Finite scalar quantization (Mentzer et al. 2023), and a complex-native polar variant.

**FSQ** (``model.bottleneck=fsq``). Each of ``n = len(levels)`` latent dimensions is bounded and
rounded to one of ``L_i`` values; the code is the tuple of the ``n`` digits, so the implicit
codebook has ``K = prod L_i`` entries and a latent vector costs ``sum_i log2 L_i`` bits, with no
codebook to learn, no commitment loss and no dead codes. Per dimension (the paper's Sec. 3 and its
reference code): ``h = (L - 1)(1 + eps) / 2``, an offset ``o = 1/2`` for even ``L`` (else 0),
``s = atanh(o / h)``, the bound ``b(z) = h tanh(z + s) - o``, the value ``q = round(b(z))`` in
``{-floor(L/2), ..., ceil(L/2) - 1}`` with the straight-through gradient of ``b`` and the latent
``q / floor(L/2)`` in ``[-1, 1]``; the digit is ``q + floor(L/2)`` in ``{0, ..., L - 1}`` and
the code ``sum_i digit_i prod_{j<i} L_j``. When the encoder's latent has ``dim != n``
dimensions, a learned linear map takes it to ``n`` and another back (as in the paper's
implementation). The complex model quantizes the stacked parts (``2 dim`` real dimensions,
:class:`~vq.base.PlanarBottleneck`): the same construction as the complex VQ.

**Polar FSQ** (``model.bottleneck=polar_fsq``, complex only; no library has one). ``levels``
lists pairs ``(M_k, P_k)``: ``m`` complex dimensions, the ``k``-th quantized in polar form, its
magnitude bounded to ``r_b = (M_k - 1) tanh |z|`` and rounded to ``{0, ..., M_k - 1}`` (latent
magnitude ``round(r_b) / (M_k - 1)`` in ``[0, 1]``), its phase rounded to one of ``P_k`` equally
spaced angles, ``phi_q = 2 pi round(P_k arg z / 2 pi) / P_k``, each with a straight-through
gradient; the latent is ``r e^{i phi_q}``. A complex latent of another dimension goes through a
learned complex linear map to ``m`` and back. Rate ``sum_k log2 (M_k P_k)`` bits per vector;
digits ``(magnitude, phase mod P_k)`` per complex dimension, combined as FSQ's. A code of
magnitude 0 has no phase: its ``P_k`` codes decode alike (counted as used codes all the same).

Input ``z: (B, dim, *S)`` (real for ``fsq``, complex for ``polar_fsq``); ``latent`` of the same
shape and dtype; ``codes`` ``(B, *S)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from cvnn.linear import CLinear
from vq.base import Bottleneck, BottleneckOutput, BottleneckSpec, PlanarBottleneck, Rate

EPS = 1e-3  # widens the bound a little, so that the end values are reached (the paper's code)


@dataclass(frozen=True)
class FSQConfig:
    """FSQ's settings (the ``fsq.*`` keys): levels per dimension (``polar_fsq``: pairs)."""

    levels: tuple[str, ...] = ("4", "4", "4", "4")  # 4^4 = 256 codes: 8 bits, as VQ K=256

    def __post_init__(self) -> None:
        if not self.levels or not all(v.isdigit() and int(v) >= 2 for v in self.levels):
            raise ValueError(f"levels must be integers >= 2, got {self.levels}")
        if math.prod(self.sizes) > 2**24:
            raise ValueError(f"levels {self.levels} make {math.prod(self.sizes)} codes; at most "
                             f"2^24 (code histograms are counted)")

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.levels)


def round_ste(x: Tensor) -> Tensor:
    """``round(x)`` forward, the identity's gradient backward."""
    return x + (torch.round(x) - x).detach()


def combine(digits: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """Digits ``(..., n)`` in ``[0, L_i)`` -> codes ``sum_i d_i prod_{j<i} L_j`` ``(...)``."""
    basis = torch.tensor([math.prod(sizes[:i]) for i in range(len(sizes))],
                         device=digits.device, dtype=torch.long)
    return (digits.long() * basis).sum(-1)


def _metrics(codes: Tensor, size: int) -> dict[str, Tensor]:
    p = torch.bincount(codes.flatten(), minlength=size).double() / codes.numel()
    entropy = -(p[p > 0] * p[p > 0].log()).sum()
    return {"codebook/perplexity": entropy.exp(), "codebook/usage": (p > 0).double().mean(),
            "codebook/entropy_bits": entropy / math.log(2)}


class _ScalarQuantizer(Bottleneck):
    """What FSQ and polar FSQ share: the maps in and out, the digits' code, metrics and rate.

    Subclasses set ``dim``, ``project_in``/``project_out`` and :attr:`sizes` (the digits'
    sizes) and define ``quantize(x (..., n)) -> (latent, digits (..., len(sizes)))``.
    """

    dim: int
    project_in: nn.Module
    project_out: nn.Module

    @property
    def sizes(self) -> tuple[int, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def quantize(self, x: Tensor) -> tuple[Tensor, Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, z: Tensor) -> BottleneckOutput:
        latent, digits = self.quantize(self.project_in(z.movedim(1, -1)))
        out = self.project_out(latent).movedim(-1, 1)
        codes = combine(digits, self.sizes)
        size = math.prod(self.sizes)
        return BottleneckOutput(out, codes, {}, _metrics(codes, size),
                                Rate("nominal", sum(math.log2(s) for s in self.sizes)), (size,))


class FSQ(_ScalarQuantizer):
    """Real FSQ over ``(B, dim, *S)`` (module docstring)."""

    width: Tensor
    offset: Tensor
    shift: Tensor
    scale: Tensor

    def __init__(self, dim: int, levels: tuple[int, ...]) -> None:
        super().__init__()
        self.dim, self.levels = dim, tuple(levels)
        n = len(self.levels)
        self.project_in = nn.Linear(dim, n) if dim != n else nn.Identity()
        self.project_out = nn.Linear(n, dim) if dim != n else nn.Identity()
        sizes = torch.tensor(self.levels, dtype=torch.float64)
        half = (sizes - 1) * (1 + EPS) / 2
        offset = (1 - sizes % 2) / 2
        self.register_buffer("width", half.float(), persistent=False)
        self.register_buffer("offset", offset.float(), persistent=False)
        self.register_buffer("shift", torch.atanh(offset / half).float(), persistent=False)
        self.register_buffer("scale", torch.floor(sizes / 2).float(), persistent=False)

    def quantize(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``x (..., n)`` -> (latent in ``[-1, 1]`` with straight-through gradient, digits)."""
        q = round_ste(self.width * torch.tanh(x + self.shift) - self.offset)
        return q / self.scale, (q.detach() + self.scale).long()

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.levels

    def extra_repr(self) -> str:
        return f"dim={self.dim}, levels={self.levels}"


class PolarFSQ(_ScalarQuantizer):
    """Polar FSQ over complex ``(B, dim, *S)`` (module docstring)."""

    top: Tensor
    turns: Tensor

    def __init__(self, dim: int, levels: tuple[int, ...]) -> None:
        super().__init__()
        if len(levels) % 2:
            raise ValueError(f"polar_fsq levels are (magnitude, phase) pairs, got {levels}")
        self.dim = dim
        self.magnitudes, self.phases = tuple(levels[0::2]), tuple(levels[1::2])
        m = len(self.magnitudes)
        self.project_in = CLinear(dim, m, bias=False) if dim != m else nn.Identity()
        self.project_out = CLinear(m, dim, bias=False) if dim != m else nn.Identity()
        self.register_buffer("top", torch.tensor(self.magnitudes, dtype=torch.float32) - 1,
                             persistent=False)
        self.register_buffer("turns", torch.tensor(self.phases, dtype=torch.float32),
                             persistent=False)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The digits' sizes, interleaved: magnitude, phase per complex dimension."""
        return tuple(s for pair in zip(self.magnitudes, self.phases, strict=True) for s in pair)

    def quantize(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Complex ``x (..., m)`` -> (latent, straight-through gradients; digits ``(..., 2m)``)."""
        r = torch.sqrt(x.real.square() + x.imag.square() + 1e-12)  # |x|, finite gradient at 0
        level = round_ste(self.top * torch.tanh(r))
        step = round_ste(torch.atan2(x.imag, x.real) * self.turns / (2 * math.pi))
        phi = step * (2 * math.pi) / self.turns
        mag = level / self.top
        latent = torch.complex(mag * torch.cos(phi), mag * torch.sin(phi))
        digits = torch.stack([level.detach().long(),
                              torch.remainder(step.detach().long(), self.turns.long())], -1)
        return latent, digits.flatten(-2)

    def forward(self, z: Tensor) -> BottleneckOutput:
        if not z.is_complex():
            raise ValueError("polar_fsq quantizes magnitude and phase: it needs a complex latent")
        return super().forward(z)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, magnitudes={self.magnitudes}, phases={self.phases}"


def _real_polar(dim: int, c: FSQConfig) -> Bottleneck:
    raise ValueError("polar_fsq quantizes magnitude and phase: it needs model.domain=complex "
                     "(a real model: model.bottleneck=fsq)")


def _label(c: FSQConfig) -> str:
    return "x".join(c.levels)


SPEC = BottleneckSpec("fsq", "fsq", FSQConfig, lambda dim, c: FSQ(dim, c.sizes),
                      lambda dim, c: PlanarBottleneck(FSQ(2 * dim, c.sizes), dim),
                      lambda c: f"fsq{_label(c)}", lambda c: f"FSQ {_label(c)}")
POLAR_SPEC = BottleneckSpec(
    "polar_fsq", "fsq", FSQConfig, _real_polar, lambda dim, c: PolarFSQ(dim, c.sizes),
    lambda c: f"pfsq{_label(c)}",
    lambda c: "polar FSQ " + ", ".join(f"{a}x{b}" for a, b in zip(c.levels[0::2], c.levels[1::2],
                                                                     strict=False)))
