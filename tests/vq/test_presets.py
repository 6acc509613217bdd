"""The seed's mel VQ-VAE preset: its sizes and its latent on the seed's mel features."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from lab.features import SEED_MEL, FeatureTransform
from lab.rates import nominal_bps, vectors_per_second
from vq.autoencoder import SpectrogramAutoencoder
from vq.presets import PRESETS, SEED_VQVAE
from vq.quantizer import VectorQuantizer


@pytest.fixture(scope="module")
def model() -> SpectrogramAutoencoder:
    torch.manual_seed(0)
    return SpectrogramAutoencoder(SEED_VQVAE).eval()


def test_seed_vqvae_matches_the_seed() -> None:
    c = SEED_VQVAE
    assert (c.domain, c.in_channels) == ("real", 1)
    assert (c.width, c.growth, c.stages, c.res_blocks) == (256, 1, 2, 2)
    assert (c.bottleneck, c.bottleneck_config.codebook_size, c.latent_dim) == ("vq", 512, 256)
    assert c.bottleneck_config.ema_decay == 0.999 and c.bottleneck_config.commitment == 0.25
    assert PRESETS["seed_vqvae"] is SEED_VQVAE


def test_quantizer_settings(model: SpectrogramAutoencoder) -> None:
    q = model.bottleneck
    assert isinstance(q, VectorQuantizer)
    assert (q.dim, q.codebook_size) == (256, 512)
    assert q.ema and q.decay == 0.999 and q.commitment == 0.25 and q.eps == 1e-5
    assert tuple(q.codebook.shape) == (512, 256)


def test_every_conv_has_256_channels(model: SpectrogramAutoencoder) -> None:
    for part, first_in, last_out in ((model.encoder, 1, 256), (model.decoder, 256, 1)):
        convs = [m for m in part.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d)]
        # encoder: 3x3 in, 2 strided, 2 x 2 in the residual blocks, 1x1 out
        assert len(convs) == 1 + 2 + 2 * 2 + 1
        assert convs[0].in_channels == first_in and convs[-1].out_channels == last_out
        for conv in convs[1:]:
            assert conv.in_channels == 256
        for conv in convs[:-1]:
            assert conv.out_channels == 256
    strided = [m for m in model.encoder.modules()
               if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 2 and all(m.kernel_size == (4, 4) for m in strided)
    norms = [m for m in model.encoder.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 2 + 2 + 1 and all(m.num_features == 256 for m in norms)


def test_latent_on_seed_mel_features(model: SpectrogramAutoencoder) -> None:
    transform = FeatureTransform(SEED_MEL)
    t = torch.arange(16000) / 16000
    wave = (0.3 * torch.sin(2 * math.pi * 220.0 * t) * torch.sin(math.pi * t)).unsqueeze(0)
    with torch.no_grad():
        x = transform(wave)
        assert x.shape == (1, 1, 128, 32)
        recon, out = model(x)
    assert recon.shape == x.shape
    assert out.latent.shape == (1, 256, 32, 8)
    assert out.codes is not None and out.codes.shape == (1, 32, 8)
    assert int(out.codes.min()) >= 0 and int(out.codes.max()) < 512
    assert model.latent_size(128, 32) == (32, 8)
    # 32 x 8 = 256 codes per second of audio at 9 bits: 2304 bit/s nominal
    assert nominal_bps(vectors_per_second(32 * 8, 1.0), 512) == pytest.approx(2304.0)
