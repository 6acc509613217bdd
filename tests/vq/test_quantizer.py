"""Vector quantization against brute force, hand-computed EMA updates and closed-form gradients."""

from __future__ import annotations

import math

import pytest
import torch

from vq.base import NoBottleneck
from vq.complex_quantizer import ComplexVectorQuantizer
from vq.quantizer import VectorQuantizer, nearest_codes

F64 = torch.float64


def test_nearest_codes_match_brute_force_and_chunking() -> None:
    g = torch.Generator().manual_seed(0)
    x, e = torch.randn(300, 5, generator=g, dtype=F64), torch.randn(37, 5, generator=g, dtype=F64)
    want = torch.cdist(x, e).argmin(1)
    assert torch.equal(nearest_codes(x, e), want)
    assert torch.equal(nearest_codes(x, e, chunk_elements=37 * 7), want)  # 7-row chunks
    assert torch.equal(nearest_codes(x, e, chunk_elements=1), want)


def test_quantizes_each_position_and_shapes() -> None:
    """Each (b, t, f) position's D-vector is quantized on its own (the seed's reshape bug)."""
    q = VectorQuantizer(3, 8, kmeans_init=False).double().eval()
    z = torch.randn(2, 3, 4, 5, dtype=F64)
    out = q(z)
    assert out.latent.shape == z.shape and out.codes is not None and out.codes.shape == (2, 4, 5)
    for b, i, j in [(0, 0, 0), (1, 3, 4), (1, 2, 1)]:
        k = int(torch.cdist(z[b, :, i, j][None], q.codebook).argmin())
        assert int(out.codes[b, i, j]) == k
        torch.testing.assert_close(out.latent[b, :, i, j], q.codebook[k])


def test_straight_through_and_loss_gradients() -> None:
    q = VectorQuantizer(4, 16, commitment=0.25, ema=False, kmeans_init=False,
                        dead_threshold=0.0).double()
    z = torch.randn(3, 4, 6, dtype=F64, requires_grad=True)
    out = q(z)
    w = torch.randn_like(z)
    (gz,) = torch.autograd.grad((out.latent * w).sum(), z, retain_graph=True)
    torch.testing.assert_close(gz, w)  # the decoder's gradient reaches the encoder unchanged
    qz = out.latent.detach()
    (gc,) = torch.autograd.grad(out.losses["vq/commitment"], z, retain_graph=True)
    torch.testing.assert_close(gc, 0.25 * 2 * (z.detach() - qz) / z.numel())
    (ge,) = torch.autograd.grad(out.losses["vq/codebook"], q.codebook)
    x = z.detach().movedim(1, -1).reshape(-1, 4)
    codes = out.codes.reshape(-1) if out.codes is not None else None
    assert codes is not None
    grad_rows = 2 * (q.codebook[codes] - x) / z.numel()
    want = torch.zeros_like(q.codebook).index_add_(0, codes, grad_rows)
    torch.testing.assert_close(ge, want.detach())


def test_ema_update_matches_hand_computation() -> None:
    q = VectorQuantizer(2, 3, decay=0.9, eps=1e-5, kmeans_init=False, dead_threshold=0.0)
    q = q.double()
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], dtype=F64))
        q.ema_count.copy_(torch.tensor([1.0, 2.0, 3.0], dtype=F64))
        q.ema_sum.copy_(q.codebook * q.ema_count[:, None])
        q.updates.fill_(10**6)  # a converged history: no debiasing
    x = torch.tensor([[1.0, 1.0], [9.0, 1.0], [11.0, -1.0], [0.5, 0.0]], dtype=F64)
    q.train()(x.t().unsqueeze(0))  # (1, 2, 4): assignments 0, 1, 1, 0
    count = 0.9 * torch.tensor([1.0, 2.0, 3.0]) + 0.1 * torch.tensor([2.0, 2.0, 0.0])
    sums = 0.9 * torch.tensor([[0.0, 0.0], [20.0, 0.0], [0.0, 30.0]]) + 0.1 * torch.tensor(
        [[1.5, 1.0], [20.0, 0.0], [0.0, 0.0]])
    total = count.sum()
    smoothed = (count + 1e-5) / (total + 3e-5) * total
    torch.testing.assert_close(q.ema_count, count.double())
    torch.testing.assert_close(q.codebook, (sums / smoothed[:, None]).double())


