"""evaluate(): the contract's metric names per bottleneck and representation, the rates' closed
forms, examples, the training flag, and bad input."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from lab.evaluate import Evaluation, evaluate
from lab.features import FeatureConfig, FeatureTransform, Representation
from lab.rates import entropy_bits
from lab.reconstruction import Reconstructor, expected_model
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder, flop_count, parameter_count
from vq.quantizer import VectorQuantizer, VQConfig
from vq.residual import RVQConfig

SR = 16000
N = 3
METRICS = ("si_sdr", "snr", "pesq_wb", "stoi", "estoi", "lsd", "spectral_convergence", "mrstft",
           "mel_distance", "pesq_failures", "stoi_failures", "n_clips")
ALWAYS = {f"test/{m}" for m in METRICS} | {
    "model/params", "model/flops_per_second", "model/audio_seconds_per_second"}
VQ_NAMES = {"rate/nominal_bps", "rate/entropy_bps", "codebook/perplexity", "codebook/usage",
            "codebook/dead_fraction"}
VAE_NAMES = {"rate/kl_bps"}
ORACLE = {f"oracle/{m}" for m in METRICS}
# the default STFT on 1 s: 257 bins x 126 frames; 2 stages: 260 x 128 padded, 65 x 32 latent
F_BINS, FRAMES = 257, 126
POSITIONS = 65 * 32


def _clips(n: int = N, length: int = SR, noise: bool = False) -> Tensor:
    """Harmonic tones (f0 110-190 Hz, 8 harmonics) under a 4 Hz syllable-like envelope, or
    Gaussian noise: deterministic speech stand-ins."""
    g = torch.Generator().manual_seed(0)
    if noise:
        return 0.1 * torch.randn(n, length, generator=g)
    t = torch.arange(length, dtype=torch.float64) / SR
    out = []
    for i in range(n):
        f0 = 110.0 + 40.0 * i
        env = torch.sin(math.pi * t * SR / length).square() * (
            0.55 + 0.45 * torch.sin(2 * math.pi * 4.0 * t))
        tone = sum(torch.sin(2 * math.pi * f0 * k * t + 0.3 * k) / k for k in range(1, 9))
        out.append(0.3 * env * tone + 1e-3 * torch.randn(length, generator=g,
                                                          dtype=torch.float64))
    return torch.stack(out).float()


@pytest.fixture(scope="module")
def waves() -> Tensor:
    return _clips()


def find_quantizer(module: torch.nn.Module) -> VectorQuantizer | None:
    """The (first) :class:`VectorQuantizer` inside ``module``, real or behind a complex one."""
    return next((m for m in module.modules() if isinstance(m, VectorQuantizer)), None)


NECKS = {"vq": VQConfig(codebook_size=8), "rvq": RVQConfig(codebook_size=8, codebooks=2)}


def _reconstructor(rep: Representation = "stft", bottleneck: str = "vq",
                   seed: int = 0) -> Reconstructor:
    torch.manual_seed(seed)
    domain, channels = expected_model(rep)
    model = SpectrogramAutoencoder(AutoencoderConfig(  # the 2-D topology: 65 x 32 latent cells
        domain=domain, arch="conv2d", in_channels=channels, width=4,  # type: ignore[arg-type]
        latent_dim=2, stages=2, bottleneck=bottleneck,
        bottleneck_config=NECKS.get(bottleneck)))
    return Reconstructor(FeatureTransform(FeatureConfig(representation=rep)), model)


def _check_failure_invariants(metrics: dict[str, float], prefix: str, n: int) -> None:
    assert metrics[f"{prefix}/n_clips"] == n
    for metric, failures in (("pesq_wb", "pesq_failures"), ("stoi", "stoi_failures"),
                             ("estoi", "stoi_failures")):
        count = metrics[f"{prefix}/{failures}"]
        assert count == int(count) and 0 <= count <= n
        # a metric that failed on every clip is NaN, else a mean of the successful clips
        assert math.isnan(metrics[f"{prefix}/{metric}"]) == (count == n)
    for name in ("si_sdr", "snr", "lsd", "spectral_convergence", "mrstft", "mel_distance"):
        assert math.isfinite(metrics[f"{prefix}/{name}"])


@pytest.mark.parametrize("rep", ["stft", "planar"])
@pytest.mark.parametrize("bottleneck", ["none", "vae", "vq"])
def test_contract_names_phased(waves: Tensor, rep: Representation, bottleneck: str) -> None:
    ev = evaluate(_reconstructor(rep, bottleneck), waves)
    assert isinstance(ev, Evaluation) and ev.examples == []
    extra = {"none": set(), "vae": VAE_NAMES, "vq": VQ_NAMES}[bottleneck]
    assert set(ev.metrics) == ALWAYS | extra
    _check_failure_invariants(ev.metrics, "test", N)
    assert all(isinstance(v, float) for v in ev.metrics.values())
    assert ev.metrics["model/audio_seconds_per_second"] > 0


@pytest.mark.parametrize("rep", ["magnitude", "log_magnitude"])
@pytest.mark.parametrize("bottleneck", ["none", "vae", "vq"])
def test_contract_names_magnitude_only(waves: Tensor, rep: Representation,
                                       bottleneck: str) -> None:
    ev = evaluate(_reconstructor(rep, bottleneck), waves[:2])
    extra = {"none": set(), "vae": VAE_NAMES, "vq": VQ_NAMES}[bottleneck]
    assert set(ev.metrics) == ALWAYS | ORACLE | extra
    _check_failure_invariants(ev.metrics, "test", 2)
    _check_failure_invariants(ev.metrics, "oracle", 2)


def test_prefix(waves: Tensor) -> None:
    ev = evaluate(_reconstructor("log_magnitude", "none"), waves[:1], prefix="val")
    assert {k for k in ev.metrics if k.startswith("val/")} == {f"val/{m}" for m in METRICS}
    assert not any(k.startswith("test/") for k in ev.metrics)
    assert {k for k in ev.metrics if k.startswith("oracle/")} == ORACLE


@pytest.mark.parametrize("rep", ["stft", "planar"])
@pytest.mark.parametrize("batch_size", [1, 2, 16])
def test_vq_rates_closed_forms(waves: Tensor, rep: Representation, batch_size: int) -> None:
    rec = _reconstructor(rep, "vq")
    model = rec.model
    assert model.latent_size(F_BINS, FRAMES) == (65, 32)
    m = evaluate(rec, waves, batch_size=batch_size).metrics
    k = model.config.bottleneck_config.codebook_size
    assert m["rate/nominal_bps"] == pytest.approx(POSITIONS * math.log2(k), rel=1e-12)
    assert 0.0 <= m["rate/entropy_bps"] <= m["rate/nominal_bps"] + 1e-9
    assert m["codebook/perplexity"] == pytest.approx(
        2 ** (m["rate/entropy_bps"] / POSITIONS), rel=1e-9)
    assert 1.0 - 1e-9 <= m["codebook/perplexity"] <= k + 1e-9
    # the pooled code histogram, recomputed clip by clip (eval mode: batch-independent)
    model.eval()
    counts = torch.zeros(k, dtype=torch.long)
    with torch.no_grad():
        for i in range(len(waves)):
            _, out = model(rec.model_input(rec.transform(waves[i:i + 1])))
            assert out.codes is not None and out.codes.shape == (1, 65, 32)
            counts += torch.bincount(out.codes.flatten(), minlength=k)
    assert int(counts.sum()) == N * POSITIONS
    assert m["rate/entropy_bps"] == pytest.approx(POSITIONS * entropy_bits(counts), rel=1e-6)
    assert m["codebook/usage"] == pytest.approx(float((counts > 0).double().mean()))
    quantizer = find_quantizer(model)
    assert quantizer is not None
    assert m["codebook/dead_fraction"] == pytest.approx(
        float((quantizer.counts() < quantizer.dead_threshold).double().mean()))


@pytest.mark.parametrize("rep", ["stft", "log_magnitude"])
def test_model_size_metrics(waves: Tensor, rep: Representation) -> None:
    rec = _reconstructor(rep, "none")
    m = evaluate(rec, waves[:1]).metrics
    assert m["model/params"] == parameter_count(rec.model)
    assert m["model/flops_per_second"] == flop_count(rec.model, F_BINS, FRAMES) / 1.0
    assert m["model/flops_per_second"] > 0


def test_flops_and_rates_are_per_second_of_audio() -> None:
    rec = _reconstructor("stft", "vq")
    two_seconds = _clips(1, 2 * SR)
    m = evaluate(rec, two_seconds).metrics
    frames = 2 * SR // 128 + 1  # 251
    f, t = rec.model.latent_size(F_BINS, frames)
    assert m["rate/nominal_bps"] == pytest.approx(f * t / 2.0 * math.log2(8), rel=1e-12)
    assert m["model/flops_per_second"] == pytest.approx(
        flop_count(rec.model, F_BINS, frames) / 2.0, rel=1e-12)


@pytest.mark.parametrize("rep", ["stft", "planar"])
@pytest.mark.parametrize("batch_size", [2, 16])
def test_vae_kl_rate(waves: Tensor, rep: Representation, batch_size: int) -> None:
    rec = _reconstructor(rep, "vae")
    m = evaluate(rec, waves, batch_size=batch_size).metrics
    rec.model.eval()
    per_clip = []
    with torch.no_grad():
        for i in range(len(waves)):
            _, out = rec.model(rec.model_input(rec.transform(waves[i:i + 1])))
            per_clip.append(float(out.metrics["vae/kl_bits"]))
    # every clip has the same number of latent vectors: the pooled mean is the mean over clips
    expected = POSITIONS * sum(per_clip) / len(per_clip)
    assert m["rate/kl_bps"] == pytest.approx(expected, rel=1e-4)
    assert m["rate/kl_bps"] > 0


def test_find_quantizer() -> None:
    for rep in ("stft", "planar"):
        q = find_quantizer(_reconstructor(rep, "vq").model)
        assert isinstance(q, VectorQuantizer) and q.codebook_size == 8
    assert find_quantizer(_reconstructor("stft", "vq").model).dim == 4  # type: ignore[union-attr]
    for bottleneck in ("none", "vae"):
        assert find_quantizer(_reconstructor("stft", bottleneck).model) is None


@pytest.mark.parametrize("n_examples", [0, 2, 5])
def test_examples(waves: Tensor, n_examples: int) -> None:
    rec = _reconstructor("stft", "vq")
    ev = evaluate(rec, waves, batch_size=2, n_examples=n_examples)
    assert len(ev.examples) == min(n_examples, N)
    rec.eval()
    expected = rec.reconstruct(waves)
    for i, (ref, est) in enumerate(ev.examples):
        assert ref.shape == est.shape == (SR,)
        torch.testing.assert_close(ref, waves[i], rtol=0.0, atol=0.0)
        torch.testing.assert_close(est, expected[i], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_training_flag_is_restored_and_eval_mode_is_used(waves: Tensor, training: bool) -> None:
    rec = _reconstructor("stft", "vq")
    rec.train(training)
    quantizer = find_quantizer(rec.model)
    assert quantizer is not None and not bool(quantizer.initialized)
    codebook = quantizer.codebook.clone()
    evaluate(rec, waves[:1])
    assert rec.training == training and rec.model.training == training
    assert all(m.training == training for m in rec.model.modules())
    # in eval mode, the quantizer neither k-means-initializes nor updates its EMA
    assert not bool(quantizer.initialized) and int(quantizer.updates) == 0
    torch.testing.assert_close(quantizer.codebook, codebook, rtol=0.0, atol=0.0)


def test_model_flag_is_restored_when_it_differs_from_the_reconstructors(waves: Tensor) -> None:
    rec = _reconstructor("stft", "none")
    rec.model.eval()  # a fresh Reconstructor is in training mode, its model was put in eval
    assert rec.training and not rec.model.training
    evaluate(rec, waves[:1])
    assert not rec.model.training


def test_gaussian_noise_clips(waves: Tensor) -> None:
    noise = _clips(2, noise=True)
    m = evaluate(_reconstructor("planar", "vq"), noise).metrics
    assert set(m) == ALWAYS | VQ_NAMES
    _check_failure_invariants(m, "test", 2)


@pytest.mark.parametrize("shape", [(SR,), (0, SR), (1, 1, SR)])
def test_bad_input(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"expected clips \(N, L\)"):
        evaluate(_reconstructor("stft", "none"), torch.zeros(shape))


def test_vae_is_evaluated_on_posterior_samples(waves: Tensor) -> None:
    """The KL rate is the cost of a sample: the decoded latent is a sample, reproducibly."""
    rec = _reconstructor("stft", "vae")
    a = evaluate(rec, waves, vae_seed=0).metrics
    b = evaluate(rec, waves, vae_seed=0).metrics
    c = evaluate(rec, waves, vae_seed=1).metrics
    assert a["test/si_sdr"] == b["test/si_sdr"] and a["test/si_sdr"] != c["test/si_sdr"]
    bottleneck = rec.model.bottleneck
    assert getattr(bottleneck, "eval_generator", "missing") is None  # restored: eval uses mu


@pytest.mark.parametrize("stages", [0, 1])
def test_frames_rate_counts_groups_per_latent_frame(waves: Tensor, stages: int) -> None:
    """The frames topology: ``groups`` vectors per latent frame, ``ceil(T / 2^stages)`` frames."""
    torch.manual_seed(0)
    model = SpectrogramAutoencoder(AutoencoderConfig(
        arch="frames", freq_bins=F_BINS, groups=3, width=4, latent_dim=2, stages=stages,
        bottleneck_config=VQConfig(codebook_size=16)))
    rec = Reconstructor(FeatureTransform(FeatureConfig(representation="stft")), model)
    m = evaluate(rec, waves[:2]).metrics
    frames = -(-FRAMES // 2**stages)
    assert model.latent_size(F_BINS, FRAMES) == (3, frames)
    assert m["rate/nominal_bps"] == pytest.approx(3 * frames * math.log2(16), rel=1e-12)


def test_rvq_rates_and_histograms(waves: Tensor) -> None:
    """Two codebooks: nominal rate ``r x 2 log2 K``, entropy the sum of the two stages'
    histogram entropies (recomputed clip by clip), one histogram per codebook."""
    rec = _reconstructor("stft", "rvq")
    ev = evaluate(rec, waves, batch_size=2)
    m = ev.metrics
    assert m["rate/nominal_bps"] == pytest.approx(POSITIONS * 2 * math.log2(8), rel=1e-12)
    counts = torch.zeros(2, 8, dtype=torch.long)
    rec.model.eval()
    with torch.no_grad():
        for i in range(len(waves)):
            _, out = rec.model(rec.model_input(rec.transform(waves[i:i + 1])))
            assert out.codes is not None and out.codes.shape == (1, 2, 65, 32)
            for n in range(2):
                counts[n] += torch.bincount(out.codes[:, n].flatten(), minlength=8)
    assert ev.code_counts == counts.tolist()
    h = [entropy_bits(c) for c in counts]
    assert m["rate/entropy_bps"] == pytest.approx(POSITIONS * sum(h), rel=1e-6)
    assert m["rate/entropy_bps"] <= m["rate/nominal_bps"] + 1e-9
    assert m["codebook/perplexity"] == pytest.approx(sum(2 ** x for x in h) / 2, rel=1e-6)
    assert "rate/kl_bps" not in m
