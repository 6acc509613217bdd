"""The planar mechanism: complex at the boundary, planar inside.

Every layer of :mod:`cvnn` is a :class:`ComplexModule`. It implements one method,
:meth:`ComplexModule.forward_planar`, on the planar layout (``[Re ; Im]`` concatenated along
``planar_dim``, see :mod:`cvnn.layout`); its public :meth:`~ComplexModule.forward` takes and returns
native complex tensors and converts at the boundary. Containers (:class:`CSequential`, and the
architectures in :mod:`cvnn.models`) convert once on entry and once on exit and pass planar
tensors between their children, so a whole model runs on real tensors with no per-layer copies.
Measured in ``benchmarks/bench_conv.py``: this layout, not the multiplication trick, is what makes
a complex layer cost what one real layer of twice the width costs (figures:
docs/benchmarks.md).

A layer used on its own still works with complex tensors; it then pays two copies per call.
"""

from __future__ import annotations

from collections.abc import Iterator

from torch import Tensor, nn

from cvnn.layout import (
    check_complex,
    complex_dtype_for,
    complex_to_planar,
    part_dtype_for,
    planar_to_complex,
    relayout_planar,
)


def check_dtype(module: nn.Module, z: Tensor, who: str) -> None:
    """Raise a clear ``TypeError`` when complex ``z``'s parts and the module's parameters differ
    in precision (torch's own message names matrices, not the fix)."""
    p = next(module.parameters(), None)
    if p is None or not p.is_floating_point():
        return
    if part_dtype_for(z.dtype) != p.dtype:
        raise TypeError(
            f"{who} has {p.dtype} parameters but got a {z.dtype} input: convert the input "
            f"(z.to({complex_dtype_for(p.dtype)})) or the module (.double() for complex128, "
            ".float() for complex64)"
        )


class ComplexModule(nn.Module):
    """Base class: ``forward`` on complex tensors, ``forward_planar`` on planar real tensors.

    Subclasses set ``planar_dim`` (the axis along which real and imaginary halves are
    concatenated: 1 for channel-first layers, -1 for feature-last layers) and implement
    :meth:`forward_planar`, which takes a planar tensor and returns one planar along the same axis.
    """

    planar_dim: int = 1

    def forward(self, z: Tensor) -> Tensor:
        """Complex in, complex out: ``to_planar -> forward_planar -> to_complex``."""
        check_complex(z, type(self).__name__)
        check_dtype(self, z, type(self).__name__)
        d = self.planar_dim
        return planar_to_complex(self.forward_planar(complex_to_planar(z, d)), d)

    def forward_planar(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class CSequential(ComplexModule):
    """Like :class:`torch.nn.Sequential`, for :class:`ComplexModule` children.

    Converts to planar once on entry and back once on exit; children exchange planar tensors.
    When two neighbours split ``[Re ; Im]`` along different axes (a conv followed by a linear on
    ``(B, T, F)`` data), the split is moved between them, so the result always equals applying
    the children one after the other on complex tensors.
    """

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        if not modules:
            raise ValueError("CSequential needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, ComplexModule):
                raise TypeError(
                    f"CSequential child {i} is a {type(m).__name__}, not a cvnn ComplexModule; "
                    "real torch.nn layers do not know the planar layout"
                )
            self.add_module(str(i), m)
        first = modules[0]
        assert isinstance(first, ComplexModule)
        self.planar_dim = first.planar_dim

    def __iter__(self) -> Iterator[ComplexModule]:
        return iter(self._children())

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> ComplexModule:
        return self._children()[i]

    def _children(self) -> list[ComplexModule]:
        return [m for m in self._modules.values() if isinstance(m, ComplexModule)]

    def _chain(self, x: Tensor, dim: int) -> tuple[Tensor, int]:
        """Run the children on planar ``x`` split along ``dim``; return output and its split."""
        cur = dim % x.ndim
        for m in self._children():
            want = m.planar_dim % x.ndim
            if want != cur:
                x = relayout_planar(x, cur, want)
            x = m.forward_planar(x)
            cur = m.planar_dim % x.ndim
        return x, cur

    def forward(self, z: Tensor) -> Tensor:
        check_complex(z, "CSequential")
        check_dtype(self, z, "CSequential")
        x, cur = self._chain(complex_to_planar(z, self.planar_dim), self.planar_dim)
        return planar_to_complex(x, cur)

    def forward_planar(self, x: Tensor) -> Tensor:
        y, cur = self._chain(x, self.planar_dim)
        return relayout_planar(y, cur, self.planar_dim)


class CFlatten(ComplexModule):
    """Flatten ``(B, C, *S)`` complex to ``(B, C * prod(S))``, like :class:`torch.nn.Flatten`.

    On the planar layout ``(B, 2C, *S)`` a plain flatten keeps all real parts before all
    imaginary parts, which is exactly the planar layout of the flattened complex tensor.
    """

    planar_dim = 1

    def forward_planar(self, x: Tensor) -> Tensor:
        return x.flatten(1)


class CIdentity(ComplexModule):
    """The identity, usable inside :class:`CSequential`."""

    def forward_planar(self, x: Tensor) -> Tensor:
        return x
