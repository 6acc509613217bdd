"""One tracked run of the base config with overrides: ``python -m lab.run [options] key=value``.

The same options as every ablation. The profile sets the sizes and the seeds (quick: seeds 0, 1
and 2, so three runs; ``--seeds 0`` or ``seed=0`` for one); ``key=value`` sets any config key
(``--list-keys`` prints them all). The MLflow experiment is ``single`` unless
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
