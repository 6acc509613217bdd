"""From a :class:`~lab.config.RunConfig` to the model's sizes, checking the config's consistency.

Rules (each violation is a :class:`~lab.config.ConfigError` before any work starts):

* ``model.preset`` replaces the sizes by the named :data:`vq.presets.PRESETS` config (its
  bottleneck settings too: the seed's K = 512, EMA 0.999);
* ``model.twin`` = ``params`` | ``flops`` needs ``model.domain=complex`` (the model described)
  and builds its matched real twin (:func:`vq.twins.real_twin`) at the config's feature size and
  batch size, on ``planar`` features (the fair twin) or on a magnitude-only representation
  (one channel: same bits, matched parameters or FLOPs);
* the loss weights must suit the representation (:func:`lab.losses.check`: magnitude-only
  features have no waveform to train on);
* the representation must suit the final model (:func:`lab.reconstruction.expected_model`):
  ``stft`` for complex models, ``planar`` for real two-channel ones, magnitude-like ones for
  real one-channel ones.
"""

from __future__ import annotations

from lab.config import ConfigError, RunConfig, bottleneck_config
from lab.losses import check as check_loss
from lab.reconstruction import expected_model
from vq.autoencoder import AutoencoderConfig
from vq.presets import PRESETS
from vq.twins import real_twin

CLIP_SECONDS = 1.0


def described_model(config: RunConfig) -> AutoencoderConfig:
    """The autoencoder config that ``config.model`` (+ the bottleneck's section, e.g. ``vq``)
    describes, before twins."""
    m = config.model
    if m.preset:
        return PRESETS[m.preset]
    in_channels = expected_model(config.features.representation)[1] if m.domain == "real" else 1
    return AutoencoderConfig(
        domain=m.domain, arch=m.arch, in_channels=in_channels, freq_bins=feature_size(config)[0],
        groups=m.groups, width=m.width, latent_dim=m.latent_dim,
        stages=m.stages, growth=m.growth, res_blocks=m.res_blocks, norm=m.norm,
        bottleneck=m.bottleneck, bottleneck_config=bottleneck_config(config))


def feature_size(config: RunConfig) -> tuple[int, int]:
    """``(F, T)`` of one clip's features."""
    f = config.features
    bins = f.n_mels if f.representation in ("mel", "log_mel") else f.n_freq
    return bins, f.frames(int(CLIP_SECONDS * f.sample_rate))


def model_config(config: RunConfig) -> AutoencoderConfig:
    """The autoencoder a run trains (see the module docstring)."""
    m = config.model
    base = described_model(config)
    rep = config.features.representation
    if m.twin != "none":
        if m.domain != "complex" or m.preset:
            raise ConfigError("model.twin needs model.domain=complex (the model whose twin is "
                              "built) and no model.preset")
        if rep == "stft":
            raise ConfigError("a real twin takes real features: set features.representation="
                              "planar (the fair twin) or a magnitude-only one")
        _check_loss(config)
        twin, _ = real_twin(base, m.twin, *feature_size(config), batch=config.optim.batch_size,
                            in_channels=expected_model(rep)[1])
        return twin
    domain, channels = expected_model(rep)
    if (base.domain, base.in_channels) != (domain, channels):
        hint = {"complex": "stft", "real": "planar, magnitude, log_magnitude, mel or log_mel"}
        raise ConfigError(f"features.representation={rep} needs a {domain} model; "
                          f"model.domain={base.domain} takes {hint[base.domain]}")
    _check_loss(config)
    return base


def _check_loss(config: RunConfig) -> None:
    try:
        check_loss(config.loss, config.features.representation)
    except ValueError as err:
        raise ConfigError(str(err)) from None
