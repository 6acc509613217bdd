"""Per-frequency normalization statistics, fitted on the training split only.

For features ``X (B, C, F, T)``, statistics are per frequency bin ``f`` (pooled over clips,
channels and frames) and depend on the representation:

* ``stft``, ``planar``, ``magnitude``, ``mel``: a scale only, ``s_f = sqrt(mean |X_f|^2)``
  (``X / s_f``): no shift, so complex features keep their phase and the map stays linear.
* ``log_magnitude``, ``log_mel``: mean and standard deviation, ``(X - m_f) / s_f``.

The statistics are saved with a run (:meth:`Normalizer.state_dict`) so that a model can be
evaluated later exactly as it was trained.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from lab.dataset import ManifestDataset
from lab.features import FeatureTransform

SHIFTED = ("log_magnitude", "log_mel")


@dataclass
class Normalizer:
    """``apply``: ``(X - mean) / scale`` per frequency bin (``mean`` is 0 for linear features)."""

    representation: str
    mean: Tensor  # (F,)
    scale: Tensor  # (F,)

    def _view(self, t: Tensor, x: Tensor) -> Tensor:
        return t.to(x.device, x.real.dtype).view(1, 1, -1, 1)

    def apply(self, x: Tensor) -> Tensor:
        return (x - self._view(self.mean, x)) / self._view(self.scale, x)

    def invert(self, x: Tensor) -> Tensor:
        return x * self._view(self.scale, x) + self._view(self.mean, x)

    def state_dict(self) -> dict[str, object]:
        return {"representation": self.representation, "mean": self.mean.tolist(),
                "scale": self.scale.tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, object]) -> Normalizer:
        mean, scale = state["mean"], state["scale"]
        assert isinstance(mean, list) and isinstance(scale, list)
        return cls(str(state["representation"]), torch.tensor(mean, dtype=torch.float64),
                   torch.tensor(scale, dtype=torch.float64))


@torch.no_grad()
def fit_normalizer(dataset: ManifestDataset, transform: FeatureTransform,
                   batch_size: int = 64, floor: float = 1e-8) -> Normalizer:
    """Statistics of ``transform``'s features over ``dataset``, which must be a training split."""
    if dataset.split != "training":
        raise ValueError(f"normalization statistics come from the training split only, got the "
                         f"{dataset.split} split")
    batches = (transform(wave.double()) for wave, _ in DataLoader(dataset, batch_size=batch_size))
    return normalizer_from_features(batches, transform.config.representation, floor)


@torch.no_grad()
def normalizer_from_features(batches: Iterable[Tensor], representation: str,
                             floor: float = 1e-8) -> Normalizer:
    """Statistics of feature batches ``(B, C, F, T)`` (of the training split: the caller's
    responsibility), accumulated in float64."""
    n = 0
    s1: Tensor | None = None
    s2: Tensor | None = None
    for x in batches:
        values = (x.abs() if x.is_complex() else x).double()  # planar: Re and Im pooled
        count = values.shape[0] * values.shape[1] * values.shape[3]
        b1 = values.sum(dim=(0, 1, 3))
        b2 = values.square().sum(dim=(0, 1, 3))
        s1 = b1 if s1 is None else s1 + b1
        s2 = b2 if s2 is None else s2 + b2
        n += count
    if s1 is None or s2 is None:
        raise ValueError("no training features to fit normalization statistics on")
    if representation in SHIFTED:
        mean = s1 / n
        scale = (s2 / n - mean.square()).clamp_min(0.0).sqrt().clamp_min(floor)
    else:
        mean = torch.zeros_like(s1)
        scale = (s2 / n).sqrt().clamp_min(floor)
    return Normalizer(representation, mean.cpu(), scale.cpu())
