"""Named model configs.

:data:`SEED_VQVAE` is the seed notebook's mel VQ-VAE (docs/vq.md) as an
:class:`~vq.autoencoder.AutoencoderConfig`, on the seed's mel features
(:data:`lab.features.SEED_MEL`: 128 HTK mels x 32 frames for 1 s at 16 kHz, one channel):

* encoder: two 4x4 stride-2 convolutions at 256 channels with BatchNorm (``width=256``,
  ``growth=1``, ``stages=2``) and two residual blocks (``res_blocks=2``);
* EMA vector quantization with ``K = 512`` codes of ``D = 256`` dimensions, decay 0.999,
  Laplace epsilon 1e-5 (the quantizer's default), commitment 0.25;
* a real model on one channel (the seed's mel is real).

What is fixed on purpose: the seed reshaped the encoder output without moving the channels last,
so each *channel's whole map* became one "vector"; here, as everywhere in :mod:`vq`, each
time-frequency position's 256-vector is quantized (``32 x 8 = 256`` codes per second of audio at
9 bits each: 2304 bit/s nominal). What differs in the layers: our encoder starts with a 3x3
convolution (1 -> 256 channels) before the strided ones, and the residual blocks have a norm
between their two convolutions (the same blocks as every other model, so results compare).
The seed's training settings (Adam 2e-4, batch 16, Griffin-Lim 32 iterations) belong to the
experiment config, not the model's sizes.
"""

from __future__ import annotations

from vq.autoencoder import AutoencoderConfig
from vq.quantizer import VQConfig

SEED_VQVAE = AutoencoderConfig(domain="real", arch="conv2d", in_channels=1, width=256, growth=1,
                               latent_dim=256, stages=2, res_blocks=2, bottleneck="vq",
                               bottleneck_config=VQConfig(codebook_size=512, commitment=0.25,
                                                          ema_decay=0.999))

PRESETS: dict[str, AutoencoderConfig] = {"seed_vqvae": SEED_VQVAE}
