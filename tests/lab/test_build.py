"""model_config: the model a config describes per representation, the seed preset, the matched
real twins, and the inconsistent configs it refuses before any work."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lab.build import described_model, feature_size, model_config
from lab.config import ConfigError, RunConfig, apply_overrides
from lab.features import SEED_MEL
from vq.autoencoder import AutoencoderConfig, SpectrogramAutoencoder, parameter_count
from vq.presets import PRESETS, SEED_VQVAE
from vq.twins import twin_config
from vq.vae import VAEConfig

# for magnitude-only
SPECTRAL = ("loss.spectral=1", "loss.si_sdr=0", "loss.snr=0", "loss.compressed=0")
MAGNITUDE_ONLY = ("magnitude", "log_magnitude", "mel", "log_mel")


def cfg(*overrides: str) -> RunConfig:
    """The base config with ``overrides``; magnitude-only features get a spectral loss."""
    spectral = any(o == f"features.representation={r}" for o in overrides for r in MAGNITUDE_ONLY)
    return apply_overrides(RunConfig(), [*(SPECTRAL if spectral else ()), *overrides])


def test_magnitude_only_features_need_a_spectral_loss() -> None:
    c = apply_overrides(RunConfig(), ["model.domain=real", "features.representation=log_mel"])
    with pytest.raises(ConfigError, match="carry no phase"):
        model_config(c)


def test_complex_model_on_the_stft() -> None:
    c = cfg("model.width=8", "model.latent_dim=4", "model.stages=3", "model.growth=1",
            "model.res_blocks=2", "model.bottleneck=vae", "vq.codebook_size=64",
            "vq.commitment=0.5", "vq.ema_decay=0.9", "vae.beta=0.01")
    assert model_config(c) == AutoencoderConfig(
        domain="complex", arch="frames", in_channels=1, freq_bins=257, groups=8, width=8,
        latent_dim=4, stages=3, growth=1, res_blocks=2, bottleneck="vae",
        bottleneck_config=VAEConfig(beta=0.01))  # the vq keys are not the VAE's
    m, d = RunConfig().model, model_config(RunConfig())  # the run's model keys reach the model
    assert (d.arch, d.groups, d.width, d.latent_dim, d.stages, d.growth, d.res_blocks,
            d.norm, d.bottleneck) == (m.arch, m.groups, m.width, m.latent_dim, m.stages,
                                      m.growth, m.res_blocks, m.norm, m.bottleneck)
    assert feature_size(RunConfig()) == (257, 126)


@pytest.mark.parametrize(("representation", "channels", "size"), [
    ("planar", 2, (257, 126)), ("magnitude", 1, (257, 126)), ("log_magnitude", 1, (257, 126)),
    ("mel", 1, (128, 126)), ("log_mel", 1, (128, 126))])
def test_real_models_take_the_representation_channels(representation: str, channels: int,
                                                      size: tuple[int, int]) -> None:
    c = cfg("model.domain=real", f"features.representation={representation}")
    m = model_config(c)
    assert (m.domain, m.in_channels) == ("real", channels)
    assert m == replace(model_config(cfg()), domain="real", in_channels=channels,
                        freq_bins=size[0])
    assert feature_size(c) == size


def test_seed_preset_on_the_seed_mel() -> None:
    c = cfg("model.preset=seed_vqvae", "features.representation=mel", "features.n_fft=1024",
            "features.hop_length=512")
    assert c.features == SEED_MEL
    # the preset replaces every size and bottleneck setting of the config
    assert model_config(c) == PRESETS["seed_vqvae"] == SEED_VQVAE
    neck = SEED_VQVAE.bottleneck_config
    assert (neck.codebook_size, neck.ema_decay, SEED_VQVAE.width) == (512, 0.999, 256)
    assert model_config(apply_overrides(c, ["model.width=4", "vq.codebook_size=8"])) == SEED_VQVAE
    # 128 mels x 32 frames for 1 s at 16 kHz (hop 512, centred frames: 16000 // 512 + 1)
    assert feature_size(c) == (128, 32)
    with pytest.raises(ConfigError, match=r"features\.representation=stft needs a complex model"):
        model_config(cfg("model.preset=seed_vqvae"))


def test_parameter_matched_twin() -> None:
    c = cfg("model.twin=params", "features.representation=planar", "model.width=8",
            "model.latent_dim=2", "model.stages=1", "vq.codebook_size=8", "optim.batch_size=4")
    described = described_model(c)
    assert (described.domain, described.in_channels, described.width) == ("complex", 1, 8)
    twin = model_config(c)
    assert twin == twin_config(described, twin.width)
    # real, on planar input, twice the latent dimensions, the same bottleneck and codebook
    assert (twin.domain, twin.in_channels, twin.latent_dim) == ("real", 2, 4)
    assert (twin.bottleneck, twin.bottleneck_config.codebook_size, twin.stages) == ("vq", 8, 1)

    def count(width: int) -> int:
        return parameter_count(SpectrogramAutoencoder(twin_config(described, width)))

    target = parameter_count(SpectrogramAutoencoder(described))
    assert abs(count(twin.width) / target - 1) <= 0.05
    # and no other width matches better
    for width in (twin.width - 1, twin.width + 1):
        assert abs(count(twin.width) - target) <= abs(count(width) - target)


def test_magnitude_twin_has_one_channel_and_the_same_bits() -> None:
    twin = model_config(cfg("model.twin=params", "features.representation=log_magnitude",
                            "model.width=16", "model.latent_dim=2"))
    described = model_config(cfg("model.width=16", "model.latent_dim=2"))
    assert (twin.domain, twin.in_channels, twin.latent_dim) == ("real", 1, 4)
    assert twin.bottleneck_config == described.bottleneck_config
    ratio = parameter_count(SpectrogramAutoencoder(twin)) / parameter_count(
        SpectrogramAutoencoder(described))
    assert abs(ratio - 1) <= 0.05


@pytest.mark.parametrize(("overrides", "message"), [
    (["model.twin=params"], "a real twin takes real features: set "
                            "features.representation=planar"),
    (["model.twin=params", "model.domain=real", "features.representation=planar"],
     "model.twin needs model.domain=complex"),
    (["model.twin=params", "model.preset=seed_vqvae", "features.representation=planar"],
     "no model.preset"),
    (["model.domain=real"], "features.representation=stft needs a complex model; "
                            "model.domain=real takes planar"),
    (["features.representation=planar"], "features.representation=planar needs a real model; "
                                          "model.domain=complex takes stft"),
    (["features.representation=log_mel"], "features.representation=log_mel needs a real model"),
])
def test_inconsistent_configs_are_refused(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        model_config(cfg(*overrides))
    assert message in str(err.value)
