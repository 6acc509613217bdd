"""Evaluate a reconstructor on a set of clips: every metric a run reports, under the contract names.

For clips ``waves (N, L)`` (a test split), in eval mode:

* ``test/*``: :func:`lab.metrics.summarize` of the per-clip metrics of the reconstructed
  waveforms (iSTFT for ``stft``/``planar``, Griffin-Lim for magnitude-only representations), and
  for magnitude-only representations the oracle-phase control under ``oracle/*`` (same names);
* ``rate/nominal_bps``, ``rate/entropy_bps`` (VQ; the code histogram pooled over all clips),
  ``rate/kl_bps`` (VAE; the mean KL per latent vector over all clips): :mod:`lab.rates`;
* ``codebook/perplexity``, ``codebook/usage`` (over all clips' codes), ``codebook/dead_fraction``
  (the quantizer's EMA counts below its threshold) (VQ);
* ``model/params`` (real parameters), ``model/flops_per_second`` (FLOPs of one clip's forward,
  counted by ``torch.utils.flop_counter`` on the implementation, per second of audio) and
  ``model/audio_seconds_per_second`` (throughput of the model's forward passes: seconds of audio
  encoded and decoded per wall-clock second, on the evaluation device).

A plain autoencoder reports no rate: its latent is not a code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lab.metrics import ClipMetrics, clip_metrics, summarize
from lab.progress import progress as progress_bar
from lab.rates import entropy_bits, nominal_bps, perplexity, vectors_per_second
from lab.reconstruction import PHASED, Reconstructor
from vq.autoencoder import flop_count, parameter_count
from vq.quantizer import VectorQuantizer
from vq.vae import _GaussianBase


@dataclass
class Evaluation:
    metrics: dict[str, float]
    examples: list[tuple[Tensor, Tensor]] = field(default_factory=list)  # (reference, estimate)
    code_counts: list[int] | None = None  # VQ: how often each code was used over the clips


def find_quantizer(module: torch.nn.Module) -> VectorQuantizer | None:
    """The (first) :class:`VectorQuantizer` inside ``module``, real or behind a complex one."""
    return next((m for m in module.modules() if isinstance(m, VectorQuantizer)), None)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def evaluate(rec: Reconstructor, waves: Tensor, batch_size: int = 16,
             n_examples: int = 0, progress: bool = False, prefix: str = "test",
             flops_batch: int = 16, vae_seed: int = 0) -> Evaluation:
    """Every metric of ``rec`` on ``waves (N, L)`` (see the module docstring).

    ``n_examples``: how many of the first clips to return as ``(reference, estimate)`` pairs.
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
    modes = {m: m.training for m in rec.modules()}
    rec.eval()
    gaussians = [m for m in rec.modules() if isinstance(m, _GaussianBase)]
    for g in gaussians:
        g.eval_generator = torch.Generator(device).manual_seed(vae_seed)
    quantizer = find_quantizer(rec.model)
    clips: list[ClipMetrics] = []
    oracle: list[ClipMetrics] = []
    examples: list[tuple[Tensor, Tensor]] = []
    counts = (torch.zeros(quantizer.codebook_size, dtype=torch.long, device=device)
              if quantizer is not None else None)
    kl_bits_sum, vectors, model_seconds = 0.0, 0, 0.0
    feature_size: tuple[int, int] | None = None
    try:
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
            if bottleneck.codes is not None and counts is not None:
                counts += torch.bincount(bottleneck.codes.flatten(), minlength=len(counts))
            if "vae/kl_bits" in bottleneck.metrics:
                n_vec = len(wave) * positions
                kl_bits_sum += float(bottleneck.metrics["vae/kl_bits"]) * n_vec
                vectors += n_vec
            est = rec.waveform(r, wave).cpu()
            ora = rec.waveform(r, wave, "oracle").cpu() if rec.representation not in PHASED \
                else None
            ref = wave.cpu()
            for i in range(len(ref)):
                clips.append(clip_metrics(ref[i], est[i], sample_rate))
                if ora is not None:
                    oracle.append(clip_metrics(ref[i], ora[i], sample_rate))
                if len(examples) < n_examples:
                    examples.append((ref[i], est[i]))
    finally:
        for m, mode in modes.items():
            m.train(mode)
        for g in gaussians:
            g.eval_generator = None
    assert feature_size is not None
    metrics = summarize(clips, prefix)
    if oracle:
        metrics.update(summarize(oracle, "oracle"))
    f, t = rec.model.latent_size(*feature_size)
    rate = vectors_per_second(f * t, seconds_per_clip)
    if quantizer is not None and counts is not None:
        metrics["rate/nominal_bps"] = nominal_bps(rate, quantizer.codebook_size)
        metrics["rate/entropy_bps"] = rate * entropy_bits(counts)
        metrics["codebook/perplexity"] = perplexity(counts)
        metrics["codebook/usage"] = float((counts > 0).double().mean())
        metrics["codebook/dead_fraction"] = float(
            (quantizer.counts() < quantizer.dead_threshold).double().mean())
    if vectors:
        metrics["rate/kl_bps"] = rate * kl_bits_sum / vectors
    metrics["model/params"] = float(parameter_count(rec.model))
    metrics["model/flops_per_second"] = flop_count(rec.model, *feature_size,
                                                   batch=flops_batch) / seconds_per_clip
    metrics["model/audio_seconds_per_second"] = len(waves) * seconds_per_clip / max(
        model_seconds, 1e-9)
    return Evaluation(metrics, examples, None if counts is None else counts.cpu().tolist())
