"""The bottlenecks by name: ``model.bottleneck=<name>`` (each module's ``SPEC``, :mod:`vq.base`).

Adding a bottleneck is one module that defines its config dataclass, its real and complex
constructors, its rate (in :class:`~vq.base.BottleneckOutput`) and its ``SPEC``, plus its line
here; the run config, the model builder, evaluation and the reports read everything from the
spec.
"""

from __future__ import annotations

from vq import base, fsq, quantizer, residual, vae
from vq.base import BottleneckSpec

BOTTLENECKS: dict[str, BottleneckSpec] = {s.name: s for s in (
    base.SPEC,
    vae.SPEC,
    quantizer.SPEC,
    residual.SPEC,
    fsq.SPEC,
    fsq.POLAR_SPEC,
)}


def spec(name: str) -> BottleneckSpec:
    """The spec of bottleneck ``name``; ValueError naming the known ones otherwise."""
    if name not in BOTTLENECKS:
        raise ValueError(f"bottleneck must be one of {', '.join(BOTTLENECKS)}, got {name!r}")
    return BOTTLENECKS[name]


def section_config(section: str) -> type:
    """The config class that holds every key of a run-config section: the most derived of the
    section's bottleneck configs (``vq``: :class:`~vq.residual.RVQConfig`, which extends
    :class:`~vq.quantizer.VQConfig`)."""
    classes = [s.config for s in BOTTLENECKS.values() if s.section == section]
    if not classes:
        raise ValueError(f"no bottleneck uses the section {section!r}")
    best = max(classes, key=lambda c: len(c.__mro__))
    if not all(issubclass(best, c) for c in classes):
        raise TypeError(f"the configs of section {section!r} do not extend one another: "
                        f"{[c.__name__ for c in classes]}")
    return best
