"""Residual VQ against its definition in float64: one stage is plain VQ, the stages code the
residuals (brute-force nearest codes), one straight-through estimator, the commitment gradient
in closed form, the nominal rate, summed entropies, quantizer dropout, the complex wrapper."""

from __future__ import annotations

import math

import pytest
import torch

from vq.base import PlanarBottleneck
from vq.quantizer import VectorQuantizer
from vq.residual import ResidualVectorQuantizer, RVQConfig, build_complex

F64 = torch.float64


def _rvq(dim: int = 3, k: int = 8, n: int = 3, **kwargs: float | bool | int
         ) -> ResidualVectorQuantizer:
    torch.manual_seed(0)
    return ResidualVectorQuantizer(dim, k, n, kmeans_init=False, dead_threshold=0.0,
                                   **kwargs).double()


def test_one_stage_is_plain_vq() -> None:
    rvq = _rvq(n=1).train()
    vq = VectorQuantizer(3, 8, kmeans_init=False, dead_threshold=0.0).double().train()
    vq.load_state_dict(rvq.stages[0].state_dict())
    z = torch.randn(2, 3, 5, 4, dtype=F64)
    a, b = rvq(z), vq(z)  # training mode: the EMA updates must agree too
    torch.testing.assert_close(a.latent, b.latent)
    assert a.codes is not None and b.codes is not None and torch.equal(a.codes, b.codes)
    assert a.losses.keys() == b.losses.keys() and a.metrics.keys() == b.metrics.keys()
    for k in a.losses:
        torch.testing.assert_close(a.losses[k], b.losses[k])
    for k in a.metrics:
        torch.testing.assert_close(a.metrics[k], b.metrics[k])
    assert a.rate == b.rate and a.codebook_sizes == b.codebook_sizes == (8,)
    torch.testing.assert_close(rvq.stages[0].codebook, vq.codebook)


def test_stages_code_the_residuals() -> None:
    rvq = _rvq(n=3).eval()
    z = torch.randn(4, 3, 7, dtype=F64)
    out = rvq(z)
    assert out.codes is not None and out.codes.shape == (4, 3, 7)
    residual, total = z.movedim(1, -1).reshape(-1, 3), torch.zeros(28, 3, dtype=F64)
    for n, stage in enumerate(rvq.stages):
        want = torch.cdist(residual, stage.codebook).argmin(1)  # brute force
        assert torch.equal(out.codes[:, n].reshape(-1), want)
        total += stage.codebook[want]
        residual = residual - stage.codebook[want]
    torch.testing.assert_close(out.latent.movedim(1, -1).reshape(-1, 3), total)
    assert out.rate is not None and out.rate.kind == "nominal"
    assert out.rate.bits == pytest.approx(3 * math.log2(8))
    assert out.codebook_sizes == (8, 8, 8)
    entropies = []
    for n in range(3):
        p = torch.bincount(out.codes[:, n].reshape(-1), minlength=8).double() / 28
        entropies.append(float(-(p[p > 0] * p[p > 0].log2()).sum()))
    assert float(out.metrics["codebook/entropy_bits"]) == pytest.approx(sum(entropies))
    ppl = sum(2 ** h for h in entropies) / 3
    assert float(out.metrics["codebook/perplexity"]) == pytest.approx(ppl)


def test_one_straight_through_estimator_and_the_commitment_gradient() -> None:
    rvq = _rvq(n=3, commitment=0.25, ema=False).train()
    z = torch.randn(2, 3, 6, dtype=F64, requires_grad=True)
    out = rvq(z)
    w = torch.randn_like(z)
    (gz,) = torch.autograd.grad((out.latent * w).sum(), z, retain_graph=True)
    torch.testing.assert_close(gz, w)  # once, not once per stage
    # commitment = mean over stages of 0.25 ||r_n - sg(q_n)||^2 / numel, r_n = z - sum_{m<n} q_m
    assert out.codes is not None
    x = z.detach()
    residual, want = x.clone(), torch.zeros_like(x)
    for n, stage in enumerate(rvq.stages):
        q = stage.codebook.detach()[out.codes[:, n]].movedim(-1, 1)
        want += 0.25 * 2 * (residual - q) / z.numel() / 3
        residual = residual - q
    (gc,) = torch.autograd.grad(out.losses["vq/commitment"], z)
    torch.testing.assert_close(gc, want)


def test_quantizer_dropout_uses_a_prefix_of_the_stages() -> None:
    rvq = _rvq(n=4, quantizer_dropout=True).train()
    torch.manual_seed(1)
    used = []
    for _ in range(60):
        out = rvq(torch.randn(2, 3, 5, dtype=F64))
        used.append(len(out.codebook_sizes))
        assert out.rate is not None and out.rate.bits == pytest.approx(used[-1] * 3.0)
        assert out.codes is not None
        assert out.codes.shape == ((2, 5) if used[-1] == 1 else (2, used[-1], 5))
    assert set(used) == {1, 2, 3, 4}
    updates = [int(s.updates) for s in rvq.stages]  # an unused stage's EMA does not move
    assert updates == [sum(u > n for u in used) for n in range(4)]
    assert len(rvq.eval()(torch.randn(2, 3, 5, dtype=F64)).codebook_sizes) == 4


def test_complex_rvq_is_the_real_one_on_the_stacked_parts() -> None:
    torch.manual_seed(0)
    crvq = build_complex(2, RVQConfig(codebook_size=8, codebooks=2))
    assert isinstance(crvq, PlanarBottleneck)
    crvq = crvq.double().train()
    z = torch.randn(3, 2, 5, dtype=torch.complex128)
    out = crvq(z)  # trains the inner quantizers (k-means on the first batch)
    crvq.eval()
    out = crvq(z)
    inner = crvq.inner(torch.cat([z.real, z.imag], dim=1))
    torch.testing.assert_close(out.latent, torch.complex(*inner.latent.chunk(2, dim=1)))
    assert out.codes is not None and inner.codes is not None
    assert torch.equal(out.codes, inner.codes)


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="codebooks"):
        RVQConfig(codebooks=0)
    with pytest.raises(ValueError, match="codebooks"):
        ResidualVectorQuantizer(2, 8, 0)
