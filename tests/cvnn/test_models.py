"""Complex LeNet, VGG and GoogLeNet: shapes, the planar mechanism, parameter counts, overfitting.

Models are kept small (VGG width 8 on 32x32, GoogLeNet width 0.25) so the file runs in seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import cvnn
from cvnn.models.googlenet import CInception
from cvnn.models.vgg import vgg_spec

C64 = torch.complex64
C128 = torch.complex128


def randc(*shape: int, seed: int = 0, dtype: torch.dtype = C64) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=dtype, generator=g)


def small_vgg(depth: int = 11, input_size: int | tuple[int, int] = 32, num_classes: int = 5,
              dropout: float = 0.5) -> cvnn.ComplexVGG:
    return cvnn.ComplexVGG(depth=depth, in_channels=3, num_classes=num_classes,
                           input_size=input_size, width=8, hidden=16, dropout=dropout)


def small_googlenet(aux_logits: bool = True, num_classes: int = 5,
                    dropout: float = 0.4) -> cvnn.ComplexGoogLeNet:
    return cvnn.ComplexGoogLeNet(in_channels=3, num_classes=num_classes, aux_logits=aux_logits,
                                 width=0.25, dropout=dropout)


# ---- documented shapes ----


@pytest.mark.parametrize("input_size", [32, 28, (32, 40)])
def test_lenet_shapes(input_size: int | tuple[int, int]) -> None:
    torch.manual_seed(0)
    m = cvnn.ComplexLeNet(in_channels=2, num_classes=7, input_size=input_size)
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    out = m(randc(3, 2, h, w))
    assert out.shape == (3, 7) and out.dtype == C64
    out = m.double()(randc(3, 2, h, w, dtype=C128))
    assert out.dtype == C128


def test_lenet_too_small_input() -> None:
    with pytest.raises(ValueError, match="at least 16x16"):
        cvnn.ComplexLeNet(input_size=15)


@pytest.mark.parametrize("depth", [11, 13, 16, 19])
def test_vgg_depth_is_selectable(depth: int) -> None:
    torch.manual_seed(0)
    m = small_vgg(depth)
    n_conv = sum(isinstance(x, cvnn.CConv2d) for x in m.modules())
    n_lin = sum(isinstance(x, cvnn.CLinear) for x in m.modules())
    assert n_conv + n_lin == depth  # VGG-n has n weight layers
    assert sum(isinstance(x, cvnn.CMaxPool2d) for x in m.modules()) == 5
    m.eval()
    with torch.no_grad():
        assert m(randc(2, 3, 32, 32)).shape == (2, 5)


def test_vgg_spec_widths() -> None:
    p = 0
    assert vgg_spec(11, 8) == [8, p, 16, p, 32, 32, p, 64, 64, p, 64, 64, p]
    assert vgg_spec(16, 1).count(p) == 5
    with pytest.raises(ValueError, match="depth"):
        vgg_spec(12)
    with pytest.raises(ValueError, match="depth"):
        cvnn.ComplexVGG(depth=15)


@pytest.mark.parametrize("input_size", [32, 64, 48, (32, 64)])
def test_vgg_head_sized_from_input(input_size: int | tuple[int, int]) -> None:
    torch.manual_seed(0)
    m = small_vgg(11, input_size=input_size).eval()
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    first = next(x for x in m.classifier if isinstance(x, cvnn.CLinear))
    assert first.in_features == 64 * (h // 32) * (w // 32)
    with torch.no_grad():
        assert m(randc(2, 3, h, w)).shape == (2, 5)


def test_vgg_input_too_small_or_mismatched() -> None:
    with pytest.raises(ValueError, match="at least 32x32"):
        small_vgg(11, input_size=16)
    with pytest.raises(ValueError, match="at least 32x32"):
        cvnn.VGG(depth=11, input_size=(64, 31), width=8, hidden=16)
    m = small_vgg(11, input_size=32).eval()
    with torch.no_grad(), pytest.raises(ValueError, match="complex input features"):
        m(randc(1, 3, 64, 64))  # built for 32x32: the classifier's input size does not match


def test_models_reject_real_input() -> None:
    x = torch.randn(1, 3, 32, 32, 2)
    for m in (small_vgg(11), cvnn.ComplexLeNet(in_channels=3), small_googlenet()):
        with pytest.raises(TypeError, match="seed"):
            m(x)


def test_googlenet_aux_only_in_training_with_aux_logits() -> None:
    torch.manual_seed(0)
    m = small_googlenet(aux_logits=True)
    z = randc(2, 3, 32, 32)
    out = m.train()(z)
    assert isinstance(out, cvnn.GoogLeNetOutput)
    assert out.logits.shape == (2, 5) and out.logits.dtype == C64
    assert out.aux1 is not None and out.aux1.shape == (2, 5) and out.aux1.is_complex()
    assert out.aux2 is not None and out.aux2.shape == (2, 5)
    with torch.no_grad():
        out = m.eval()(z)
    assert out.logits.shape == (2, 5)
    assert out.aux1 is None and out.aux2 is None

    m = small_googlenet(aux_logits=False)
    assert m.aux1 is None and m.aux2 is None
    out = m.train()(z)
    assert out.logits.shape == (2, 5)
    assert out.aux1 is None and out.aux2 is None


def test_googlenet_larger_input_and_width_check() -> None:
    torch.manual_seed(0)
    m = small_googlenet().eval()
    with torch.no_grad():
        assert m(randc(1, 3, 64, 48)).logits.shape == (1, 5)
    with pytest.raises(ValueError, match="width"):
        cvnn.ComplexGoogLeNet(width=0.0)


# ---- the planar mechanism is exact: the model equals its children composed on complex data ----


def compose(m: nn.Module, z: Tensor) -> Tensor:
    """Apply ``m`` by running its leaf layers one by one on native complex tensors."""
    if isinstance(m, cvnn.CSequential):
        for child in m:
            z = compose(child, z)
        return z
    if isinstance(m, CInception):
        return torch.cat([compose(b, z) for b in (m.b1, m.b2, m.b3, m.b4)], dim=1)
    if isinstance(m, cvnn.CFlatten):
        return z.flatten(1)
    out: Tensor = m(z)
    return out


def compose_googlenet(m: cvnn.ComplexGoogLeNet, z: Tensor) -> cvnn.GoogLeNetOutput:
    """GoogLeNet's forward written on complex tensors (paper order: pools before 4a and 5a)."""
    x = compose(m.stem, z)
    aux1 = aux2 = None
    for name, block in m.blocks.items():
        if name in ("4a", "5a"):
            x = compose(m.pool, x)
        x = compose(block, x)
        if m.training and m.aux1 is not None and m.aux2 is not None:
            if name == "4a":
                aux1 = compose(m.aux1, x)
            if name == "4d":
                aux2 = compose(m.aux2, x)
    return cvnn.GoogLeNetOutput(compose(m.head, x), aux1, aux2)


