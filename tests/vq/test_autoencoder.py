"""Spectrogram autoencoders (both topologies): shapes, bottleneck wiring, real twins, the frames
topology's linear start, overfitting one batch."""

from __future__ import annotations

import pytest
import torch

from vq.autoencoder import (
    AutoencoderConfig,
    SpectrogramAutoencoder,
    flop_count,
    parameter_count,
)
from vq.quantizer import VQConfig
from vq.residual import RVQConfig
from vq.twins import real_twin, twin_config
from vq.vae import VAEConfig

CASES = [(d, b) for d in ("complex", "real") for b in ("none", "vae", "vq", "rvq")]
LOSSES = {"none": set(), "vae": {"vae/kl"}, "vq": {"vq/commitment", "vq/codebook"},
          "rvq": {"vq/commitment", "vq/codebook"}}


def _neck(bottleneck: str, k: int = 8, beta: float = 1.0) -> object:
    """The bottleneck config of the tests: K codes (two stages for rvq)."""
    return {"none": None, "vae": VAEConfig(beta=beta), "vq": VQConfig(codebook_size=k),
            "rvq": RVQConfig(codebook_size=k, codebooks=2)}[bottleneck]


def _input(cfg: AutoencoderConfig, batch: int, freq: int, frames: int) -> torch.Tensor:
    dtype = torch.complex64 if cfg.domain == "complex" else torch.float32
    return torch.randn(batch, cfg.in_channels, freq, frames, dtype=dtype)


@pytest.mark.parametrize(("domain", "bottleneck"), CASES)
def test_shapes_for_every_bottleneck(domain: str, bottleneck: str) -> None:
    cfg = AutoencoderConfig(domain=domain, arch="conv2d",  # type: ignore[arg-type]
                            in_channels=1 if domain == "complex" else 2,
                            width=4, latent_dim=3, bottleneck=bottleneck,
                            bottleneck_config=_neck(bottleneck), stages=2)
    m = SpectrogramAutoencoder(cfg)
    x = _input(cfg, 2, 257, 126)  # the default STFT: 257 bins x 126 frames
    recon, out = m(x)
    assert recon.shape == x.shape and recon.dtype == x.dtype
    assert out.latent.shape == (2, 3, *m.latent_size(257, 126)) == (2, 3, 65, 32)
    assert (out.codes is not None) == (bottleneck in ("vq", "rvq"))
    assert set(out.losses) == LOSSES[bottleneck]


