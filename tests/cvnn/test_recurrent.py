"""CLSTM and CGRU against a step-by-step float64 reference of the DCCRN complex recurrence.

DCCRN (Hu et al. 2020, eq. 3), with ``L_r`` and ``L_i`` the two real networks ``rnn_re`` and
``rnn_im``::

    out_re = L_r(x_re) - L_i(x_im)        out_im = L_r(x_im) + L_i(x_re)

The reference runs each of the four real passes separately, one time step at a time, with the
gate equations of torch.nn.LSTM / torch.nn.GRU written out, and its own state per pass.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.autograd import gradcheck

import cvnn

F64 = torch.float64
C128 = torch.complex128


# ---- reference: explicit gate equations, one step at a time ----


def lstm_step(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
              b_hh: Tensor) -> tuple[Tensor, Tensor]:
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c


def gru_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
             b_hh: Tensor) -> Tensor:
    xr, xz, xn = (x @ w_ih.T + b_ih).chunk(3, dim=-1)
    hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def ref_real_rnn(net: nn.LSTM | nn.GRU, x: Tensor, h0: Tensor,
                 c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
    """A real multi-layer (bi)directional LSTM/GRU, time-major ``x: (T, B, F)``.

    ``h0, c0: (D * L, B, H)`` (index ``layer * D + direction``); returns ``out (T, B, D*H)`` and
    the final states.
    """
    is_lstm = isinstance(net, nn.LSTM)
    d_count = 2 if net.bidirectional else 1
    steps = x.shape[0]
    hs, cs = [], []
    layer_in = x
    for layer in range(net.num_layers):
        outs = []
        for d in range(d_count):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = getattr(net, "weight_ih" + sfx), getattr(net, "weight_hh" + sfx)
            b_ih, b_hh = getattr(net, "bias_ih" + sfx), getattr(net, "bias_hh" + sfx)
            k = layer * d_count + d
            h = h0[k]
            c = c0[k] if c0 is not None else None
            seq: list[Tensor] = [h] * steps
            order = range(steps) if d == 0 else range(steps - 1, -1, -1)
            for t in order:
                if is_lstm:
                    assert c is not None
                    h, c = lstm_step(layer_in[t], h, c, w_ih, w_hh, b_ih, b_hh)
                else:
                    h = gru_step(layer_in[t], h, w_ih, w_hh, b_ih, b_hh)
                seq[t] = h
            outs.append(torch.stack(seq))
            hs.append(h)
            if c is not None:
                cs.append(c)
        layer_in = torch.cat(outs, dim=-1)
    return layer_in, torch.stack(hs), (torch.stack(cs) if cs else None)


def ref_complex_rnn(m: cvnn.CLSTM | cvnn.CGRU, z: Tensor, h0: Tensor | None = None,
                    c0: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
    """The DCCRN recurrence: per layer, four independent real passes (rr, ri, ii, ir) of that
    layer's ``L_r`` / ``L_i``, combined into the complex input of the next layer.

    ``z`` in the module's layout; states ``(4, D*L, B, H)`` in pass order (rr, ri, ii, ir), index
    ``layer * D + direction`` on the second axis.
    """
    is_lstm = isinstance(m, cvnn.CLSTM)
    zt = z.transpose(0, 1) if m.batch_first else z  # time-major
    batch = zt.shape[1]
    d_count = 2 if m.bidirectional else 1
    zeros = torch.zeros(4, d_count * m.num_layers, batch, m.hidden_size, dtype=F64)
    h0 = zeros if h0 is None else h0
    c0 = (zeros if c0 is None else c0) if is_lstm else None
    hs, cs = [], []
    for layer_index, layer in enumerate(m.layers):
        sl = slice(layer_index * d_count, (layer_index + 1) * d_count)
        passes = [(layer.rnn_re, zt.real), (layer.rnn_re, zt.imag), (layer.rnn_im, zt.imag),
                  (layer.rnn_im, zt.real)]
        outs, h_l, c_l = [], [], []
        for k, (net, x) in enumerate(passes):
            out, h, c = ref_real_rnn(net, x, h0[k, sl], None if c0 is None else c0[k, sl])
            outs.append(out)
            h_l.append(h)
            if c is not None:
                c_l.append(c)
        rr, ri, ii, ir = outs
        zt = torch.complex(rr - ii, ri + ir)
        hs.append(torch.stack(h_l))
        if c_l:
            cs.append(torch.stack(c_l))
    y = zt.transpose(0, 1) if m.batch_first else zt
    return y, torch.cat(hs, 1), (torch.cat(cs, 1) if is_lstm else None)


# ---- helpers ----


def make(cls: type[cvnn.CLSTM] | type[cvnn.CGRU], input_size: int = 3, hidden_size: int = 4,
         num_layers: int = 1, batch_first: bool = False, bidirectional: bool = False,
         seed: int = 0) -> cvnn.CLSTM | cvnn.CGRU:
    """A float64 module with every parameter (biases too) random, so all terms are exercised."""
    torch.manual_seed(seed)
    m = cls(input_size, hidden_size, num_layers=num_layers, batch_first=batch_first,
            bidirectional=bidirectional).double()
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, dtype=F64, generator=g) * 0.4)
    return m


def randc(*shape: int, seed: int = 0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=C128, generator=g)


def seq_input(m: cvnn.CLSTM | cvnn.CGRU, batch: int, steps: int, seed: int = 1) -> Tensor:
    shape = (batch, steps, m.input_size) if m.batch_first else (steps, batch, m.input_size)
    return randc(*shape, seed=seed)


def run(m: cvnn.CLSTM | cvnn.CGRU, z: Tensor,
        state: tuple[Tensor, Tensor | None] | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
    """Uniform call: returns ``(out, h, c)`` (``c`` is None for the GRU)."""
    if isinstance(m, cvnn.CLSTM):
        st: tuple[Tensor, Tensor] | None = None
        if state is not None:
            h0, c0 = state
            assert c0 is not None
            st = (h0, c0)
        out, new = m(z, st)
        return out, new.h, new.c
    out, h = m(z, None if state is None else state[0])
    return out, h, None


def random_state(m: cvnn.CLSTM | cvnn.CGRU, batch: int, seed: int) -> tuple[Tensor, Tensor]:
    d_count = 2 if m.bidirectional else 1
    g = torch.Generator().manual_seed(seed)
    shape = (4, d_count * m.num_layers, batch, m.hidden_size)
    return (torch.randn(shape, dtype=F64, generator=g) * 0.5,
            torch.randn(shape, dtype=F64, generator=g) * 0.5)


CLASSES = [cvnn.CLSTM, cvnn.CGRU]
CONFIGS = [(bf, nl) for bf in (True, False) for nl in (1, 2)]


def assert_matches_reference(m: cvnn.CLSTM | cvnn.CGRU, z: Tensor,
                             state: tuple[Tensor, Tensor] | None = None) -> None:
    out, h, c = run(m, z, state)
    h0 = None if state is None else state[0]
    c0 = None if state is None else state[1]
    with torch.no_grad():
        r_out, r_h, r_c = ref_complex_rnn(m, z, h0, c0)
    assert out.dtype == C128
    torch.testing.assert_close(out, r_out, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(h, r_h, rtol=1e-10, atol=1e-12)
    if r_c is not None:
        assert c is not None
        torch.testing.assert_close(c, r_c, rtol=1e-10, atol=1e-12)


# ---- against the reference ----


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(("batch_first", "num_layers"), CONFIGS)
def test_matches_dccrn_reference(cls: type[cvnn.CLSTM] | type[cvnn.CGRU], batch_first: bool,
                                 num_layers: int) -> None:
    m = make(cls, num_layers=num_layers, batch_first=batch_first, seed=num_layers)
    assert_matches_reference(m, seq_input(m, batch=3, steps=6))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(("batch_first", "num_layers"), CONFIGS)
def test_matches_reference_from_given_state(cls: type[cvnn.CLSTM] | type[cvnn.CGRU],
                                            batch_first: bool, num_layers: int) -> None:
    m = make(cls, num_layers=num_layers, batch_first=batch_first, seed=3)
    assert_matches_reference(m, seq_input(m, batch=2, steps=5), random_state(m, 2, seed=4))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_bidirectional_matches_reference(cls: type[cvnn.CLSTM] | type[cvnn.CGRU],
                                         num_layers: int) -> None:
    m = make(cls, num_layers=num_layers, batch_first=True, bidirectional=True, seed=5)
    assert_matches_reference(m, seq_input(m, batch=2, steps=4), random_state(m, 2, seed=6))


def test_not_the_seed_recurrence() -> None:
    """The seed fed L_r only x_re and L_i only x_im: that is different from DCCRN."""
    m = make(cvnn.CLSTM, seed=7)
    z = seq_input(m, batch=2, steps=5)
    out, _, _ = run(m, z)
    layer = m.layers[0]
    seed_like = torch.complex(layer.rnn_re(z.real)[0], layer.rnn_im(z.imag)[0])
    assert (out - seed_like).abs().max() > 1e-3


# ---- state continuation ----


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(("batch_first", "num_layers"), CONFIGS)
def test_two_halves_equal_whole(cls: type[cvnn.CLSTM] | type[cvnn.CGRU], batch_first: bool,
                                num_layers: int) -> None:
    m = make(cls, num_layers=num_layers, batch_first=batch_first, seed=8)
    z = seq_input(m, batch=3, steps=8, seed=9)
    tdim = 1 if batch_first else 0
    first, second = z.narrow(tdim, 0, 3), z.narrow(tdim, 3, 5)
    out_w, h_w, c_w = run(m, z)
    out_1, h_1, c_1 = run(m, first)
    out_2, h_2, c_2 = run(m, second, (h_1, c_1))
    torch.testing.assert_close(torch.cat([out_1, out_2], dim=tdim), out_w, rtol=1e-12,
                               atol=1e-12)
    torch.testing.assert_close(h_2, h_w, rtol=1e-12, atol=1e-12)
    if c_w is not None:
        torch.testing.assert_close(c_2, c_w, rtol=1e-12, atol=1e-12)


def test_lstm_state_is_named_and_tuple_accepted() -> None:
    m = make(cvnn.CLSTM, seed=10)
    z = seq_input(m, batch=2, steps=4)
    _, state = m(z)
    assert isinstance(state, cvnn.CLSTMState)
    out_a, _ = m(z, state)
    out_b, _ = m(z, (state.h, state.c))
    torch.testing.assert_close(out_a, out_b)


# ---- shapes ----


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_shapes(cls: type[cvnn.CLSTM] | type[cvnn.CGRU], batch_first: bool,
                bidirectional: bool) -> None:
    b, t, f, h, nl = 2, 5, 3, 4, 2
    m = cls(f, h, num_layers=nl, batch_first=batch_first, bidirectional=bidirectional)
    z = randc(*((b, t, f) if batch_first else (t, b, f))).to(torch.complex64)
    out, hh, cc = run(m, z)
    d = 2 if bidirectional else 1
    assert out.shape == ((b, t, d * h) if batch_first else (t, b, d * h))
    assert out.dtype == torch.complex64
    assert hh.shape == (4, d * nl, b, h)
    if cc is not None:
        assert cc.shape == (4, d * nl, b, h)


# ---- errors ----


@pytest.mark.parametrize("cls", CLASSES)
def test_wrong_state_shape(cls: type[cvnn.CLSTM] | type[cvnn.CGRU]) -> None:
    m = make(cls, num_layers=2, seed=11)
    z = seq_input(m, batch=3, steps=4)
    torch_like = torch.zeros(2, 3, m.hidden_size, dtype=F64)  # torch's (L, B, H): no pass axis
    with pytest.raises(ValueError, match="state must have shape"):
        run(m, z, (torch_like, torch_like))
    wrong_batch = torch.zeros(4, 2, 2, m.hidden_size, dtype=F64)
    with pytest.raises(ValueError, match="state must have shape"):
        run(m, z, (wrong_batch, wrong_batch))


def test_lstm_wrong_cell_state_shape() -> None:
    m = make(cvnn.CLSTM, seed=12)
    z = seq_input(m, batch=3, steps=4)
    h = torch.zeros(4, 1, 3, m.hidden_size, dtype=F64)
    with pytest.raises(ValueError, match="state must have shape"):
        m(z, (h, h[:, :, :2]))


@pytest.mark.parametrize("cls", CLASSES)
def test_real_input_rejected(cls: type[cvnn.CLSTM] | type[cvnn.CGRU]) -> None:
    m = cls(3, 4)
    with pytest.raises(TypeError):
        m(torch.randn(5, 2, 3))
    with pytest.raises(TypeError, match="seed"):  # trailing-2 data: points to the seed classes
        m(torch.randn(5, 2, 3, 2))


@pytest.mark.parametrize("cls", CLASSES)
def test_wrong_feature_count(cls: type[cvnn.CLSTM] | type[cvnn.CGRU]) -> None:
    m = cls(3, 4)
    with pytest.raises(ValueError, match="3 complex input features"):
        m(randc(5, 2, 4).to(torch.complex64))
    with pytest.raises(ValueError, match="batched sequence"):
        m(randc(5, 3).to(torch.complex64))


# ---- gradients ----


@pytest.mark.parametrize("cls", CLASSES)
def test_gradcheck_tiny(cls: type[cvnn.CLSTM] | type[cvnn.CGRU]) -> None:
    m = make(cls, input_size=2, hidden_size=2, batch_first=True, seed=13)
    z = seq_input(m, batch=1, steps=3, seed=14).requires_grad_(True)
    h0 = random_state(m, 1, seed=15)[0].requires_grad_(True)

    if isinstance(m, cvnn.CLSTM):
        def f(zz: Tensor, hh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            out, st = m(zz, (hh, hh * 0.5))
            return out, st.h, st.c
    else:
        def f(zz: Tensor, hh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
            out, h = m(zz, hh)
            return out, h, h

    assert gradcheck(f, (z, h0), eps=1e-6, atol=1e-7)


def test_gradients_reach_both_networks() -> None:
    m = make(cvnn.CLSTM, seed=16)
    out, _ = m(seq_input(m, batch=2, steps=3))
    out.abs().square().sum().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("cls", CLASSES)
def test_layers_stack_as_complex_layers(cls: type[cvnn.CLSTM] | type[cvnn.CGRU]) -> None:
    """A 2-layer module equals two 1-layer modules composed (complex output fed forward)."""
    m = make(cls, num_layers=2, batch_first=True, seed=21)
    first, second = make(cls, seed=22, batch_first=True), make(
        cls, input_size=m.hidden_size, seed=23, batch_first=True)
    first.layers[0].load_state_dict(m.layers[0].state_dict())
    second.layers[0].load_state_dict(m.layers[1].state_dict())
    z = seq_input(m, batch=2, steps=5)
    torch.testing.assert_close(m(z)[0], second(first(z)[0])[0])


def test_gate_init_is_complex_glorot_per_gate() -> None:
    """Each gate matrix W_r + i W_i (H x in) has E|W|^2 = 2 / (in + H)."""
    torch.manual_seed(0)
    m = cvnn.CLSTM(256, 128)
    layer = m.layers[0]
    w = torch.complex(layer.rnn_re.weight_ih_l0.double(), layer.rnn_im.weight_ih_l0.double())
    for gate in w.chunk(4, dim=0):
        n = gate.numel()
        assert abs(gate.abs().square().mean().item() * (256 + 128) / 2 - 1) < 5 / n**0.5