def _pair(m: nn.Module) -> tuple[nn.Module, nn.Module]:
    """Two float64 copies (batch norm updates its running stats on each call)."""
    m = m.double()
    return m, copy.deepcopy(m)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", ["lenet", "vgg11", "vgg16"])
def test_planar_forward_equals_complex_composition(name: str, training: bool) -> None:
    torch.manual_seed(1)
    builders: dict[str, Callable[[], cvnn.ComplexModule]] = {
        "lenet": lambda: cvnn.ComplexLeNet(in_channels=3, num_classes=5),
        "vgg11": lambda: small_vgg(11, dropout=0.0),
        "vgg16": lambda: small_vgg(16, input_size=64, dropout=0.0),
    }
    model = builders[name]()
    size = 64 if name == "vgg16" else 32
    a, b = _pair(model)
    a.train(training)
    b.train(training)
    z = randc(3, 3, size, size, seed=2, dtype=C128)
    with torch.no_grad():
        got = a(z)
        want = compose(b.features, z)  # type: ignore[arg-type]
        want = compose(b.classifier, want)  # type: ignore[arg-type]
    assert got.dtype == C128
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_googlenet_planar_forward_equals_complex_composition(training: bool) -> None:
    torch.manual_seed(3)
    model = small_googlenet(aux_logits=True, dropout=0.0)
    a, b = _pair(model)
    a.train(training)
    b.train(training)
    z = randc(2, 3, 32, 32, seed=4, dtype=C128)
    with torch.no_grad():
        torch.manual_seed(5)  # the auxiliary heads' dropout draws the same masks in both runs
        got = a(z)
        torch.manual_seed(5)
        want = compose_googlenet(b, z)  # type: ignore[arg-type]
    torch.testing.assert_close(got.logits, want.logits, rtol=1e-10, atol=1e-10)
    for g, w in ((got.aux1, want.aux1), (got.aux2, want.aux2)):
        assert (g is None) == (w is None) == (not training)
        if g is not None and w is not None:
            torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-10)


