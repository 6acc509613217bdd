"""Waveform in, waveform out: features, normalization, an autoencoder, and the inverse.

``wave (B, L) -> FeatureTransform -> Normalizer.apply -> model -> Normalizer.invert ->
FeatureTransform.inverse -> (B, L)``. Which model takes which representation (docs/vq.md):

=================================  =======================================
representation                     model
=================================  =======================================
``stft`` (complex, 1 channel)      a ``complex`` model, ``in_channels=1``
``planar`` (Re, Im: 2 channels)    a ``real`` model, ``in_channels=2`` (the fair twin)
``magnitude``, ``log_magnitude``,  a ``real`` model, ``in_channels=1``
``mel``, ``log_mel``
=================================  =======================================

Phase: ``stft`` and ``planar`` carry it and are inverted by the iSTFT (``"model"``);
magnitude-only representations are inverted by Griffin-Lim (``"griffin_lim"``, the default for
them) or, as an oracle control, with the phase of the original clip's STFT (``"oracle"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from lab.features import FeatureTransform
from lab.normalization import Normalizer
from vq.autoencoder import SpectrogramAutoencoder
from vq.base import BottleneckOutput

PhaseMode = Literal["model", "griffin_lim", "oracle"]
PHASED = ("stft", "planar")


def expected_model(representation: str) -> tuple[str, int]:
    """``(domain, in_channels)`` of the model that takes ``representation``."""
    return {"stft": ("complex", 1), "planar": ("real", 2)}.get(representation, ("real", 1))


@dataclass
class Reconstruction:
    """One pass: the model's input and output features (unnormalized) and its bottleneck."""

    features: Tensor  # (B, C, F, T) as the transform gives them
    output: Tensor  # (B, C, F, T) the model's reconstruction, unnormalized
    bottleneck: BottleneckOutput


class Reconstructor(nn.Module):
    """An autoencoder between a feature transform and its inverse (see the module docstring)."""

    def __init__(self, transform: FeatureTransform, model: SpectrogramAutoencoder,
                 normalizer: Normalizer | None = None) -> None:
        super().__init__()
        rep = transform.config.representation
        domain, channels = expected_model(rep)
        if (model.config.domain, model.config.in_channels) != (domain, channels):
            raise ValueError(
                f"{rep} features need a {domain} model with in_channels={channels}, got a "
                f"{model.config.domain} model with in_channels={model.config.in_channels}")
        if normalizer is not None and normalizer.representation != rep:
            raise ValueError(f"the normalizer was fitted on {normalizer.representation} "
                             f"features, not {rep}")
        self.transform, self.model, self.normalizer = transform, model, normalizer

    @property
    def representation(self) -> str:
        return self.transform.config.representation

    def default_phase(self) -> PhaseMode:
        return "model" if self.representation in PHASED else "griffin_lim"

    def model_input(self, features: Tensor) -> Tensor:
        return features if self.normalizer is None else self.normalizer.apply(features)

    def model_output(self, normalized: Tensor) -> Tensor:
        return normalized if self.normalizer is None else self.normalizer.invert(normalized)

    def forward(self, wave: Tensor) -> Reconstruction:
        """``wave (B, L)`` -> the features, their reconstruction and the bottleneck's output."""
        return self.autoencode(self.transform(wave))

    def autoencode(self, features: Tensor) -> Reconstruction:
        """Features ``(B, C, F, T)`` (unnormalized) through the normalized model."""
        out, bottleneck = self.model(self.model_input(features))
        return Reconstruction(features, self.model_output(out), bottleneck)

    def waveform(self, rec: Reconstruction, wave: Tensor, phase: PhaseMode | None = None) -> Tensor:
        """The reconstructed waveform ``(B, L)`` of ``rec`` (made from ``wave``).

        ``phase``: ``"model"`` for ``stft``/``planar`` (their only choice), ``"griffin_lim"`` or
        ``"oracle"`` (the phase of ``wave``'s STFT) for magnitude-only representations.
        """
        mode = phase or self.default_phase()
        if (mode == "model") != (self.representation in PHASED):
            allowed = "'model'" if self.representation in PHASED else "'griffin_lim' or 'oracle'"
            raise ValueError(f"{self.representation} features are inverted with {allowed}, "
                             f"not {mode!r}")
        length = wave.shape[-1]
        if mode == "oracle":
            true_phase: Tensor = self.transform.stft(wave)
            return self.transform.inverse(rec.output, length, phase=true_phase)
        return self.transform.inverse(rec.output, length)

    @torch.no_grad()
    def reconstruct(self, wave: Tensor, phase: PhaseMode | None = None) -> Tensor:
        """``wave (B, L)`` -> reconstructed ``(B, L)`` in one call (eval mode is the caller's)."""
        return self.waveform(self(wave), wave, phase)
