"""One tracked run of the base config with overrides: ``python -m lab.run [options] key=value``.

The same options as every ablation (``--help``); the MLflow experiment is ``single`` unless
``tracking.experiment=...`` is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from lab.cli import ablation_main


def grid(profile: str) -> list[list[str]]:
    return [[]]


def main(argv: Sequence[str] | None = None) -> int:
    return ablation_main("single", __doc__, grid, argv, prog="python -m lab.run")


if __name__ == "__main__":
    raise SystemExit(main())
