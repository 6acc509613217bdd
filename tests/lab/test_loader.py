"""Feature batches: every row once per epoch, reshuffled, reproducible from the seed."""

from __future__ import annotations

import pytest
import torch

from lab.loader import BatchOrder, FeatureBatches


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


def test_batch_order_is_a_function_of_seed_and_step() -> None:
    order = BatchOrder(10, 4, seed=3)
    seq = [order(s) for s in range(12)]
    assert all(len(b) == 4 for b in seq)
    for epoch in range(6):  # 2 batches an epoch: disjoint clips of range(10)
        a, b = seq[2 * epoch].tolist(), seq[2 * epoch + 1].tolist()
        assert not set(a) & set(b) and set(a) | set(b) <= set(range(10))
    assert len({tuple(b.tolist()) for b in seq}) > 2  # epochs are reshuffled
    fresh = BatchOrder(10, 4, seed=3)  # a resumed run, out of order: the same batches
    for s in (7, 0, 11, 6):
        assert torch.equal(fresh(s), seq[s])
    assert any(not torch.equal(BatchOrder(10, 4, seed=4)(s), seq[s]) for s in range(12))
    small = BatchOrder(3, 16, seed=0)  # batch larger than the split: the whole split
    assert sorted(small(0).tolist()) == [0, 1, 2] and sorted(small(1).tolist()) == [0, 1, 2]
