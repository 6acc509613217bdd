"""Bit rates of a bottleneck, in bits per second of audio (docs/vq.md, "Rates").

A model's latent has ``P = F' x T'`` positions per clip (:meth:`SpectrogramAutoencoder.latent_size`
of the clip's feature size: frequency x time cells for ``conv2d``, groups x latent frames for
``frames``), so ``r = P / seconds`` latent vectors per second. Then:

* ``rate/nominal_bps = r x N log2 K`` (``N`` codes of ``K`` per position, ``N = 1`` but for
  residual VQ; fixed-length coding); the bottleneck reports the bits per vector itself
  (:class:`vq.base.Rate`);
* ``rate/entropy_bps = r x H`` with ``H = -sum_k p_k log2 p_k`` of the codes' distribution over
  the evaluated clips (what an ideal entropy coder would spend, ``<=`` nominal), summed over the
  codebooks of a residual quantizer;
* ``rate/kl_bps = r x KL`` with ``KL`` the VAE's mean KL per latent vector in bits (the rate of
  bits-back coding; Hinton & van Camp 1993, Townsend et al. 2019).

A complex VQ with ``d`` complex dimensions and its real twin with ``2d`` real ones have the same
``K`` and so the same rates: the bits are matched, not the dimensions' kind.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def vectors_per_second(latent_positions: int, seconds: float) -> float:
    """Latent vectors per second of audio."""
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    return latent_positions / seconds


def nominal_bps(vectors_per_s: float, codebook_size: int, codebooks: int = 1) -> float:
    """``r x N log2 K``."""
    return vectors_per_s * codebooks * math.log2(codebook_size)


def entropy_bits(counts: Tensor) -> float:
    """``H`` in bits of the distribution given by non-negative ``counts (K,)``."""
    total = float(counts.sum())
    if total <= 0:
        raise ValueError("no codes counted")
    p = counts.double()[counts > 0] / total
    return float(-(p * torch.log2(p)).sum())


def perplexity(counts: Tensor) -> float:
    """``2^H``: the effective number of codes in use."""
    return float(2.0 ** entropy_bits(counts))
