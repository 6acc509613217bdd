"""Time-frequency representations of speech, and their inverses back to waveforms.

One frozen :class:`FeatureConfig` names a representation and its parameters; a
:class:`FeatureTransform` built from it maps waveforms ``(B, L)`` to model inputs
``(B, C, F, T)`` and back. Representations (the models issue uses each):

* ``stft``: the complex STFT, ``(B, 1, F, T)`` complex (complex networks). Inverse: iSTFT.
* ``planar``: ``[Re X ; Im X]`` as two real channels, ``(B, 2, F, T)`` (the fair real twin).
  Inverse: iSTFT.
* ``magnitude``: ``|X|``, ``(B, 1, F, T)``; ``log_magnitude``: ``log(|X| + floor)``. Inverse:
  Griffin-Lim (Griffin & Lim 1984; torchaudio, deterministic zero-phase start) or, as an oracle
  control, the true phase of the original.
* ``mel``: the seed's power mel spectrogram (linear, as the seed trained on it) and
  ``log_mel``: ``log(mel + floor)`` (our correction). Inverse: least-squares inverse mel filter
  bank (the pseudo-inverse of torchaudio's filter matrix, clamped at 0: it exists even when
  narrow low-frequency mel bands leave the matrix rank-deficient, where torchaudio's
  ``InverseMelScale`` raises), then Griffin-Lim or the oracle phase.

STFT defaults: ``n_fft`` 512, hop 128, periodic Hann window, centred frames (torchaudio's
convention), so 1 s at 16 kHz gives ``F = 257`` bins and ``T = 126`` frames.
:data:`SEED_MEL` is the seed's preset (docs/vq.md): n_fft 1024, hop 512, 128 HTK mels without
filter normalization, f_max 8 kHz, power 2, Griffin-Lim 32 iterations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
import torchaudio.transforms as T
from torch import Tensor, nn

Representation = Literal["stft", "planar", "magnitude", "log_magnitude", "mel", "log_mel"]
REPRESENTATIONS: tuple[Representation, ...] = (
    "stft", "planar", "magnitude", "log_magnitude", "mel", "log_mel")


@dataclass(frozen=True)
class FeatureConfig:
    """A representation and its parameters (see the module docstring)."""

    representation: Representation = "stft"
    sample_rate: int = 16000
    n_fft: int = 512
    hop_length: int = 128
    n_mels: int = 128
    f_max: float = 8000.0
    mel_scale: Literal["htk", "slaney"] = "htk"
    mel_norm: Literal["slaney"] | None = None
    mel_power: float = 2.0
    log_floor: float = 1e-5
    griffin_lim_iters: int = 32

    def __post_init__(self) -> None:
        if self.representation not in REPRESENTATIONS:
            raise ValueError(f"representation must be one of {REPRESENTATIONS}, got "
                             f"{self.representation!r}")
        if self.hop_length <= 0 or self.n_fft <= 0 or self.hop_length > self.n_fft:
            raise ValueError(f"need 0 < hop_length <= n_fft, got {self.hop_length}, {self.n_fft}")
        if self.griffin_lim_iters < 1:
            raise ValueError(f"griffin_lim_iters must be >= 1, got {self.griffin_lim_iters}")

    @property
    def n_freq(self) -> int:
        return self.n_fft // 2 + 1

    def frames(self, length: int) -> int:
        """STFT frames of a ``length``-sample signal (centred frames)."""
        return length // self.hop_length + 1


SEED_MEL = FeatureConfig(representation="mel", n_fft=1024, hop_length=512, n_mels=128,
                         f_max=8000.0, mel_scale="htk", mel_norm=None, mel_power=2.0,
                         griffin_lim_iters=32)


class FeatureTransform(nn.Module):
    """Waveforms ``(B, L)`` <-> features ``(B, C, F, T)`` for one :class:`FeatureConfig`."""

    def __init__(self, config: FeatureConfig) -> None:
        super().__init__()
        self.config = c = config
        self.stft = T.Spectrogram(n_fft=c.n_fft, hop_length=c.hop_length, power=None)
        self.istft = T.InverseSpectrogram(n_fft=c.n_fft, hop_length=c.hop_length)
        self.griffin_lim = T.GriffinLim(n_fft=c.n_fft, hop_length=c.hop_length,
                                        n_iter=c.griffin_lim_iters, power=1.0, rand_init=False)
        self.mel: T.MelScale | None = None
        self.mel_pinv: Tensor | None
        self.register_buffer("mel_pinv", None)
        if c.representation in ("mel", "log_mel"):
            self.mel = T.MelScale(n_mels=c.n_mels, sample_rate=c.sample_rate, f_max=c.f_max,
                                  n_stft=c.n_freq, norm=c.mel_norm, mel_scale=c.mel_scale)
            fb = self.mel.fb.double()  # (F, n_mels): mel = fb^T power
            self.mel_pinv = torch.linalg.pinv(fb.T).float()  # (F, n_mels), a buffer

    def forward(self, wave: Tensor) -> Tensor:
        """``(B, L)`` real -> ``(B, C, F, T)`` features."""
        if wave.ndim != 2 or wave.is_complex():
            raise ValueError(
                f"expected real waveforms (B, L), got {tuple(wave.shape)} {wave.dtype}")
        spec: Tensor = self.stft(wave)  # (B, F, T) complex
        rep = self.config.representation
        if rep == "stft":
            return spec.unsqueeze(1)
        if rep == "planar":
            return torch.stack([spec.real, spec.imag], dim=1)
        mag = spec.abs()
        if rep == "magnitude":
            return mag.unsqueeze(1)
        if rep == "log_magnitude":
            return torch.log(mag + self.config.log_floor).unsqueeze(1)
        assert self.mel is not None
        mel: Tensor = self.mel(mag.pow(self.config.mel_power))
        if rep == "log_mel":
            mel = torch.log(mel + self.config.log_floor)
        return mel.unsqueeze(1)

    def magnitude(self, features: Tensor) -> Tensor:
        """The linear STFT magnitude ``(B, F, T)`` that features of a magnitude-only
        representation stand for (through the inverse mel filter bank for mels)."""
        rep, floor = self.config.representation, self.config.log_floor
        x = features.squeeze(1)
        if rep == "magnitude":
            return x.clamp_min(0.0)
        if rep == "log_magnitude":
            return (torch.exp(x) - floor).clamp_min(0.0)
        if rep in ("mel", "log_mel"):
            assert self.mel_pinv is not None
            mel = (torch.exp(x) - floor).clamp_min(0.0) if rep == "log_mel" else x.clamp_min(0.0)
            power = torch.einsum("fm,bmt->bft", self.mel_pinv.to(mel.dtype), mel).clamp_min(0.0)
            return power.pow(1.0 / self.config.mel_power)
        raise ValueError(f"{rep} features carry phase: use inverse()")

    def inverse(self, features: Tensor, length: int, phase: Tensor | None = None) -> Tensor:
        """Features ``(B, C, F, T)`` -> waveforms ``(B, length)``.

        For magnitude-only representations, ``phase`` (radians ``(B, F, T)``, or the complex STFT
        of the original, whose angle is used) gives the oracle-phase reconstruction; without it,
        Griffin-Lim estimates the phase with ``griffin_lim_iters`` iterations.
        """
        rep = self.config.representation
        wave: Tensor
        if rep == "stft":
            wave = self.istft(features.squeeze(1), length=length)
            return wave
        if rep == "planar":
            wave = self.istft(torch.complex(features[:, 0], features[:, 1]), length=length)
            return wave
        mag = self.magnitude(features)
        if phase is None:
            wave = self.griffin_lim(mag)
            return F.pad(wave, (0, max(0, length - wave.shape[-1])))[..., :length]
        angle = phase.angle() if phase.is_complex() else phase
        wave = self.istft(torch.polar(mag, angle.to(mag.dtype)), length=length)
        return wave

    def with_iters(self, n_iter: int) -> FeatureTransform:
        """The same transform with another number of Griffin-Lim iterations."""
        return FeatureTransform(replace(self.config, griffin_lim_iters=n_iter))