def test_first_ema_update_is_debiased() -> None:
    """From the zero state, one update gives each used code the mean of its vectors."""
    q = VectorQuantizer(1, 2, decay=0.99, kmeans_init=False, dead_threshold=0.0).double()
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[0.0], [10.0]], dtype=F64))
    q.train()(torch.tensor([[[1.0, 3.0, 9.0, 12.0, 12.0]]], dtype=F64))
    torch.testing.assert_close(q.codebook, torch.tensor([[2.0], [11.0]], dtype=F64),
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(q.counts(), torch.tensor([2.0, 3.0], dtype=F64))


def test_kmeans_init_places_codes_on_the_data() -> None:
    g = torch.Generator().manual_seed(1)
    centers = torch.tensor([[5.0, 5.0], [-5.0, 5.0], [5.0, -5.0], [-5.0, -5.0]], dtype=F64)
    x = (centers.repeat(50, 1) + 0.1 * torch.randn(200, 2, generator=g, dtype=F64))
    q = VectorQuantizer(2, 4, kmeans_iters=20).double()
    torch.manual_seed(0)
    q.train()(x.t().unsqueeze(0))
    d = torch.cdist(q.codebook, centers)
    assert d.min(1).values.max() < 0.1 and d.min(0).values.max() < 0.1
    assert bool(q.initialized)


def test_dead_codes_are_revived() -> None:
    """Codes far from the data never win; replacement moves them onto data and usage rises."""
    q = VectorQuantizer(2, 16, kmeans_init=False, decay=0.5, dead_threshold=0.5).double()
    with torch.no_grad():
        q.codebook.copy_(torch.cat([torch.zeros(1, 2), 100 + torch.randn(15, 2)]).double())
        q.ema_sum.copy_(q.codebook)
        q.ema_count.fill_(1.0)
        q.updates.fill_(10**6)
    g = torch.Generator().manual_seed(2)
    batch = torch.randn(1, 2, 512, generator=g, dtype=F64)
    first = q.train()(batch).metrics["codebook/usage"]
    assert float(first) == pytest.approx(1 / 16)
    for _ in range(3):
        last = q(torch.randn(1, 2, 512, generator=g, dtype=F64)).metrics["codebook/usage"]
    assert float(last) > 0.5


def test_metrics_closed_form() -> None:
    q = VectorQuantizer(1, 4, kmeans_init=False).double().eval()
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=F64))
    z = torch.tensor([[[0.0, 0.1, 1.0, 1.1]]], dtype=F64)  # codes 0, 0, 1, 1
    m = q(z).metrics
    assert float(m["codebook/perplexity"]) == pytest.approx(2.0)
    assert float(m["codebook/entropy_bits"]) == pytest.approx(1.0)
    assert float(m["codebook/usage"]) == pytest.approx(0.5)


def test_complex_vq_equals_real_vq_on_stacked_parts() -> None:
    torch.manual_seed(3)
    cq = ComplexVectorQuantizer(3, 8, kmeans_init=False).double().eval()
    z = torch.randn(2, 3, 5, dtype=torch.complex128)
    out = cq(z)
    ref = cq.quantizer(torch.cat([z.real, z.imag], 1))
    assert out.codes is not None and ref.codes is not None
    assert torch.equal(out.codes, ref.codes)
    # the chosen complex code is the nearest in C^d
    flat = z.movedim(1, -1).reshape(-1, 3)
    d = (flat[:, None, :] - cq.codebook[None]).abs().square().sum(-1)
    assert torch.equal(d.argmin(1), out.codes.reshape(-1))
    torch.testing.assert_close(out.latent.movedim(1, -1).reshape(-1, 3),
                               cq.codebook[out.codes.reshape(-1)])
    with pytest.raises(TypeError, match="complex"):
        cq(torch.randn(2, 3, 5))


def test_no_bottleneck_and_bad_input() -> None:
    z = torch.randn(2, 3)
    assert NoBottleneck()(z).latent is z
    with pytest.raises(ValueError, match="expects"):
        VectorQuantizer(4, 8)(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="codebook_size"):
        VectorQuantizer(4, 1)
    assert math.isfinite(float(VectorQuantizer(4, 8)(torch.randn(2, 4, 3)).losses["vq/commitment"]))
