"""Complex LSTM and GRU as in DCCRN (Hu et al. 2020, "DCCRN", sec. 2.2, eq. 3).

Two real recurrent networks ``L_r`` and ``L_i`` (weights: the real and imaginary parts of the
complex recurrence) are combined like a complex product::

    out_re = L_r(x_re) - L_i(x_im)
    out_im = L_r(x_im) + L_i(x_re)

These are four real passes, ``rr = L_r(x_re)``, ``ri = L_r(x_im)``, ``ii = L_i(x_im)`` and
``ir = L_i(x_re)``, each carrying its own hidden state; the returned state holds all four, so
feeding it back continues the sequence exactly (running a sequence in two halves equals running it
whole).
The seed fed ``L_r`` only ``x_re`` and ``L_i`` only ``x_im``, swapped only the initial states, and
returned combined states that could not continue the sequence.

With ``num_layers > 1`` the layers are complex layers stacked: layer ``k + 1`` takes the complex
output of layer ``k`` (its own ``L_r`` and ``L_i``, combined after every layer, as DCCRN stacks
complex LSTMs), with :class:`~cvnn.CDropout` (one mask for both parts) between layers when
``dropout > 0``.

Two passes share each network, so each network runs once on a batch of ``2B``: two real
LSTM/GRU calls per layer, the cost of the four passes.

Shapes: input ``(B, T, F)`` complex if ``batch_first`` else ``(T, B, F)``; output ``(B, T, D*H)``
complex (``D = 2`` if bidirectional); state tensors ``(4, D*num_layers, B, H)`` real (index
``layer * D + direction`` on the second axis, as torch), passes in the order
``(rr, ri, ii, ir)``. Init: the complex weight ``W_r + i W_i`` of each gate matrix is drawn
with the complex Glorot criterion (:mod:`cvnn.init`); biases zero.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from cvnn.dropout import CDropout
from cvnn.init import complex_glorot_
from cvnn.layout import check_complex
from cvnn.module import check_dtype


class CLSTMState(NamedTuple):
    """Hidden and cell states of the four real passes, each ``(4, D*num_layers, B, H)``."""

    h: Tensor
    c: Tensor


class _CRNNLayer(nn.Module):
    """One complex recurrent layer: the real networks ``rnn_re`` (``L_r``) and ``rnn_im`` (``L_i``),
    single-layer, run on ``[x_re ; x_im]`` and ``[x_im ; x_re]`` stacked on the batch axis."""

    def __init__(self, rnn: type[nn.LSTM] | type[nn.GRU], input_size: int, hidden_size: int,
                 bias: bool, batch_first: bool, bidirectional: bool) -> None:
        super().__init__()
        self.batch_first = batch_first
        self.rnn_re = rnn(input_size, hidden_size, 1, bias=bias, batch_first=batch_first,
                          bidirectional=bidirectional)
        self.rnn_im = rnn(input_size, hidden_size, 1, bias=bias, batch_first=batch_first,
                          bidirectional=bidirectional)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        hidden = self.rnn_re.hidden_size
        for name, p_re in self.rnn_re.named_parameters():
            p_im = getattr(self.rnn_im, name)
            if not name.startswith("weight"):
                p_re.zero_()
                p_im.zero_()
                continue
            for g in range(p_re.shape[0] // hidden):  # each gate's matrix on its own fans
                w = complex_glorot_(torch.empty(2, hidden, p_re.shape[1], dtype=p_re.dtype))
                p_re[g * hidden:(g + 1) * hidden] = w[0]
                p_im[g * hidden:(g + 1) * hidden] = w[1]

    def forward(self, z: Tensor, h: Tensor | None, c: Tensor | None
                ) -> tuple[Tensor, Tensor, Tensor | None]:
        """``z`` complex; ``h``, ``c``: ``(4, D, B, H)`` or None -> ``(out, h, c)``."""
        bdim = 0 if self.batch_first else 1
        xr, xi = z.real, z.imag
        x_r, x_i = torch.cat([xr, xi], bdim), torch.cat([xi, xr], bdim)
        if isinstance(self.rnn_re, nn.LSTM):
            st_r = st_i = None
            if h is not None and c is not None:
                (h_r, h_i), (c_r, c_i) = _pack(h), _pack(c)
                st_r, st_i = (h_r, c_r), (h_i, c_i)
            out_r, (hn_r, cn_r) = self.rnn_re(x_r, st_r)
            out_i, (hn_i, cn_i) = self.rnn_im(x_i, st_i)
            c_out: Tensor | None = _unpack(cn_r, cn_i)
        else:
            g_r, g_i = _pack(h) if h is not None else (None, None)
            out_r, hn_r = self.rnn_re(x_r, g_r)
            out_i, hn_i = self.rnn_im(x_i, g_i)
            c_out = None
        rr, ri = out_r.chunk(2, bdim)
        ii, ir = out_i.chunk(2, bdim)
        return torch.complex(rr - ii, ri + ir), _unpack(hn_r, hn_i), c_out


def _pack(s: Tensor) -> tuple[Tensor, Tensor]:
    """``(4, D, B, H)`` -> states of ``L_r`` (rr, ri) and ``L_i`` (ii, ir), each ``(D, 2B, H)``."""
    return torch.cat([s[0], s[1]], 1), torch.cat([s[2], s[3]], 1)


def _unpack(s_r: Tensor, s_i: Tensor) -> Tensor:
    """States of ``L_r`` and ``L_i`` ``(D, 2B, H)`` -> ``(4, D, B, H)``."""
    return torch.stack([*s_r.chunk(2, 1), *s_i.chunk(2, 1)])


class _CRNNBase(nn.Module):
    _rnn: type[nn.LSTM] | type[nn.GRU] = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.batch_first = batch_first
        self.bidirectional = bidirectional
        d = 2 if bidirectional else 1
        self.layers = nn.ModuleList(
            _CRNNLayer(self._rnn, input_size if k == 0 else d * hidden_size, hidden_size, bias,
                       batch_first, bidirectional)
            for k in range(num_layers)
        )
        self.dropout = CDropout(dropout, dim=-1)

    def _check_input(self, z: Tensor) -> int:
        check_complex(z, type(self).__name__)
        check_dtype(self, z, type(self).__name__)
        if z.ndim != 3:
            raise ValueError(
                f"{type(self).__name__} expects a batched sequence "
                f"{'(B, T, F)' if self.batch_first else '(T, B, F)'}, got shape {tuple(z.shape)}"
            )
        if z.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects {self.input_size} complex input "
                             f"features, got {z.shape[-1]}")
        return z.shape[0 if self.batch_first else 1]

    def _check_state(self, s: Tensor, batch: int) -> None:
        d = 2 if self.bidirectional else 1
        want = (4, d * self.num_layers, batch, self.hidden_size)
        if tuple(s.shape) != want:
            raise ValueError(f"{type(self).__name__} state must have shape {want} (passes rr, ri, "
                             f"ii, ir), got {tuple(s.shape)}")

    def _stack(self, z: Tensor, h: Tensor | None, c: Tensor | None
               ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Run the layers, with complex dropout between them; states ``(4, D*L, B, H)``."""
        d = 2 if self.bidirectional else 1
        hs, cs = [], []
        for k, layer in enumerate(self.layers):
            if k > 0:
                z = self.dropout(z)
            sl = slice(k * d, (k + 1) * d)
            z, hk, ck = layer(z, None if h is None else h[:, sl], None if c is None else c[:, sl])
            hs.append(hk)
            if ck is not None:
                cs.append(ck)
        return z, torch.cat(hs, 1), (torch.cat(cs, 1) if cs else None)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}, bidirectional={self.bidirectional}")


class CLSTM(_CRNNBase):
    """Complex LSTM (DCCRN); see the module docstring for the definition and shapes.

    ``forward(z, state=None) -> (out, CLSTMState)``.
    """

    _rnn = nn.LSTM

    def forward(self, z: Tensor, state: CLSTMState | tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, CLSTMState]:
        batch = self._check_input(z)
        h = c = None
        if state is not None:
            h, c = state
            self._check_state(h, batch)
            self._check_state(c, batch)
        out, h_n, c_n = self._stack(z, h, c)
        assert c_n is not None
        return out, CLSTMState(h_n, c_n)


class CGRU(_CRNNBase):
    """Complex GRU (the DCCRN construction with GRUs).

    ``forward(z, h=None) -> (out, h)`` with ``h`` of shape ``(4, D*num_layers, B, H)``.
    """

    _rnn = nn.GRU

    def forward(self, z: Tensor, h: Tensor | None = None) -> tuple[Tensor, Tensor]:
        batch = self._check_input(z)
        if h is not None:
            self._check_state(h, batch)
        out, h_n, _ = self._stack(z, h, None)
        return out, h_n
