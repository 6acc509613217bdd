"""Cross-corpus: the same model trained on each of two corpora, each scored on both.

Give the two corpora as ``--data A eval.cross_root=B`` (``make experiments`` passes
``--data data/recorded eval.cross_root=data/tts``): one arm trains on A and is scored on B's test
split as ``cross/*``, the other trains on B and is scored on A's; both are also scored on their
own test split and unseen voices. The arm trained on A is the other ablations' run (shared, not
trained twice). The smoke and quick profiles keep the complex VQ model; the paper profile adds its
parameter-matched real twin, so the real-vs-complex answer can be read trained on either corpus.
The report shows this ablation through its generalization table and figure (each arm's in-domain,
unseen-voice and cross-corpus quality); it has no verdict, since its arms' ``test`` columns are
different corpora.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from lab.cli import Grid, ablation_main

MODELS = {"complex": ["model.domain=complex", "features.representation=stft"],
          "real": ["model.twin=params", "features.representation=planar"]}
CROSS = "eval.cross_root="


def corpora(argv: Sequence[str]) -> tuple[str, str, list[str]]:
    """``(A, B, argv without the cross override)`` from ``--data A`` and ``eval.cross_root=B``
    (``("", "", argv)`` when either is missing: the ablation's own error then names it)."""
    args = list(argv)
    a = next((args[i + 1] for i, x in enumerate(args[:-1]) if x == "--data"), "")
    a = next((x.partition("=")[2] for x in args if x.startswith("--data=")), a)
    b = next((x[len(CROSS):] for x in reversed(args) if x.startswith(CROSS)), "")
    return a, b, [x for x in args if not x.startswith(CROSS)]


def grid_for(a: str, b: str) -> Grid:
    """Both arms (trained on ``a`` scored cross on ``b``, and back) for each model."""

    def grid(profile: str) -> list[list[str]]:
        small = profile in ("smoke", "quick", "reference")
        models = [MODELS["complex"]] if small else list(MODELS.values())
        arms = [[f"data.root={a}", f"{CROSS}{b}"], [f"data.root={b}", f"{CROSS}{a}"]]
        return [[*m, *arm] for arm in arms for m in models]
    return grid


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    a, b, rest = corpora(given)
    if "-h" not in given and "--help" not in given and not (a and b):
        print("error: cross_corpus needs two corpora: --data A eval.cross_root=B",
              file=sys.stderr)
        return 2
    return ablation_main("cross_corpus", __doc__, grid_for(a, b), rest,
                         prog="python -m experiments.cross_corpus")


if __name__ == "__main__":
    raise SystemExit(main())
