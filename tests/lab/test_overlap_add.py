"""Chunked overlap-add: an identity model gives the signal back exactly; the joins hide the clips'
edges."""

from __future__ import annotations

import math

import pytest
import torch

from lab.overlap_add import overlap_add


@pytest.mark.parametrize("clip", [1000, 999])
@pytest.mark.parametrize("n", [1, 600, 999, 1000, 1001, 1500, 2000, 4321])
def test_overlap_add_identity(n: int, clip: int) -> None:
    x = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(n))
    seen: list[torch.Tensor] = []

    def identity(clips: torch.Tensor) -> torch.Tensor:
        seen.append(clips)
        return clips.clone()

    y = overlap_add(x, clip, identity, batch_size=3)
    assert y.shape == x.shape and y.dtype == x.dtype
    torch.testing.assert_close(y, x, rtol=0, atol=1e-12)
    chunks = torch.cat(seen)
    hop = clip // 2
    count = 1 if n <= clip else 1 + math.ceil((n - clip) / hop)
    assert chunks.shape == (count, clip) and all(len(c) <= 3 for c in seen)
    padded = torch.nn.functional.pad(x, (0, clip + (count - 1) * hop - n))
    for k in range(count):  # clip k is the zero-padded signal from k * hop on
        assert torch.equal(chunks[k], padded[k * hop:k * hop + clip])
    # float32 and a linear "model"
    x32 = x.float()
    torch.testing.assert_close(overlap_add(x32, clip, lambda c: 2 * c), 2 * x32)


def test_overlap_add_crossfades_clip_edges() -> None:
    """A model that is wrong at its clips' borders (as a zero-padded one is) is wrong only where
    the cross-fade cannot hide it: not at the joins inside the file."""
    clip, n = 1000, 3000
    x = torch.ones(n, dtype=torch.float64)

    def bad_edges(clips: torch.Tensor) -> torch.Tensor:
        out = clips.clone()
        out[:, :2] = out[:, -2:] = 0.0  # where the Hann weights are ~1e-5
        return out

    y = overlap_add(x, clip, bad_edges)
    inner = slice(2, n - 2)
    torch.testing.assert_close(y[inner], x[inner], rtol=0, atol=1e-4)
    assert float((y - x).abs().max()) == 1.0  # the file's own ends keep full weight
