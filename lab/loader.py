"""Batches of cached features for training: shuffled, on the training device.

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
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        self.epoch += 1
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield (self.features[idx].to(self.device, non_blocking=True),
                   self.labels[idx].to(self.device, non_blocking=True))
