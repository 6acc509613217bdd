"""Evaluate a reconstructor on a set of clips: every metric a run reports, under the contract names.

For clips ``waves (N, L)`` (a test split), in eval mode:

* ``test/*``: :func:`lab.metrics.summarize` of the per-clip metrics of the reconstructed
  waveforms (iSTFT for ``stft``/``planar``, Griffin-Lim for magnitude-only representations), and
  for magnitude-only representations the oracle-phase control under ``oracle/*`` (same names);
* ``rate/<kind>_bps`` from the rate the bottleneck reports per latent vector
  (:class:`vq.base.Rate`): ``rate/nominal_bps`` for codes (``N log2 K``), ``rate/kl_bps`` for a
  VAE (its mean KL per latent vector over all clips); ``rate/entropy_bps`` from the code
  histograms pooled over all clips (one per codebook, their entropies summed): :mod:`lab.rates`;
* ``codebook/perplexity``, ``codebook/usage`` (over all clips' codes; means over the codebooks
  of a residual quantizer), ``codebook/dead_fraction`` (the bottleneck's own metric: EMA counts
  below its threshold, frozen in eval) (VQ, RVQ);
* ``model/params`` (real parameters), ``model/flops_per_second`` (FLOPs of one clip's forward,
  counted by ``torch.utils.flop_counter`` on the implementation, per second of audio) and
  ``model/audio_seconds_per_second`` (throughput of the model's forward passes: seconds of audio
  encoded and decoded per wall-clock second, on the evaluation device).

:func:`score_prompts` scores whole prompts (:mod:`lab.prompts`) the same way, clip by clip through
overlap-add. A plain autoencoder reports no rate: its latent is not a code. Nothing here depends on
which bottleneck it is: everything comes from its :class:`~vq.base.BottleneckOutput`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lab.build import CLIP_SECONDS
from lab.metrics import ALL_METRICS, ClipMetrics, clip_metrics, summarize
from lab.progress import progress as progress_bar
from lab.prompts import score as prompts_score
from lab.rates import entropy_bits, perplexity, vectors_per_second
from lab.reconstruction import PHASED, Reconstructor
from vq.autoencoder import flop_count, parameter_count
from vq.base import Bottleneck


@dataclass
class Evaluation:
    metrics: dict[str, float]
    examples: list[tuple[Tensor, Tensor]] = field(default_factory=list)  # (reference, estimate)
    # how often each code was used over the clips: one list for a single codebook, one list per
    # codebook for several (RVQ); None without codes
    code_counts: list[int] | list[list[int]] | None = None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def scoring(rec: Reconstructor, vae_seed: int = 0) -> Iterator[None]:
    """``rec`` in eval mode, without gradients, its bottlenecks sampling from a generator seeded
    with ``vae_seed`` (a VAE decodes a posterior sample: see :func:`evaluate`); every module's
    mode restored on exit."""
    device = next(rec.model.parameters()).device
    modes = {m: m.training for m in rec.modules()}
    necks = [m for m in rec.modules() if isinstance(m, Bottleneck)]
    generator = torch.Generator(device).manual_seed(vae_seed)
    rec.eval()
    for g in necks:
        g.eval_generator = generator
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in modes.items():
            m.train(mode)
        for g in necks:
            g.eval_generator = None


def score_prompts(rec: Reconstructor, prompts: Sequence[Tensor], batch_size: int = 16,
                  prefix: str = "prompt", vae_seed: int = 0,
                  names: tuple[str, ...] = ALL_METRICS) -> dict[str, float]:
    """:func:`lab.prompts.score` of whole prompts ``(L,)`` through ``rec`` (clips of the
    model's training length, :data:`lab.build.CLIP_SECONDS`), in :func:`scoring` mode."""
    device = next(rec.model.parameters()).device
    sample_rate = rec.transform.config.sample_rate

    def fn(clips: Tensor) -> Tensor:
        out: Tensor = rec.reconstruct(clips.to(device)).cpu()
        return out

    with scoring(rec, vae_seed):
        return prompts_score(prompts, int(CLIP_SECONDS * sample_rate), fn, sample_rate,
                             names, prefix, batch_size)


@torch.no_grad()
def evaluate(rec: Reconstructor, waves: Tensor, batch_size: int = 16,
             n_examples: int = 0, progress: bool = False, prefix: str = "test",
             flops_batch: int = 16, vae_seed: int = 0,
             names: tuple[str, ...] = ALL_METRICS) -> Evaluation:
    """Every metric of ``rec`` on ``waves (N, L)`` (see the module docstring).

    ``n_examples``: how many of the first clips to return as ``(reference, estimate)`` pairs.
    ``names``: the quality metrics computed per clip (:data:`lab.metrics.ALL_METRICS`).
    ``flops_batch``: the batch size FLOPs are counted at (the one the model trains at: a complex
    convolution's formulation depends on it). A VAE decodes latents *sampled* from its posterior
    (a generator seeded with ``vae_seed``), not the mean: the reported KL rate is the cost of
    sending a sample (bits-back), so quality and rate describe the same code.
    """
    if waves.ndim != 2 or len(waves) == 0:
        raise ValueError(f"expected clips (N, L) with N >= 1, got {tuple(waves.shape)}")
    device = next(rec.model.parameters()).device
    sample_rate = rec.transform.config.sample_rate
    seconds_per_clip = waves.shape[1] / sample_rate
    clips: list[ClipMetrics] = []
    oracle: list[ClipMetrics] = []
    examples: list[tuple[Tensor, Tensor]] = []
    counts: list[Tensor] = []  # per codebook
    bits: dict[str, float] = {}  # rate kind -> bits summed over latent vectors
    vectors: dict[str, int] = {}
    dead: float | None = None
    model_seconds = 0.0
    feature_size: tuple[int, int] | None = None
    with scoring(rec, vae_seed):
        for start in progress_bar(range(0, len(waves), batch_size), desc=f"{prefix} eval",
                                  unit="batch", disable=not progress, leave=False):
            wave = waves[start:start + batch_size].to(device)
            features = rec.transform(wave)
            feature_size = (features.shape[-2], features.shape[-1])
            _sync(device)
            t0 = time.perf_counter()
            r = rec.autoencode(features)
            _sync(device)
            model_seconds += time.perf_counter() - t0
            bottleneck = r.bottleneck
            positions = bottleneck.latent[0, 0].numel()
            if bottleneck.codes is not None:
                sizes = bottleneck.codebook_sizes
                per = ([bottleneck.codes] if len(sizes) == 1
                       else list(bottleneck.codes.unbind(1)))
                if not counts:
                    counts = [torch.zeros(k, dtype=torch.long, device=device) for k in sizes]
                for c, codes in zip(counts, per, strict=True):
                    c += torch.bincount(codes.flatten(), minlength=len(c))
            if bottleneck.rate is not None:
                kind, n_vec = bottleneck.rate.kind, len(wave) * positions
                bits[kind] = bits.get(kind, 0.0) + float(bottleneck.rate.bits) * n_vec
                vectors[kind] = vectors.get(kind, 0) + n_vec
            if "codebook/dead_fraction" in bottleneck.metrics:
                dead = float(bottleneck.metrics["codebook/dead_fraction"])
            est = rec.waveform(r, wave).cpu()
            ora = rec.waveform(r, wave, "oracle").cpu() if rec.representation not in PHASED \
                else None
            ref = wave.cpu()
            for i in range(len(ref)):
                clips.append(clip_metrics(ref[i], est[i], sample_rate, names))
                if ora is not None:
                    oracle.append(clip_metrics(ref[i], ora[i], sample_rate, names))
                if len(examples) < n_examples:
                    examples.append((ref[i], est[i]))
    assert feature_size is not None
    metrics = summarize(clips, prefix, names)
    if oracle:
        metrics.update(summarize(oracle, "oracle", names))
    f, t = rec.model.latent_size(*feature_size)
    rate = vectors_per_second(f * t, seconds_per_clip)
    for name in sorted(bits):
        metrics[f"rate/{name}_bps"] = rate * bits[name] / vectors[name]
    if counts:
        metrics["rate/entropy_bps"] = rate * sum(entropy_bits(c) for c in counts)
        metrics["codebook/perplexity"] = sum(perplexity(c) for c in counts) / len(counts)
        metrics["codebook/usage"] = sum(float((c > 0).double().mean())
                                        for c in counts) / len(counts)
    if dead is not None:
        metrics["codebook/dead_fraction"] = dead
    metrics["model/params"] = float(parameter_count(rec.model))
    metrics["model/flops_per_second"] = flop_count(rec.model, *feature_size,
                                                   batch=flops_batch) / seconds_per_clip
    metrics["model/audio_seconds_per_second"] = len(waves) * seconds_per_clip / max(
        model_seconds, 1e-9)
    code_counts: list[int] | list[list[int]] | None = None
    if len(counts) == 1:
        code_counts = counts[0].cpu().tolist()
    elif counts:
        code_counts = [c.cpu().tolist() for c in counts]
    return Evaluation(metrics, examples, code_counts)
