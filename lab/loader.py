"""Batches of cached features for training: shuffled, on the training device.

Every epoch's order is a function of ``(seed, epoch)`` alone (:func:`epoch_order`), so a run
resumed at any step sees the same batches without saving loader state: :class:`BatchOrder` gives
the indices of step ``i`` (what :mod:`lab.train` uses), :class:`FeatureBatches` iterates epochs.

After :class:`lab.cache.FeatureCache` the features of a split are one in-memory tensor, so an
epoch is index arithmetic: no worker processes compete with the model for the 2-core CPU
(measured by ``benchmarks/bench_loading.py``: 0.03 s per epoch of the default corpus). On CUDA
the source is pinned once and each batch is copied with ``non_blocking=True``, so the copy of the
next batch overlaps the current step.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor


def epoch_order(n: int, seed: int, epoch: int) -> Tensor:
    """The permutation of ``range(n)`` for ``epoch`` of a run seeded with ``seed``."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g)


class BatchOrder:
    """The indices of training step ``i``: ``n // batch_size`` full batches per epoch (the whole
    split when it is smaller than a batch), in :func:`epoch_order`."""

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        self.n, self.batch_size, self.seed = n, min(batch_size, n), seed
        self.per_epoch = max(1, n // self.batch_size)
        self._epoch, self._perm = -1, torch.arange(0)

    def __call__(self, step: int) -> Tensor:
        epoch, i = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, epoch_order(self.n, self.seed, epoch)
        return self._perm[i * self.batch_size:(i + 1) * self.batch_size]


class FeatureBatches:
    """Iterate ``(features, labels)`` batches of a split, reshuffled every epoch."""

    def __init__(self, features: Tensor, labels: Tensor, batch_size: int,
                 device: torch.device | str = "cpu", shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} feature rows but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.device = torch.device(device)
        pin = self.device.type == "cuda"
        self.features = features.pin_memory() if pin else features
        self.labels = labels.pin_memory() if pin else labels
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.labels)
        order = epoch_order(n, self.seed, self.epoch) if self.shuffle else torch.arange(n)
        self.epoch += 1
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield (self.features[idx].to(self.device, non_blocking=True),
                   self.labels[idx].to(self.device, non_blocking=True))
