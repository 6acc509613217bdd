"""Spectrogram autoencoders, real and complex, with the same topology, and their fair real twins.

Two topologies (``arch``), each the same in both domains, built from one :class:`Kit` of layers
(torch.nn for ``real``, cvnn for ``complex``):

* ``frames`` (the default): frequency as channels, 1-D convolutions over time; ``groups``
  latent vectors per latent frame (:mod:`vq.frames`, which says why it is the default);
* ``conv2d``: 2-D convolutions over ``(F, T)``, one latent vector per time-frequency cell (the
  seed's VQ-VAE topology)::

    encoder: conv 3x3 (in -> w), then per stage s: [norm, act, conv 4x4 stride 2 (c -> g c)],
             residual blocks [act, conv 3x3, norm, act, conv 1x1] x res_blocks, norm, act,
             conv 1x1 -> latent channels (x2 for a VAE: mean and log-variance)
    decoder: conv 3x3 (latent -> top width), residual blocks, then per stage:
             [norm, act, transposed conv 4x4 stride 2 (c -> c/g)], norm, act, conv 3x3 -> in

with ``g = growth`` (2 by default: channels double as resolution halves; the seed's preset keeps
them constant, ``g = 1``, see :mod:`vq.presets`).
over ``(B, C, F, T)`` (frequency x time). Inputs are zero-padded to a multiple of ``2^stages`` in
both axes and outputs cropped back, so any STFT size works. Each latent position is one vector of
``latent_dim`` (complex dims for ``complex``, real dims for ``real``), quantized or not by the
bottleneck (:mod:`vq.base`), any of :data:`vq.registry.BOTTLENECKS` (``none``, ``vae``, ``vq``,
``rvq``) with its own config (``bottleneck_config``).

Sizes live in the frozen :class:`AutoencoderConfig`; layers come from the explicit registry
:data:`KITS` (``{"real": ..., "complex": ...}[config.domain]``), the bottleneck from its spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cvnn import (
    CBatchNorm2d,
    CConv1d,
    CConv2d,
    CConvTranspose1d,
    CConvTranspose2d,
    ComplexModule,
    CReLU,
    CSequential,
)
from vq.base import Bottleneck, BottleneckOutput
from vq.frames import frame_layers, from_vectors, to_frames, to_vectors
from vq.registry import spec

Domain = Literal["real", "complex"]
Arch = Literal["frames", "conv2d"]


@dataclass(frozen=True)
class AutoencoderConfig:
    """Sizes of a spectrogram autoencoder (channel counts are complex for ``complex``)."""

    domain: Domain = "complex"
    arch: Arch = "frames"
    in_channels: int = 1
    freq_bins: int = 257  # frames: the input's F (its channels are in_channels x freq_bins)
    groups: int = 8  # frames: latent vectors per latent frame
    width: int = 16
    latent_dim: int = 8
    stages: int = 2
    growth: int = 2
    res_blocks: int = 1
    norm: Literal["whiten", "naive"] = "whiten"  # complex batch norm (cvnn.CBatchNorm2d mode)
    bottleneck: str = "vq"  # a name of vq.registry.BOTTLENECKS
    bottleneck_config: Any = None  # its config (frozen dataclass); None: the defaults

    def __post_init__(self) -> None:
        if self.domain not in ("real", "complex"):
            raise ValueError(f"domain must be 'real' or 'complex', got {self.domain!r}")
        if self.arch not in ("frames", "conv2d"):
            raise ValueError(f"arch must be 'frames' or 'conv2d', got {self.arch!r}")
        if min(self.freq_bins, self.groups) < 1:
            raise ValueError("freq_bins and groups must be >= 1")
        if self.norm not in ("whiten", "naive"):
            raise ValueError(f"norm must be 'whiten' or 'naive', got {self.norm!r}")
        kind = spec(self.bottleneck)
        if self.bottleneck_config is None:
            object.__setattr__(self, "bottleneck_config", kind.config())
        elif not isinstance(self.bottleneck_config, kind.config):
            raise ValueError(f"bottleneck {self.bottleneck!r} takes a {kind.config.__name__}, "
                             f"got {type(self.bottleneck_config).__name__}")
        if min(self.in_channels, self.width, self.latent_dim, self.growth) < 1:
            raise ValueError("in_channels, width, latent_dim and growth must be >= 1")
        if self.stages < (0 if self.arch == "frames" else 1):
            raise ValueError(f"stages must be >= {0 if self.arch == 'frames' else 1} for "
                             f"arch={self.arch}, got {self.stages}")


    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutoencoderConfig:
        """Inverse of :func:`dataclasses.asdict` (the bottleneck's config is rebuilt by its
        spec). Dicts written before bottlenecks had their own configs (``codebook_size``,
        ``commitment``, ``ema_decay`` and ``beta`` at top level) are read too."""
        data = dict(data)
        old = {k: data.pop(k) for k in ("codebook_size", "commitment", "ema_decay", "beta")
               if k in data}
        kind = spec(data.get("bottleneck", "vq"))
        neck = data.pop("bottleneck_config", None)
        if neck is None and old:
            names = {f.name for f in dataclasses.fields(kind.config)}
            neck = {k: v for k, v in old.items() if k in names}
        return cls(**data, bottleneck_config=kind.config(**(neck or {})))


class _RealResidual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = x + self.body(x)
        return out


class _ComplexResidual(ComplexModule):
    def __init__(self, body: CSequential) -> None:
        super().__init__()
        self.body = body

    def forward_planar(self, x: Tensor) -> Tensor:
        return x + self.body.forward_planar(x)  # addition is the same on the planar layout


def _complex_norm(channels: int, mode: str) -> nn.Module:
    return CBatchNorm2d(channels, mode="naive" if mode == "naive" else "whiten")


@dataclass(frozen=True)
class Kit:
    """The layers of one domain."""

    conv: Callable[..., nn.Module]
    deconv: Callable[..., nn.Module]
    conv1: Callable[..., nn.Module]
    deconv1: Callable[..., nn.Module]
    norm: Callable[[int, str], nn.Module]  # (channels, complex BN mode)
    act: Callable[[], nn.Module]
    seq: Callable[..., nn.Module]
    residual: Callable[..., nn.Module]


KITS: dict[str, Kit] = {
    "real": Kit(nn.Conv2d, nn.ConvTranspose2d, nn.Conv1d, nn.ConvTranspose1d,
                lambda c, mode: nn.BatchNorm2d(c), nn.ReLU,
                nn.Sequential,
                _RealResidual),
    "complex": Kit(CConv2d, CConvTranspose2d, CConv1d, CConvTranspose1d, _complex_norm, CReLU,
                   CSequential,
                   _ComplexResidual),
}


def _res_block(kit: Kit, c: int, norm: str) -> nn.Module:
    return kit.residual(kit.seq(kit.act(), kit.conv(c, c, 3, 1, 1), kit.norm(c, norm), kit.act(),
                                kit.conv(c, c, 1)))


def _grid_layers(c: AutoencoderConfig, kit: Kit) -> tuple[nn.Module, nn.Module]:
    """The encoder and decoder of the ``conv2d`` topology (module docstring)."""
    widths = [c.width * c.growth**s for s in range(c.stages + 1)]
    enc: list[nn.Module] = [kit.conv(c.in_channels, widths[0], 3, 1, 1)]
    for s in range(c.stages):
        enc += [kit.norm(widths[s], c.norm), kit.act(),
                kit.conv(widths[s], widths[s + 1], 4, 2, 1)]
    enc += [_res_block(kit, widths[-1], c.norm) for _ in range(c.res_blocks)]
    out_dim = c.latent_dim * spec(c.bottleneck).input_factor
    enc += [kit.norm(widths[-1], c.norm), kit.act(), kit.conv(widths[-1], out_dim, 1)]
    dec: list[nn.Module] = [kit.conv(c.latent_dim, widths[-1], 3, 1, 1)]
    dec += [_res_block(kit, widths[-1], c.norm) for _ in range(c.res_blocks)]
    for s in reversed(range(c.stages)):
        dec += [kit.norm(widths[s + 1], c.norm), kit.act(),
                kit.deconv(widths[s + 1], widths[s], 4, 2, 1)]
    dec += [kit.norm(widths[0], c.norm), kit.act(), kit.conv(widths[0], c.in_channels, 3, 1, 1)]
    return kit.seq(*enc), kit.seq(*dec)


class SpectrogramAutoencoder(nn.Module):
    """``forward(x) -> (reconstruction, BottleneckOutput)`` for ``x: (B, in_channels, F, T)``."""

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = c = config
        kit = KITS[c.domain]
        self.encoder, self.decoder = (frame_layers(c, kit) if c.arch == "frames"
                                      else _grid_layers(c, kit))
        self.bottleneck: Bottleneck = spec(c.bottleneck).build(c.domain, c.latent_dim,
                                                               c.bottleneck_config)

    def padded_size(self, freq: int, frames: int) -> tuple[int, int]:
        m = 2**self.config.stages
        f = freq if self.config.arch == "frames" else -(-freq // m) * m
        return f, -(-frames // m) * m

    def latent_size(self, freq: int, frames: int) -> tuple[int, int]:
        """Latent positions ``(F', T')`` for an input of ``freq`` bins and ``frames`` frames
        (``frames``: ``F'`` is the number of groups)."""
        f, t = self.padded_size(freq, frames)
        if self.config.arch == "frames":
            return self.config.groups, t // 2**self.config.stages
        return f // 2**self.config.stages, t // 2**self.config.stages

    def forward(self, x: Tensor) -> tuple[Tensor, BottleneckOutput]:
        want_complex = self.config.domain == "complex"
        if x.is_complex() != want_complex or x.ndim != 4 or x.shape[1] != self.config.in_channels:
            kind = "complex" if want_complex else "real"
            raise ValueError(
                f"this {self.config.domain} autoencoder takes {kind} "
                f"(B, {self.config.in_channels}, F, T) input, got {x.dtype} {tuple(x.shape)}")
        freq, frames = x.shape[-2:]
        f, t = self.padded_size(freq, frames)
        xp = F.pad(x, (0, t - frames, 0, f - freq))
        if self.config.arch == "conv2d":
            out = self.bottleneck(self.encoder(xp))
            recon: Tensor = self.decoder(out.latent)[..., :freq, :frames]
            return recon, out
        if freq != self.config.freq_bins:
            raise ValueError(f"this frames autoencoder takes {self.config.freq_bins} frequency "
                             f"bins, got {freq}")
        c = self.config
        dim = c.latent_dim * spec(c.bottleneck).input_factor
        out = self.bottleneck(to_vectors(self.encoder(to_frames(xp)), dim))
        y = self.decoder(from_vectors(out.latent))
        recon = y.reshape(x.shape[0], c.in_channels, freq, t)[..., :frames]
        return recon, out


def parameter_count(model: nn.Module) -> int:
    """Real parameters (a complex weight counts its two parts)."""
    return sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())


@torch.no_grad()
def flop_count(model: SpectrogramAutoencoder, freq: int, frames: int, batch: int = 16) -> int:
    """FLOPs per clip of one eval forward on a ``(batch, C, freq, frames)`` input, counted by
    :class:`torch.utils.flop_counter.FlopCounterMode` on the actual implementation.

    The batch matters: cvnn picks a complex convolution's formulation (block weight, or Gauss's
    three products, 3/4 of the multiply-adds) from the input's size next to the weight's
    (:func:`cvnn.conv.prefer_gauss`), so count at the batch size the model runs at.
    """
    from torch.utils.flop_counter import FlopCounterMode

    dtype = torch.complex64 if model.config.domain == "complex" else torch.float32
    device = next(model.parameters()).device
    x = torch.zeros(batch, model.config.in_channels, freq, frames, dtype=dtype, device=device)
    was = model.training
    model.eval()
    with FlopCounterMode(display=False) as counter:
        model(x)
    model.train(was)
    return int(counter.get_total_flops()) // batch
