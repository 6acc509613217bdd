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

Two passes share each network, so each network runs once on a batch of ``2B``: two real
LSTM/GRU calls per step, the cost of the four passes.

Shapes: input ``(B, T, F)`` complex if ``batch_first`` else ``(T, B, F)``; output ``(B, T, D*H)``
complex (``D = 2`` if bidirectional); state tensors ``(4, D*num_layers, B, H)`` real, passes in the
order ``(rr, ri, ii, ir)``. Init: the complex weight ``W_r + i W_i`` of each gate matrix is drawn
with the complex Glorot criterion (:mod:`cvnn.init`); biases zero.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from cvnn.init import complex_glorot_
from cvnn.layout import check_complex


class CLSTMState(NamedTuple):
    """Hidden and cell states of the four real passes, each ``(4, D*num_layers, B, H)``."""

    h: Tensor
    c: Tensor


class _CRNNBase(nn.Module):
    _rnn: type[nn.LSTM] | type[nn.GRU] = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False) -> None:
        super().__init__()
        kw = dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                  bias=bias, batch_first=batch_first, dropout=dropout,
                  bidirectional=bidirectional)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.batch_first = batch_first
        self.bidirectional = bidirectional
        self.rnn_re = self._rnn(**kw)
        self.rnn_im = self._rnn(**kw)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for name, p_re in self.rnn_re.named_parameters():
            p_im = getattr(self.rnn_im, name)
            if name.startswith("weight"):
                w = complex_glorot_(torch.empty(2, *p_re.shape, dtype=p_re.dtype))
                p_re.copy_(w[0])
                p_im.copy_(w[1])
            else:
                p_re.zero_()
                p_im.zero_()

    def _split_in(self, z: Tensor) -> tuple[Tensor, Tensor, int]:
        check_complex(z, type(self).__name__)
        if z.ndim != 3:
            raise ValueError(
                f"{type(self).__name__} expects a batched sequence "
                f"{'(B, T, F)' if self.batch_first else '(T, B, F)'}, got shape {tuple(z.shape)}"
            )
        if z.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects {self.input_size} complex input "
                             f"features, got {z.shape[-1]}")
        bdim = 0 if self.batch_first else 1
        xr, xi = z.real, z.imag
        # L_r sees [x_re ; x_im], L_i sees [x_im ; x_re] along the batch axis
        return torch.cat([xr, xi], bdim), torch.cat([xi, xr], bdim), z.shape[bdim]

    def _combine(self, out_r: Tensor, out_i: Tensor) -> Tensor:
        bdim = 0 if self.batch_first else 1
        rr, ri = out_r.chunk(2, bdim)
        ii, ir = out_i.chunk(2, bdim)
        return torch.complex(rr - ii, ri + ir)

    @staticmethod
    def _pack(s: Tensor) -> tuple[Tensor, Tensor]:
        """``(4, L, B, H)`` -> states of ``L_r`` and ``L_i``, each ``(L, 2B, H)``."""
        return torch.cat([s[0], s[1]], 1), torch.cat([s[2], s[3]], 1)

    @staticmethod
    def _unpack(s_r: Tensor, s_i: Tensor) -> Tensor:
        """States of ``L_r`` and ``L_i`` ``(L, 2B, H)`` -> ``(4, L, B, H)``."""
        return torch.stack([*s_r.chunk(2, 1), *s_i.chunk(2, 1)])

    def _check_state(self, s: Tensor, batch: int) -> None:
        d = 2 if self.bidirectional else 1
        want = (4, d * self.num_layers, batch, self.hidden_size)
        if tuple(s.shape) != want:
            raise ValueError(f"{type(self).__name__} state must have shape {want} (passes rr, ri, "
                             f"ii, ir), got {tuple(s.shape)}")

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
        x_r, x_i, batch = self._split_in(z)
        if state is None:
            out_r, (h_r, c_r) = self.rnn_re(x_r)
            out_i, (h_i, c_i) = self.rnn_im(x_i)
        else:
            h, c = state
            self._check_state(h, batch)
            self._check_state(c, batch)
            (h0r, h0i), (c0r, c0i) = self._pack(h), self._pack(c)
            out_r, (h_r, c_r) = self.rnn_re(x_r, (h0r, c0r))
            out_i, (h_i, c_i) = self.rnn_im(x_i, (h0i, c0i))
        return self._combine(out_r, out_i), CLSTMState(self._unpack(h_r, h_i),
                                                       self._unpack(c_r, c_i))


class CGRU(_CRNNBase):
    """Complex GRU (the DCCRN construction with GRUs).

    ``forward(z, h=None) -> (out, h)`` with ``h`` of shape ``(4, D*num_layers, B, H)``.
    """

    _rnn = nn.GRU

    def forward(self, z: Tensor, h: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x_r, x_i, batch = self._split_in(z)
        if h is None:
            out_r, h_r = self.rnn_re(x_r)
            out_i, h_i = self.rnn_im(x_i)
        else:
            self._check_state(h, batch)
            h0r, h0i = self._pack(h)
            out_r, h_r = self.rnn_re(x_r, h0r)
            out_i, h_i = self.rnn_im(x_i, h0i)
        return self._combine(out_r, out_i), self._unpack(h_r, h_i)
