"""Will a run fit? The memory a training step needs, estimated before anything is created.

A config such as ``model.width=100000`` used to pass validation, create the store and a tracked
run, then die allocating hundreds of GB. :func:`check_fits` refuses it first (the CLIs: one
line, exit 2), from an estimate that allocates nothing: the model is built on PyTorch's
``meta`` device (shapes and dtypes, no storage) and one batch is passed through it there.

* training state: ``P`` parameter bytes, times 4 (weights, gradients, Adam's two moments);
* activations: the bytes of every tensor one forward pass of a batch of ``optim.batch_size``
  clips creates (views excluded): more than autograd keeps for the backward pass (some are
  temporaries), which leaves room for the gradients the backward pass holds while it walks back;
* the total against the memory free now: CUDA's free memory for a CUDA run, else Linux's
  ``MemAvailable``.

The estimate is a floor with a margin, not a measurement (the bottleneck's own tensors: a
VQ's distance chunks of at most 1 MB and its one-off k-means initialization, the objective's
STFTs, the evaluation and the allocator's slack are left out): :data:`FIT_FRACTION` of the
free memory is the most a run may claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from lab.build import feature_size, model_config
from lab.config import ConfigError, RunConfig
from lab.device import pick_device
from lab.reconstruction import expected_model
from vq.autoencoder import SpectrogramAutoencoder, parameter_count
from vq.base import Bottleneck, BottleneckOutput
from vq.registry import spec

FIT_FRACTION = 0.8  # of the free memory
GB = 1e9


@dataclass(frozen=True)
class MemoryEstimate:
    params: int  # parameters (real numbers; a complex weight counts two)
    state_bytes: int  # weights, gradients, Adam's moments
    activation_bytes: int  # every tensor one batch's forward pass creates

    @property
    def total_bytes(self) -> int:
        return self.state_bytes + self.activation_bytes


class _Shapes(Bottleneck):
    """A bottleneck stand-in for the meta pass: the latent of a real one (the first
    ``1 / factor`` of the channels), without the data-dependent steps (a codebook's first-batch
    initialization, code counts) that have no meta kernel; its own tensors are small."""

    def __init__(self, factor: int) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, z: Tensor) -> BottleneckOutput:
        return BottleneckOutput(z[:, :z.shape[1] // self.factor])


class _Allocations(TorchDispatchMode):  # type: ignore[no-untyped-call]
    """Sums the bytes of every tensor an op creates (views excluded) while it is active."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.total = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            for t in tree_flatten(out)[0]:
                if isinstance(t, Tensor):
                    self.total += t.numel() * t.element_size()
        return out


def _forward_bytes(model: nn.Module, x: Tensor) -> int:
    """Bytes of every tensor one forward pass creates (the modules of ``cvnn`` run their
    planar forms inside their parents, so per-module hooks would miss them)."""
    with _Allocations() as counted:
        model(x)
    return int(counted.total)


def estimate(config: RunConfig) -> MemoryEstimate:
    """The training memory of ``config``'s model and batch, computed on the meta device."""
    with torch.device("meta"):
        model = SpectrogramAutoencoder(model_config(config))
    params = parameter_count(model)
    state = 4 * sum(p.numel() * p.element_size() for p in model.parameters())
    domain, channels = expected_model(config.features.representation)
    freq, frames = feature_size(config)
    dtype = torch.complex64 if domain == "complex" else torch.float32
    x = torch.empty(config.optim.batch_size, channels, freq, frames, dtype=dtype, device="meta")
    model.bottleneck = _Shapes(spec(config.model.bottleneck).input_factor)
    try:
        acts = _forward_bytes(model.train(), x)
    except (NotImplementedError, RuntimeError):  # an op with no meta kernel: state only
        acts = 0
    return MemoryEstimate(params, state, acts)


def free_bytes(device: torch.device) -> int | None:
    """Memory free now on ``device`` (None when unknown)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_fits(config: RunConfig) -> MemoryEstimate:
    """:class:`lab.config.ConfigError` when the run's estimate exceeds :data:`FIT_FRACTION` of
    the free memory of its device, saying what it needs and what to change."""
    est = estimate(config)
    device = pick_device(config.device)
    free = free_bytes(device)
    if free is not None and est.total_bytes > FIT_FRACTION * free:
        raise ConfigError(
            f"this run needs about {est.total_bytes / GB:.1f} GB to train ({est.params / 1e6:.1f}M "
            f"parameters: {est.state_bytes / GB:.1f} GB with gradients and Adam's moments; a "
            f"batch of {config.optim.batch_size} clips: {est.activation_bytes / GB:.1f} GB of "
            f"activations) and {device.type} has {free / GB:.1f} GB free: lower model.width, "
            f"model.latent_dim or optim.batch_size")
    return est
