"""The seed's public names and trailing-2 convention (docs/cvnn.md).

The seed's README usage examples run unchanged (as code strings, since they use
``from ... import *``); every seed class maps ``(..., 2)`` to ``(..., 2)`` and equals the native
:mod:`cvnn` class applied through ``view_as_complex`` / ``view_as_real`` with the same parameters.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import cvnn
from cvnn import seed
from cvnn._block import as_complex

F64 = torch.float64
C128 = torch.complex128

# ---- the seed README's examples, verbatim apart from the ">>> " prompts ----

SEED_CONV_EXAMPLE = """
import torch
from complex_neural_net import CConv2d
x0 = torch.randn(5,5)
x1 = torch.randn(5,5)
x = torch.stack([x0,x1],-1)
x = x.unsqueeze(0)
x = x.unsqueeze(0)
print(x.shape)
CConv2d1 = CConv2d(in_channels = 1, out_channels = 2, kernel_size = (2,2), stride = (1,1), padding = (0,0))
print(x.shape)
print(CConv2d1(x))
print(CConv2d1(x).shape)
"""  # noqa: E501 - the seed's line, unchanged

SEED_VGG_EXAMPLE = """
import torch
from complex_neural_net import CConv2d
from Complex_Vgg_net import *
device = "cuda" if torch.cuda.is_available() else "cpu"
model = Complex_VGG_net(in_channels=3, num_classes=1000).to(device)
print(model)
x0 = torch.randn(3, 3, 224, 224).to(device)
x1 = torch.randn(3, 3, 224, 224).to(device)
x = torch.stack([x0, x1], -1)
print(x.shape)
print(model(x).shape)
"""


def test_seed_conv_example_runs_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    ns: dict[str, object] = {}
    exec(SEED_CONV_EXAMPLE, ns)
    printed = capsys.readouterr().out
    assert printed.count("torch.Size([1, 1, 5, 5, 2])") == 2
    assert printed.rstrip().endswith("torch.Size([1, 2, 4, 4, 2])")
    # and it computes the complex convolution: check against native complex arithmetic
    conv, x = ns["CConv2d1"], ns["x"]
    assert isinstance(conv, seed.CConv2d) and isinstance(x, Tensor)
    assert conv.bias is not None
    with torch.no_grad():
        out = conv(x)
        z = torch.view_as_complex(x.to(F64))
        w = as_complex(conv.weight.to(F64))
        b = as_complex(conv.bias.to(F64))
        want = F.conv2d(z, w) + b.view(1, -1, 1, 1)
    assert out.shape == (1, 2, 4, 4, 2)
    torch.testing.assert_close(out.to(F64), torch.view_as_real(want), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_seed_vgg_example_runs_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    ns: dict[str, object] = {}
    with torch.no_grad():
        exec(SEED_VGG_EXAMPLE, ns)
    printed = capsys.readouterr().out
    assert "Complex_VGG_net(" in printed
    assert "torch.Size([3, 3, 224, 224, 2])" in printed
    assert printed.rstrip().endswith("torch.Size([3, 1000, 2])")
    model = ns["model"]
    assert isinstance(model, seed.Complex_VGG_net)
    # the seed's default is VGG-16: 13 convolutions and 3 linear layers
    assert sum(isinstance(m, cvnn.CConv2d) for m in model.modules()) == 13
    assert sum(isinstance(m, cvnn.CLinear) for m in model.modules()) == 3


def test_shim_modules_export_the_seed_names() -> None:
    import Complex_Google_Inception
    import Complex_LeNet
    import complex_neural_net
    import Complex_Vgg_net

    for name in ("CLinear", "CConv2d", "CConvTrans2d", "CBatchnorm", "CMaxPool2d", "CAvgPool2d",
                 "CLSTM"):
        assert getattr(complex_neural_net, name) is getattr(seed, name)
    assert Complex_Vgg_net.Complex_VGG_net is seed.Complex_VGG_net
    assert Complex_LeNet.Complex_LeNet is seed.Complex_LeNet
    assert Complex_Google_Inception.Complex_GoogLeNet is seed.Complex_GoogLeNet


# ---- every seed class equals its native class through view_as_complex / view_as_real ----


def rand2(*shape: int, seed_: int = 0) -> Tensor:
    """A real trailing-2 tensor ``(*shape, 2)``, built like the seed does (stack of two parts)."""
    g = torch.Generator().manual_seed(seed_)
    return torch.stack([torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)], -1)


# name -> (seed factory, native factory with the same arguments, input shape without the
# trailing 2, output shape without it)
Case = tuple[Callable[[], nn.Module], Callable[[], nn.Module], tuple[int, ...], tuple[int, ...]]
CASES: dict[str, Case] = {
    "CLinear": (lambda: seed.CLinear(4, 3), lambda: cvnn.CLinear(4, 3), (2, 5, 4), (2, 5, 3)),
    "CConv2d": (lambda: seed.CConv2d(2, 3, 3, padding=1),
                lambda: cvnn.CConv2d(2, 3, 3, padding=1), (2, 2, 6, 6), (2, 3, 6, 6)),
    "CConvTrans2d": (lambda: seed.CConvTrans2d(2, 3, 3, stride=2),
                     lambda: cvnn.CConvTranspose2d(2, 3, 3, stride=2), (2, 2, 5, 5),
                     (2, 3, 11, 11)),
    "CBatchnorm": (lambda: seed.CBatchnorm(3), lambda: cvnn.CBatchNorm2d(3), (4, 3, 5, 5),
                   (4, 3, 5, 5)),
    "CMaxPool2d": (lambda: seed.CMaxPool2d(2), lambda: cvnn.CMaxPool2d(2), (2, 3, 6, 6),
                   (2, 3, 3, 3)),
    "CAvgPool2d": (lambda: seed.CAvgPool2d(2), lambda: cvnn.CAvgPool2d(2), (2, 3, 6, 6),
                   (2, 3, 3, 3)),
    "CLSTM": (lambda: seed.CLSTM(4, 5, batch_first=True),
              lambda: cvnn.CLSTM(4, 5, batch_first=True), (2, 6, 4), (2, 6, 5)),
    "Complex_LeNet": (lambda: seed.Complex_LeNet(in_channels=1, num_classes=10),
                      lambda: cvnn.ComplexLeNet(in_channels=1, num_classes=10), (2, 1, 32, 32),
                      (2, 10)),
    # aux heads: see test_seed_googlenet_training_returns_aux_then_logits
    "Complex_GoogLeNet": (
        lambda: seed.Complex_GoogLeNet(in_channels=3, num_classes=10, width=0.25,
                                       aux_logits=False),
        lambda: cvnn.ComplexGoogLeNet(in_channels=3, num_classes=10, width=0.25,
                                      aux_logits=False),
        (2, 3, 32, 32), (2, 10)),
}


def native_twin(m: nn.Module, native_factory: Callable[[], nn.Module]) -> nn.Module:
    """A native instance with exactly the seed instance's parameters, buffers, dtype and mode."""
    twin = native_factory()
    assert not isinstance(twin, type(m))  # really the native class, not the seed wrapper
    dtype = next(iter(m.state_dict().values())).dtype if m.state_dict() else F64
    if dtype == F64:
        twin = twin.double()
    twin.load_state_dict(m.state_dict())
    return twin.train(m.training)


