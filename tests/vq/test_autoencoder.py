"""Spectrogram autoencoders: shapes, bottleneck wiring, real twins, overfitting one batch."""

from __future__ import annotations

import pytest
import torch

from vq.autoencoder import (
    AutoencoderConfig,
    SpectrogramAutoencoder,
    flop_count,
    parameter_count,
)
from vq.twins import real_twin, twin_config

CASES = [(d, b) for d in ("complex", "real") for b in ("none", "vae", "vq")]


def _input(cfg: AutoencoderConfig, batch: int, freq: int, frames: int) -> torch.Tensor:
    dtype = torch.complex64 if cfg.domain == "complex" else torch.float32
    return torch.randn(batch, cfg.in_channels, freq, frames, dtype=dtype)


@pytest.mark.parametrize(("domain", "bottleneck"), CASES)
def test_shapes_for_every_bottleneck(domain: str, bottleneck: str) -> None:
    cfg = AutoencoderConfig(domain=domain, in_channels=1 if domain == "complex" else 2,  # type: ignore[arg-type]
                            width=4, latent_dim=3, bottleneck=bottleneck,  # type: ignore[arg-type]
                            codebook_size=8)
    m = SpectrogramAutoencoder(cfg)
    x = _input(cfg, 2, 257, 126)  # the default STFT: 257 bins x 126 frames
    recon, out = m(x)
    assert recon.shape == x.shape and recon.dtype == x.dtype
    assert out.latent.shape == (2, 3, *m.latent_size(257, 126)) == (2, 3, 65, 32)
    assert (out.codes is not None) == (bottleneck == "vq")
    assert set(out.losses) == {"none": set(), "vae": {"vae/kl"},
                               "vq": {"vq/commitment", "vq/codebook"}}[bottleneck]


def test_gradients_reach_the_encoder_through_the_quantizer() -> None:
    m = SpectrogramAutoencoder(AutoencoderConfig(width=4, latent_dim=2, codebook_size=8))
    recon, _ = m(_input(m.config, 2, 17, 8))
    recon.abs().square().mean().backward()
    first = m.encoder[0]
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0


def test_bad_input_and_config() -> None:
    m = SpectrogramAutoencoder(AutoencoderConfig(width=4, latent_dim=2))
    with pytest.raises(ValueError, match="complex"):
        m(torch.randn(1, 1, 17, 8))
    with pytest.raises(ValueError, match="bottleneck"):
        AutoencoderConfig(bottleneck="gumbel")  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [16, 24])
def test_real_twins_match_within_tolerance(width: int) -> None:
    cfg = AutoencoderConfig(width=width, latent_dim=8)
    complex_model = SpectrogramAutoencoder(cfg)
    p_twin, p_err = real_twin(cfg, "params")
    assert p_err <= 0.05
    assert p_twin.latent_dim == 2 * cfg.latent_dim and p_twin.in_channels == 2
    assert p_twin.codebook_size == cfg.codebook_size and p_twin.domain == "real"
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
                            width=8, latent_dim=4, bottleneck=bottleneck,  # type: ignore[arg-type]
                            codebook_size=16, beta=1e-3)
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
        m = SpectrogramAutoencoder(AutoencoderConfig(width=4, latent_dim=2, norm=mode))  # type: ignore[arg-type]
        modes = {n.mode for n in m.modules() if isinstance(n, CBatchNorm2d)}
        assert modes == {mode}
        recon, _ = m(_input(m.config, 2, 17, 8))
        assert recon.shape == (2, 1, 17, 8)
    with pytest.raises(ValueError, match="norm"):
        AutoencoderConfig(norm="layer")  # type: ignore[arg-type]
