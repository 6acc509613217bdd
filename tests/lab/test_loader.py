"""Feature batches: every row once per epoch, reshuffled, reproducible from the seed."""

from __future__ import annotations

import pytest
import torch

from lab.loader import FeatureBatches


def test_epoch_covers_every_row_once_and_reshuffles() -> None:
    feats = torch.arange(10.0).view(10, 1, 1, 1)
    labels = torch.arange(10)
    batches = FeatureBatches(feats, labels, batch_size=4, seed=3)
    assert len(batches) == 3
    first = [b for b in batches]
    seen = torch.cat([lab for _, lab in first])
    assert sorted(seen.tolist()) == list(range(10))
    assert all(torch.equal(f.view(-1).long(), lab) for f, lab in first)
    second = torch.cat([lab for _, lab in batches])
    assert second.tolist() != seen.tolist()
    again = torch.cat([lab for _, lab in FeatureBatches(feats, labels, 4, seed=3)])
    assert again.tolist() == seen.tolist()
    assert len(FeatureBatches(feats, labels, 4, drop_last=True)) == 2
    ordered = torch.cat([lab for _, lab in FeatureBatches(feats, labels, 4, shuffle=False)])
    assert ordered.tolist() == list(range(10))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="labels"):
        FeatureBatches(torch.zeros(3, 1), torch.zeros(2), 1)
    with pytest.raises(ValueError, match="batch_size"):
        FeatureBatches(torch.zeros(3, 1), torch.zeros(3), 0)
