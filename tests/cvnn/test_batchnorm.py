"""Complex batch norm: Trabelsi whitening against an explicit float64 V^{-1/2}, naive mode against
two real torch batch norms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from cvnn.batchnorm import CBatchNorm1d, CBatchNorm2d, _CBatchNorm


def _noncircular(*shape: int, seed: int) -> Tensor:
    """(B, C, *S) complex128 with strongly correlated, unequal-variance parts and non-zero means;
    each channel gets its own statistics."""
    g = torch.Generator().manual_seed(seed)
    b, c, *s = shape
    u = torch.randn(b, c, *s, generator=g, dtype=torch.float64)
    v = torch.randn(b, c, *s, generator=g, dtype=torch.float64)
    view = (1, c, *([1] * len(s)))
    k = torch.arange(1, c + 1, dtype=torch.float64).view(view)
    re = 3.0 * k * u + 1.5 * k
    sign = 1.0 - 2.0 * (k % 2)  # alternate the sign of the correlation
    im = sign * (1.0 + k) * u + 0.3 * v - 2.0
    return torch.complex(re, im)


def _parts(z: Tensor) -> Tensor:
    """(B, C, *S) complex -> (C, 2, N) real: per channel, the (Re, Im) samples."""
    c = z.shape[1]
    zc = z.transpose(0, 1).reshape(c, -1)
    return torch.stack([zc.real, zc.imag], dim=1)


def _inv_sqrt(v: Tensor) -> Tensor:
    """(C, 2, 2) SPD -> (C, 2, 2) V^{-1/2} by eigendecomposition."""
    lam, q = torch.linalg.eigh(v)
    return q @ torch.diag_embed(lam.rsqrt()) @ q.transpose(-1, -2)


def _gamma(m: _CBatchNorm) -> Tensor:
    assert m.weight is not None
    grr, gri, gii = m.weight.detach().to(torch.float64)
    return torch.stack([torch.stack([grr, gri], -1), torch.stack([gri, gii], -1)], -2)


def _whiten_reference(z: Tensor, mean: Tensor, cov: Tensor, m: _CBatchNorm) -> Tensor:
    """gamma (V + eps I)^{-1/2} (x - mu) + beta, per channel; mean (C, 2), cov (C, 2, 2)."""
    x = _parts(z)  # (C, 2, N)
    w = _inv_sqrt(cov + m.eps * torch.eye(2, dtype=torch.float64))
    if m.weight is not None:
        w = _gamma(m) @ w
    y = w @ (x - mean[..., None])
    if m.bias is not None:
        y = y + m.bias.detach().to(torch.float64).T[..., None]
    # back to (B, C, *S) complex
    out = torch.complex(y[:, 0], y[:, 1]).reshape(z.shape[1], z.shape[0], *z.shape[2:])
    return out.transpose(0, 1)


def _batch_stats(z: Tensor, unbiased: bool = False) -> tuple[Tensor, Tensor]:
    x = _parts(z)
    n = x.shape[-1]
    mean = x.mean(-1)
    xc = x - mean[..., None]
    cov = xc @ xc.transpose(-1, -2) / (n - 1 if unbiased else n)
    return mean, cov


def _covar_rows(cov: Tensor) -> Tensor:
    """(C, 2, 2) -> (3, C) rows (Vrr, Vri, Vii), the layout of ``running_covar``."""
    return torch.stack([cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]])


def _set_identity_affine(m: _CBatchNorm) -> None:
    assert m.weight is not None and m.bias is not None
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 0.0, 1.0]).view(3, 1).expand_as(m.weight))
        m.bias.zero_()


def _set_random_affine(m: _CBatchNorm, seed: int) -> None:
    assert m.weight is not None and m.bias is not None
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        m.weight.copy_(torch.randn(m.weight.shape, generator=g, dtype=m.weight.dtype))
        m.bias.copy_(torch.randn(m.bias.shape, generator=g, dtype=m.bias.dtype))


SHAPES: list[tuple[type[_CBatchNorm], tuple[int, ...]]] = [
    (CBatchNorm2d, (6, 3, 4, 5)),
    (CBatchNorm1d, (10, 3, 7)),
    (CBatchNorm1d, (64, 3)),
]


# ---------------------------------------------------------------------------- whitening


@pytest.mark.parametrize(("cls", "shape"), SHAPES)
def test_whitening_gives_zero_mean_identity_covariance(cls: type[_CBatchNorm],
                                                      shape: tuple[int, ...]) -> None:
    m = cls(shape[1]).double().train()
    _set_identity_affine(m)
    z = _noncircular(*shape, seed=0)
    # the input is far from white: means, unequal variances and correlation
    mean_in, cov_in = _batch_stats(z)
    assert mean_in.abs().max() > 1.0
    assert cov_in[:, 0, 1].abs().min() > 1.0
    y = m(z)
    assert y.dtype == torch.complex128 and y.shape == z.shape
    mean, cov = _batch_stats(y)
    torch.testing.assert_close(mean, torch.zeros_like(mean), rtol=0, atol=1e-10)
    # exactly V (V + eps I)^{-1}; the eps term is below 1e-3 for these variances
    eye = torch.eye(2, dtype=torch.float64).expand_as(cov)
    torch.testing.assert_close(cov, eye, rtol=0, atol=1e-3)
    # and identity to rounding when eps is negligible
    m.eps = 1e-14
    _, cov = _batch_stats(m(z))
    torch.testing.assert_close(cov, eye, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("cls", "shape"), SHAPES)
def test_default_init_gives_half_identity_covariance(cls: type[_CBatchNorm],
                                                    shape: tuple[int, ...]) -> None:
    m = cls(shape[1], eps=1e-14).double()
    assert m.weight is not None and m.bias is not None
    torch.testing.assert_close(
        m.weight, torch.tensor([[2**-0.5], [0.0], [2**-0.5]], dtype=torch.float64).expand(3, 3))
    assert torch.count_nonzero(m.bias) == 0
    z = _noncircular(*shape, seed=1)
    y = m(z)
    mean, cov = _batch_stats(y)
    torch.testing.assert_close(mean, torch.zeros_like(mean), rtol=0, atol=1e-10)
    # (the init 1/sqrt(2) was rounded to float32 before .double(): tolerance 1e-7)
    torch.testing.assert_close(cov, 0.5 * torch.eye(2, dtype=torch.float64).expand_as(cov),
                               rtol=0, atol=1e-7)
    # so E|z|^2 = 1 per channel
    power = y.abs().square().transpose(0, 1).reshape(shape[1], -1).mean(-1)
    torch.testing.assert_close(power, torch.ones_like(power), rtol=0, atol=1e-7)


@pytest.mark.parametrize(("cls", "shape"), SHAPES)
def test_training_output_matches_explicit_reference(cls: type[_CBatchNorm],
                                                   shape: tuple[int, ...]) -> None:
    m = cls(shape[1], eps=1e-2).double().train()  # a large eps, so that its placement matters
    _set_random_affine(m, seed=3)
    z = _noncircular(*shape, seed=2)
    mean, cov = _batch_stats(z)
    torch.testing.assert_close(m(z), _whiten_reference(z, mean, cov, m), rtol=1e-10, atol=1e-10)


def test_running_stats_after_one_batch() -> None:
    mom = 0.3
    m = CBatchNorm2d(3, momentum=mom).double()
    assert m.running_mean is not None and m.num_batches_tracked is not None
    torch.testing.assert_close(m.running_covar, torch.tensor([[1.0] * 3, [0.0] * 3, [1.0] * 3],
                                                             dtype=torch.float64))
    z = _noncircular(4, 3, 3, 5, seed=4)
    m(z)
    mean, cov_unbiased = _batch_stats(z, unbiased=True)
    torch.testing.assert_close(m.running_mean, mom * mean.T, rtol=1e-12, atol=1e-12)
    init = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64).view(3, 1)
    torch.testing.assert_close(m.running_covar, (1 - mom) * init + mom * _covar_rows(cov_unbiased),
                               rtol=1e-12, atol=1e-12)
    assert int(m.num_batches_tracked) == 1


def test_eval_uses_running_stats() -> None:
    m = CBatchNorm2d(3, momentum=0.5, eps=1e-3).double()
    _set_random_affine(m, seed=5)
    for s in range(3):
        m(_noncircular(4, 3, 3, 3, seed=10 + s))
    m.eval()
    z = _noncircular(2, 3, 4, 4, seed=20) * (0.5 - 1j)  # different statistics from training
    assert m.running_mean is not None
    run_mean = m.running_mean.T.clone()
    rc = m.running_covar
    run_cov = torch.stack([torch.stack([rc[0], rc[1]], -1), torch.stack([rc[1], rc[2]], -1)], -2)
    y = m(z)
    torch.testing.assert_close(y, _whiten_reference(z, run_mean, run_cov, m), rtol=1e-10,
                               atol=1e-10)
    # eval does not touch the running statistics
    torch.testing.assert_close(m.running_mean.T, run_mean, rtol=0, atol=0)


def test_cumulative_average_when_momentum_is_none() -> None:
    m = CBatchNorm1d(2, momentum=None).double()
    zs = [_noncircular(5, 2, 6, seed=30 + s) for s in range(3)]
    means, covs = [], []
    for z in zs:
        m(z)
        mean, cov = _batch_stats(z, unbiased=True)
        means.append(mean)
        covs.append(_covar_rows(cov))
    assert m.running_mean is not None
    torch.testing.assert_close(m.running_mean, torch.stack(means).mean(0).T, rtol=1e-12,
                               atol=1e-12)
    torch.testing.assert_close(m.running_covar, torch.stack(covs).mean(0), rtol=1e-12,
                               atol=1e-12)
    assert m.num_batches_tracked is not None and int(m.num_batches_tracked) == 3


def test_no_running_stats_uses_batch_stats_in_eval() -> None:
    m = CBatchNorm2d(2, track_running_stats=False, affine=False).double().eval()
    assert m.running_mean is None and m.weight is None
    z = _noncircular(4, 2, 3, 3, seed=6)
    mean, cov = _batch_stats(z)
    torch.testing.assert_close(m(z), _whiten_reference(z, mean, cov, m), rtol=1e-10, atol=1e-10)


def test_single_value_per_channel_rejected_in_training() -> None:
    m = CBatchNorm1d(3)
    with pytest.raises(ValueError, match="more than one value per channel"):
        m(torch.ones(1, 3, dtype=torch.complex64))


def test_complex64_in_complex64_out() -> None:
    m = CBatchNorm2d(3)
    z = _noncircular(4, 3, 3, 3, seed=7)
    y = m(z.to(torch.complex64))
    assert y.dtype == torch.complex64
    m64 = CBatchNorm2d(3).double()
    torch.testing.assert_close(y, m64(z).to(torch.complex64), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("mode", ["whiten", "naive"])
def test_gradcheck(mode: str, training: bool, affine: bool) -> None:
    m = CBatchNorm2d(2, mode=mode, affine=affine).double()  # type: ignore[arg-type]
    if affine:
        _set_random_affine(m, seed=8)
    m(_noncircular(3, 2, 2, 2, seed=9))  # non-trivial running statistics for eval
    m.train(training)
    z = _noncircular(3, 2, 2, 2, seed=10).requires_grad_()
    assert torch.autograd.gradcheck(m, (z,))


@pytest.mark.parametrize("shape", [(4, 2), (2, 2, 3)])
def test_gradcheck_1d(shape: tuple[int, ...]) -> None:
    m = CBatchNorm1d(2).double()
    _set_random_affine(m, seed=14)
    z = _noncircular(*shape, seed=15).requires_grad_()
    assert torch.autograd.gradcheck(m, (z,))


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_parameters(training: bool) -> None:
    m = CBatchNorm1d(2).double().train(training)
    _set_random_affine(m, seed=11)
    z = _noncircular(5, 2, seed=12)
    assert m.weight is not None and m.bias is not None

    def f(w: Tensor, b: Tensor) -> Tensor:
        return torch.func.functional_call(m, {"weight": w, "bias": b}, (z,))

    w = m.weight.detach().clone().requires_grad_()
    b = m.bias.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(f, (w, b))


# ---------------------------------------------------------------------------- naive


def _two_real_bns(m: _CBatchNorm, nd: int) -> tuple[nn.Module, nn.Module]:
    cls = nn.BatchNorm2d if nd == 4 else nn.BatchNorm1d
    bns = []
    for part in range(2):
        bn = cls(m.num_features, eps=m.eps, momentum=m.momentum).double()
        assert m.weight is not None and m.bias is not None
        with torch.no_grad():
            bn.weight.copy_(m.weight[part])
            bn.bias.copy_(m.bias[part])
        bns.append(bn)
    return bns[0], bns[1]


@pytest.mark.parametrize("momentum", [0.2, None])
@pytest.mark.parametrize(("cls", "shape"), SHAPES)
def test_naive_equals_two_real_batchnorms(cls: type[_CBatchNorm], shape: tuple[int, ...],
                                          momentum: float | None) -> None:
    m = cls(shape[1], momentum=momentum, mode="naive").double()
    _set_random_affine(m, seed=13)
    bn_re, bn_im = _two_real_bns(m, len(shape))
    for s in range(2):
        z = _noncircular(*shape, seed=40 + s)
        y = m(z)
        torch.testing.assert_close(y.real, bn_re(z.real), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(y.imag, bn_im(z.imag), rtol=1e-12, atol=1e-12)
    assert m.running_mean is not None
    torch.testing.assert_close(m.running_mean[0], bn_re.running_mean)
    torch.testing.assert_close(m.running_mean[1], bn_im.running_mean)
    torch.testing.assert_close(m.running_var[0], bn_re.running_var)
    torch.testing.assert_close(m.running_var[1], bn_im.running_var)
    m.eval()
    bn_re.eval()
    bn_im.eval()
    z = _noncircular(*shape, seed=50) * (2 + 1j)
    y = m(z)
    torch.testing.assert_close(y.real, bn_re(z.real), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y.imag, bn_im(z.imag), rtol=1e-12, atol=1e-12)


def test_naive_does_not_decorrelate() -> None:
    """Naive BN normalizes each part; unlike whitening it keeps the Re/Im correlation."""
    z = _noncircular(8, 2, 10, seed=14)
    naive = CBatchNorm1d(2, mode="naive").double()
    whiten = CBatchNorm1d(2).double()
    _set_identity_affine(whiten)
    _, cov_n = _batch_stats(naive(z))
    _, cov_w = _batch_stats(whiten(z))
    assert cov_n[:, 0, 1].abs().min() > 0.3
    assert cov_w[:, 0, 1].abs().max() < 1e-3


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize("mode", ["whiten", "naive"])
def test_wrong_channel_count(mode: str) -> None:
    m = CBatchNorm2d(3, mode=mode)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expects 3 complex channels, got 2"):
        m(torch.ones(2, 2, 3, 3, dtype=torch.complex64))


@pytest.mark.parametrize(
    ("cls", "shape"),
    [(CBatchNorm2d, (2, 3, 4)), (CBatchNorm2d, (2, 3)), (CBatchNorm1d, (2, 3, 4, 4)),
     (CBatchNorm1d, (3,))],
)
def test_wrong_ndim(cls: type[_CBatchNorm], shape: tuple[int, ...]) -> None:
    m = cls(3)
    with pytest.raises(ValueError, match=r"expects \(B, C|too few dimensions"):
        m(torch.ones(shape, dtype=torch.complex64))


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="mode"):
        CBatchNorm2d(3, mode="trabelsi")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        CBatchNorm2d(0)


def test_real_input_rejected() -> None:
    with pytest.raises(TypeError, match="CBatchNorm2d expects a complex tensor"):
        CBatchNorm2d(2)(torch.ones(2, 2, 3, 3))


def test_parameter_layout() -> None:
    w = CBatchNorm2d(4)
    assert w.weight is not None and w.bias is not None
    assert w.weight.shape == (3, 4) and w.bias.shape == (2, 4)
    assert w.running_covar.shape == (3, 4)
    n = CBatchNorm2d(4, mode="naive")
    assert n.weight is not None and n.weight.shape == (2, 4)
    assert n.running_var.shape == (2, 4)
    assert not hasattr(n, "running_covar")
    assert math.isclose(n.weight[0, 0].item(), 1.0)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_constant_phase_channel_stays_finite_in_float32(scale: float) -> None:
    """Nearly rank-1 covariance (Re and Im perfectly correlated): det V cancels in float32; the
    clamp to its lower bound eps (a + c) - eps^2 keeps output and gradients finite."""
    g = torch.Generator().manual_seed(0)
    r = torch.randn(8, 3, 5, 5, generator=g) * scale
    z = (r * torch.exp(torch.tensor(0.7j))).requires_grad_()
    bn = CBatchNorm2d(3)
    y = bn(z)
    y.abs().square().sum().backward()
    assert torch.isfinite(torch.view_as_real(y)).all()
    assert z.grad is not None and torch.isfinite(torch.view_as_real(z.grad)).all()
    bn.eval()
    assert torch.isfinite(torch.view_as_real(bn(z.detach()))).all()


def test_double_backward_is_refused_clearly() -> None:
    bn = CBatchNorm2d(2).double()
    z = torch.randn(4, 2, 3, 3, dtype=torch.complex128, requires_grad=True)
    (gz,) = torch.autograd.grad(bn(z).abs().sum(), z, create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|twice"):
        gz.abs().sum().backward()
