"""The official split rule, checked on assignments computed by hand.

For each name below, ``printf NAME | sha1sum`` gives the digest; then
``p = (digest mod 2^27) * 100 / (2^27 - 1)`` and the thresholds 10 / 20 give the split.
"""

from __future__ import annotations

import numpy as np
import pytest

from data_scripts.splits import (
    draw_speaker_ids,
    hash_name,
    speaker_quota,
    split_percentage,
    which_set,
)

# name, sha1 (from sha1sum), split
KNOWN = [
    ("00000000", "70352f41061eda4ff3c322094af068ba70c3b38b", "validation"),
    ("9e3779b1", "c5ab3a8bd79eb33750f1ba3ba5093fb50822d7ff", "validation"),
    ("be1e0823", "5b7d90b1586ea9ce4e49cabec556af61a158a9e1", "testing"),
    ("0a7c2a8d", "3b5ddddc702b2b3d25fceb63bd1c81c6fc8c025b", "training"),
    ("9ff2d2f4", "05bae6dca8fd71da453771b30fbedce7f7597e5e", "training"),
]


@pytest.mark.parametrize(("name", "digest", "split"), KNOWN)
def test_known_assignments(name: str, digest: str, split: str) -> None:
    p = (int(digest, 16) % 2**27) * 100 / (2**27 - 1)
    assert split_percentage(name) == pytest.approx(p, abs=1e-9)
    want = "validation" if p < 10 else "testing" if p < 20 else "training"
    assert want == split
    assert which_set(f"right/{name}_nohash_3.wav") == split
    assert which_set(f"/abs/path/go/{name}_nohash_0.wav") == split


def test_hash_name_strips_nohash_suffix() -> None:
    assert hash_name("yes/0a7c2a8d_nohash_12.wav") == "0a7c2a8d"
    assert hash_name("0a7c2a8d_nohash_0.wav") == "0a7c2a8d"


@pytest.mark.parametrize("n", [3, 4, 7, 10, 25, 100])
def test_drawn_ids_fill_every_split(n: int) -> None:
    ids = draw_speaker_ids(n, np.random.default_rng(n))
    assert len(set(ids)) == n and all(len(i) == 8 for i in ids)
    counts = {s: sum(which_set(i) == s for i in ids) for s in ("training", "validation", "testing")}
    assert counts == speaker_quota(n)
    assert min(counts.values()) >= 1


def test_quota_needs_three_speakers() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        speaker_quota(2)