# ---- real twin and parameter counts ----


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def expected_vgg_params(depth: int, width: int, hidden: int, in_channels: int, classes: int,
                        cells: int, complex_: bool) -> int:
    """Count from the architecture: complex weights and biases take 2 reals each; complex
    whitening batch norm has 3 (2x2 symmetric scale) + 2 (complex shift) per channel."""
    k = 2 if complex_ else 1
    bn = 5 if complex_ else 2
    total, c = 0, in_channels
    for v in vgg_spec(depth, width):
        if v:
            total += k * (v * c * 9 + v) + bn * v
            c = v
    for fan_in, fan_out in ((c * cells, hidden), (hidden, hidden), (hidden, classes)):
        total += k * (fan_in * fan_out + fan_out)
    return total


@pytest.mark.parametrize("depth", [11, 16])
def test_real_twin_shape_and_parameter_counts(depth: int) -> None:
    w, h, k = 8, 16, 5
    cplx = cvnn.ComplexVGG(depth, 3, k, input_size=64, width=w, hidden=h)
    real = cvnn.VGG(depth, 3, k, input_size=64, width=2 * w, hidden=2 * h)
    assert n_params(cplx) == expected_vgg_params(depth, w, h, 3, k, 4, complex_=True)
    assert n_params(real) == expected_vgg_params(depth, 2 * w, 2 * h, 3, k, 4, complex_=False)
    # the equal-FLOP real twin (width 2w) has about twice the real parameters
    assert 1.9 < n_params(real) / n_params(cplx) < 2.1
    real.eval()
    cplx.eval()
    with torch.no_grad():
        y_real = real(torch.randn(2, 3, 64, 64))
        y_cplx = cplx(randc(2, 3, 64, 64))
    assert y_real.shape == y_cplx.shape == (2, k)
    assert not y_real.is_complex()


# ---- each architecture can overfit one small batch with a modulus head ----


def overfit(model: nn.Module, z: Tensor, y: Tensor, steps: int,
            lr: float = 3e-3) -> tuple[float, float]:
    """Adam on cross-entropy of ``|logits|``; returns the first and the last loss."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses: list[float] = []
    head = cvnn.Modulus()
    for _ in range(steps):
        out = model(z)
        if isinstance(out, cvnn.GoogLeNetOutput):
            assert out.aux1 is not None and out.aux2 is not None
            main = F.cross_entropy(head(out.logits), y)
            loss = main + 0.3 * (F.cross_entropy(head(out.aux1), y)
                                 + F.cross_entropy(head(out.aux2), y))
        else:
            main = loss = F.cross_entropy(head(out) if out.is_complex() else out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(main.item())
    assert all(map(torch.isfinite, map(torch.tensor, losses)))
    return losses[0], losses[-1]


@pytest.mark.parametrize("name", ["lenet", "vgg11", "vgg19_sequential_head", "googlenet"])
def test_overfits_one_batch(name: str) -> None:
    torch.manual_seed(6)
    n_cls, batch = 4, 8
    builders: dict[str, Callable[[], nn.Module]] = {
        "lenet": lambda: cvnn.ComplexLeNet(in_channels=3, num_classes=n_cls),
        "vgg11": lambda: small_vgg(11, num_classes=n_cls, dropout=0.0),
        # the modulus as a real head composed with nn.Sequential
        "vgg19_sequential_head": lambda: nn.Sequential(
            small_vgg(19, num_classes=n_cls, dropout=0.0), cvnn.Modulus()),
        "googlenet": lambda: small_googlenet(aux_logits=True, num_classes=n_cls, dropout=0.0),
    }
    model = builders[name]()
    z = randc(batch, 3, 32, 32, seed=7)
    y = torch.arange(batch) % n_cls
    if name == "googlenet":  # the costliest step: fewer, larger steps
        first, last = overfit(model, z, y, steps=15, lr=1e-2)
    else:
        first, last = overfit(model, z, y, steps=30)
    assert first > 0.5  # starts near chance (ln 4 = 1.39), not already solved
    assert last < first / 10, (first, last)