def native_output(out: object) -> Tensor:
    if isinstance(out, cvnn.GoogLeNetOutput):
        return out.logits
    if isinstance(out, tuple):  # CLSTM: (out, state)
        first = out[0]
        assert isinstance(first, Tensor)
        return first
    assert isinstance(out, Tensor)
    return out


def seed_output(out: object) -> Tensor:
    if isinstance(out, tuple):
        first = out[0]
        assert isinstance(first, Tensor)
        return first
    assert isinstance(out, Tensor)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("training", [True, False])
def test_seed_class_equals_native_through_views(name: str, training: bool) -> None:
    factory, native_factory, in_shape, out_shape = CASES[name]
    torch.manual_seed(1)
    m = factory().train(training).double()
    twin = native_twin(m, native_factory)
    x = rand2(*in_shape, seed_=2).to(F64)
    torch.manual_seed(3)  # same dropout masks in both calls where there is dropout
    got = seed_output(m(x))
    torch.manual_seed(3)
    want = torch.view_as_real(native_output(twin(torch.view_as_complex(x))))
    assert got.shape == (*out_shape, 2)
    assert got.dtype == F64
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_seed_classes_are_the_native_ones() -> None:
    pairs = [(seed.CLinear, cvnn.CLinear), (seed.CConv2d, cvnn.CConv2d),
             (seed.CConvTrans2d, cvnn.CConvTranspose2d), (seed.CBatchnorm, cvnn.CBatchNorm2d),
             (seed.CMaxPool2d, cvnn.CMaxPool2d), (seed.CAvgPool2d, cvnn.CAvgPool2d),
             (seed.CLSTM, cvnn.CLSTM), (seed.Complex_VGG_net, cvnn.ComplexVGG),
             (seed.Complex_LeNet, cvnn.ComplexLeNet),
             (seed.Complex_GoogLeNet, cvnn.ComplexGoogLeNet)]
    for s, n in pairs:
        assert issubclass(s, n), s