@pytest.mark.parametrize(("domain", "bottleneck"), CASES)
@pytest.mark.parametrize("stages", [0, 1, 2])
def test_frames_shapes_for_every_bottleneck(domain: str, bottleneck: str, stages: int) -> None:
    cfg = AutoencoderConfig(domain=domain, in_channels=1 if domain == "complex" else 2,  # type: ignore[arg-type]
                            freq_bins=33, groups=4, width=6, latent_dim=3, stages=stages,
                            bottleneck=bottleneck, bottleneck_config=_neck(bottleneck))
    m = SpectrogramAutoencoder(cfg)
    x = _input(cfg, 2, 33, 11)  # an odd number of frames: padded, then cropped
    recon, out = m(x)
    assert recon.shape == x.shape and recon.dtype == x.dtype
    t = -(-11 // 2**stages)
    assert m.latent_size(33, 11) == (4, t)
    assert out.latent.shape == (2, 3, 4, t)  # groups vectors of latent_dim per latent frame
    if out.codes is not None:  # (B, N, *S) for N > 1 codebooks
        assert out.codes.shape == ((2, 4, t) if bottleneck == "vq" else (2, 2, 4, t))
    with pytest.raises(ValueError, match="33 frequency bins"):
        m(_input(cfg, 2, 32, 11))


@pytest.mark.parametrize("domain", ["complex", "real"])
def test_frames_model_starts_linear(domain: str) -> None:
    """Residual branches start at zero, and nothing else is non-linear: at initialization the
    plain frames autoencoder is a linear map (superposition holds, complex scalars included)."""
    torch.manual_seed(0)
    cfg = AutoencoderConfig(domain=domain, in_channels=1 if domain == "complex" else 2,  # type: ignore[arg-type]
                            freq_bins=9, groups=2, width=8, latent_dim=2, stages=1,
                            res_blocks=2, bottleneck="none")
    m = SpectrogramAutoencoder(cfg).double()
    dtype = torch.complex128 if domain == "complex" else torch.float64
    x, y = (torch.randn(2, cfg.in_channels, 9, 12, dtype=dtype) for _ in range(2))
    a = torch.tensor(0.7 - 0.3j if domain == "complex" else -1.3, dtype=dtype)

    def f(v: torch.Tensor) -> torch.Tensor:
        out, _ = m(v)
        return out

    zero = f(torch.zeros_like(x))  # the affine offset (biases)
    torch.testing.assert_close(f(a * x + y) - zero, a * (f(x) - zero) + (f(y) - zero))


def test_gradients_reach_the_encoder_through_the_quantizer() -> None:
    m = SpectrogramAutoencoder(AutoencoderConfig(arch="conv2d", width=4, latent_dim=2,
                                                 bottleneck_config=VQConfig(codebook_size=8)))
    recon, _ = m(_input(m.config, 2, 17, 8))
    recon.abs().square().mean().backward()
    first = m.encoder[0]
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0


def test_bad_input_and_config() -> None:
    m = SpectrogramAutoencoder(AutoencoderConfig(width=4, latent_dim=2, freq_bins=17))
    with pytest.raises(ValueError, match="complex"):
        m(torch.randn(1, 1, 17, 8))
    with pytest.raises(ValueError, match="bottleneck"):
        AutoencoderConfig(bottleneck="gumbel")
    with pytest.raises(ValueError, match="takes a VQConfig"):
        AutoencoderConfig(bottleneck="vq", bottleneck_config=VAEConfig())
    with pytest.raises(ValueError, match="arch"):
        AutoencoderConfig(arch="transformer")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stages"):
        AutoencoderConfig(arch="conv2d", stages=0)


@pytest.mark.parametrize(("arch", "width"), [("conv2d", 16), ("conv2d", 24), ("frames", 16)])
def test_real_twins_match_within_tolerance(arch: str, width: int) -> None:
    cfg = AutoencoderConfig(arch=arch, width=width, latent_dim=8, freq_bins=65,  # type: ignore[arg-type]
                            stages=2)
    complex_model = SpectrogramAutoencoder(cfg)
    p_twin, p_err = real_twin(cfg, "params")
    assert p_err <= 0.05
    assert p_twin.latent_dim == 2 * cfg.latent_dim and p_twin.in_channels == 2
    assert p_twin.bottleneck_config == cfg.bottleneck_config and p_twin.domain == "real"
    assert abs(parameter_count(SpectrogramAutoencoder(p_twin)) / parameter_count(
        complex_model) - 1) == pytest.approx(p_err)
    f_twin, f_err = real_twin(cfg, "flops", 65, 32)
    assert f_err <= 0.10
    assert abs(flop_count(SpectrogramAutoencoder(f_twin), 65, 32) / flop_count(
        complex_model, 65, 32) - 1) == pytest.approx(f_err)
    assert p_twin.width < f_twin.width  # equal FLOPs need more width than equal parameters
    with pytest.raises(ValueError, match="complex config"):
        twin_config(p_twin, 8)


@pytest.mark.slow
@pytest.mark.parametrize(("domain", "bottleneck"), CASES)
def test_overfits_one_batch(domain: str, bottleneck: str) -> None:
    torch.manual_seed(0)
    cfg = AutoencoderConfig(domain=domain, in_channels=1 if domain == "complex" else 2,  # type: ignore[arg-type]
                            arch="conv2d", width=8, latent_dim=4,
                            bottleneck=bottleneck,
                            bottleneck_config=_neck(bottleneck, 16, 1e-3), stages=2, res_blocks=1)
    m = SpectrogramAutoencoder(cfg)
    x = _input(cfg, 4, 33, 16)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = last = 0.0
    for step in range(80):
        recon, out = m(x)
        rec = (recon - x).abs().square().mean()
        loss = rec + sum(out.losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = float(rec.detach()) if step == 0 else first
        last = float(rec.detach())
    assert last < first / 5


def test_complex_batch_norm_mode_is_configurable() -> None:
    from cvnn import CBatchNorm2d

    for mode in ("whiten", "naive"):
        m = SpectrogramAutoencoder(AutoencoderConfig(arch="conv2d", width=4, latent_dim=2,
                                                     norm=mode))  # type: ignore[arg-type]
        modes = {n.mode for n in m.modules() if isinstance(n, CBatchNorm2d)}
        assert modes == {mode}
        recon, _ = m(_input(m.config, 2, 17, 8))
        assert recon.shape == (2, 1, 17, 8)
    with pytest.raises(ValueError, match="norm"):
        AutoencoderConfig(norm="layer")  # type: ignore[arg-type]


def test_config_round_trips_through_a_dict() -> None:
    from dataclasses import asdict

    for name in ("none", "vae", "vq", "rvq"):
        cfg = AutoencoderConfig(bottleneck=name, bottleneck_config=_neck(name))
        assert AutoencoderConfig.from_dict(asdict(cfg)) == cfg
    # a model file written before bottlenecks had their own configs
    old = {"bottleneck": "vq", "codebook_size": 16, "commitment": 0.5, "ema_decay": 0.9,
           "beta": 1.0}
    assert AutoencoderConfig.from_dict(old).bottleneck_config == VQConfig(16, 0.5, 0.9)