def test_seed_linear_is_one_complex_affine_map() -> None:
    """Not the seed's ``(b_A - b_B) + i(b_A + b_B)``: one complex weight and one complex bias."""
    torch.manual_seed(4)
    m = seed.CLinear(3, 2).double()
    assert m.bias is not None
    with torch.no_grad():
        m.bias.normal_()
    x = rand2(5, 3, seed_=5).to(F64)
    z = torch.view_as_complex(x)
    w, b = as_complex(m.weight), as_complex(m.bias)
    want = torch.view_as_real(z @ w.T + b)
    torch.testing.assert_close(m(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
def test_seed_vgg_selectable_depth_equals_native_and_checks_input() -> None:
    """Complex_VGG_net (the seed's signature, plus depth and input size) is ComplexVGG on views.

    Slow only because the seed's signature keeps the full widths (64..512, hidden 4096).
    """
    torch.manual_seed(6)
    m = seed.Complex_VGG_net(in_channels=3, num_classes=4, depth=11, input_size=32).eval()
    assert sum(isinstance(x, cvnn.CConv2d) for x in m.modules()) == 8  # VGG-11, not VGG-16
    x = rand2(1, 3, 32, 32, seed_=7)
    with torch.no_grad():
        got = m(x)
        # the native class's forward on the very same parameters
        want = torch.view_as_real(cvnn.ComplexVGG.forward(m, torch.view_as_complex(x)))
        assert got.shape == (1, 4, 2)
        torch.testing.assert_close(got, want)
        with pytest.raises(TypeError, match="view_as_real"):
            m(torch.view_as_complex(x))
        with pytest.raises(ValueError, match="last dimension is 2"):
            m(torch.randn(1, 3, 32, 32, 3))


def test_seed_googlenet_training_returns_aux_then_logits() -> None:
    torch.manual_seed(8)
    m = seed.Complex_GoogLeNet(in_channels=3, num_classes=6, width=0.25)
    x = rand2(2, 3, 32, 32, seed_=9)
    out = m.train()(x)
    assert isinstance(out, tuple) and len(out) == 3
    aux1, aux2, logits = out
    for t in (aux1, aux2, logits):
        assert t.shape == (2, 6, 2) and not t.is_complex()
    # the same as the native model's (logits, aux1, aux2), reordered
    twin = native_twin(m, lambda: cvnn.ComplexGoogLeNet(in_channels=3, num_classes=6,
                                                        width=0.25))
    torch.manual_seed(10)
    out = m(x)
    torch.manual_seed(10)
    ref = twin(torch.view_as_complex(x))
    assert isinstance(out, tuple) and ref.aux1 is not None and ref.aux2 is not None
    for got, want in zip(out, (ref.aux1, ref.aux2, ref.logits), strict=True):
        torch.testing.assert_close(got, torch.view_as_real(want))
    with torch.no_grad():
        out = m.eval()(x)
    assert isinstance(out, Tensor) and out.shape == (2, 6, 2)
    m = seed.Complex_GoogLeNet(in_channels=3, num_classes=6, width=0.25, aux_logits=False)
    out = m.train()(x)
    assert isinstance(out, Tensor) and out.shape == (2, 6, 2)


def test_seed_lstm_state_continues_the_sequence() -> None:
    torch.manual_seed(11)
    m = seed.CLSTM(3, 4, batch_first=True).double()
    x = rand2(2, 7, 3, seed_=12).to(F64)
    out, state = m(x)
    assert out.shape == (2, 7, 4, 2)
    assert isinstance(state, cvnn.CLSTMState)
    out1, st1 = m(x[:, :3])
    out2, st2 = m(x[:, 3:], st1)
    torch.testing.assert_close(torch.cat([out1, out2], 1), out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(st2.h, state.h, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(st2.c, state.c, rtol=1e-12, atol=1e-12)


def test_non_contiguous_and_gradients_through_the_views() -> None:
    torch.manual_seed(13)
    m = seed.CConv2d(2, 3, 3, padding=1).double()
    big = torch.randn(2, 2, 6, 6, 3, dtype=F64)
    x = big[..., :2]  # odd strides: not viewable as complex without a copy
    assert not x.is_contiguous()
    torch.testing.assert_close(m(x), m(x.contiguous()))
    xs = x.clone().requires_grad_(True)
    zn = torch.view_as_complex(x.contiguous()).requires_grad_(True)
    twin = native_twin(m, lambda: cvnn.CConv2d(2, 3, 3, padding=1))
    w = torch.randn(2, 3, 6, 6, 2, dtype=F64)
    (m(xs) * w).sum().backward()
    (torch.view_as_real(twin(zn)) * w).sum().backward()
    assert xs.grad is not None and zn.grad is not None
    assert xs.grad.shape == (2, 2, 6, 6, 2)
    torch.testing.assert_close(xs.grad, torch.view_as_real(zn.grad))


# ---- bad input ----


SEED_INPUTS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    name: (case[0], case[2]) for name, case in CASES.items()
}  # Complex_VGG_net: in the slow test above (its seed signature keeps the full widths)


@pytest.mark.parametrize("name", sorted(SEED_INPUTS))
def test_seed_class_rejects_complex_tensor(name: str) -> None:
    factory, shape = SEED_INPUTS[name]
    m = factory()
    z = torch.view_as_complex(rand2(*shape))
    with pytest.raises(TypeError, match=r"real tensor \(\.\.\., 2\).*view_as_real"):
        m(z)


@pytest.mark.parametrize("name", sorted(SEED_INPUTS))
def test_seed_class_rejects_trailing_dim_not_2(name: str) -> None:
    factory, shape = SEED_INPUTS[name]
    m = factory()
    with pytest.raises(ValueError, match="last dimension is 2"):
        m(torch.randn(*shape, 3))
    with pytest.raises(ValueError, match="last dimension is 2"):
        m(torch.randn(*shape))  # no trailing (Re, Im) axis at all


def test_seed_class_rejects_integer_tensor() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        seed.CConv2d(1, 2, 2)(torch.ones(1, 1, 5, 5, 2, dtype=torch.long))


NATIVE: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "CLinear": (lambda: cvnn.CLinear(4, 3), (2, 4)),
    "CConv2d": (lambda: cvnn.CConv2d(1, 2, (2, 2)), (1, 1, 5, 5)),
    "CConvTranspose2d": (lambda: cvnn.CConvTranspose2d(1, 2, 2), (1, 1, 5, 5)),
    "CBatchNorm2d": (lambda: cvnn.CBatchNorm2d(1), (2, 1, 5, 5)),
    "CMaxPool2d": (lambda: cvnn.CMaxPool2d(2), (1, 1, 4, 4)),
    "CAvgPool2d": (lambda: cvnn.CAvgPool2d(2), (1, 1, 4, 4)),
    "CLSTM": (lambda: cvnn.CLSTM(4, 3), (5, 2, 4)),
    "ComplexLeNet": (lambda: cvnn.ComplexLeNet(), (1, 1, 32, 32)),
}


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_native_class_rejects_seed_layout_with_a_hint(name: str) -> None:
    factory, shape = NATIVE[name]
    x = rand2(*shape)  # the seed's convention handed to a native class
    with pytest.raises(TypeError, match="expects a complex tensor") as err:
        factory()(x)
    msg = str(err.value)
    assert "trailing-2" in msg and "cvnn.seed" in msg and "trailing_to_complex" in msg


def test_seed_signatures() -> None:
    """The seed's own argument names and call forms (from its source)."""
    assert seed.CLinear(in_channels=4, out_channels=3)(torch.randn(2, 4, 2)).shape == (2, 3, 2)
    assert seed.CBatchnorm(in_channels=4)(torch.randn(3, 4, 2, 2, 2)).shape == (3, 4, 2, 2, 2)
    lstm = seed.CLSTM(in_channels=4, hidden_size=3, num_layers=1)
    out, state = lstm(torch.randn(5, 2, 4, 2))
    assert out.shape == (5, 2, 3, 2)
    out2, _ = lstm(torch.randn(5, 2, 4, 2), state.h, state.c)  # continue with h0, c0
    assert out2.shape == (5, 2, 3, 2)
    with pytest.raises(ValueError, match="no longer takes the seed's"):
        lstm(torch.randn(5, 2, 4, 2), torch.zeros(1, 2, 3, 2), torch.zeros(1, 2, 3, 2))
    g = seed.Complex_GoogLeNet(True, 10, width=0.125)
    assert g.aux_logits and g.head[-1].out_features == 10  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="positive int"):
        cvnn.ComplexGoogLeNet(True, 10)  # type: ignore[arg-type]
