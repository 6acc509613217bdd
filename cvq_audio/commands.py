"""The console scripts: each finds the repository checkout and runs one module's ``main`` there.

* ``cvq-run``: one tracked run of the base config (``python -m lab.run``);
* ``cvq-experiment NAME``: one ablation, ``experiments/NAME.py`` (``python -m experiments.NAME``);
* ``cvq-report``: the HTML reports from the tracked runs (``python -m analysis.report``);
* ``cvq-data``: the offline corpus (``python -m data_scripts.make_commands``);
* ``cvq-reconstruct``: one WAV through a trained model (``python -m lab.reconstruct``).

Each takes the options of the module it runs (``--help``); paths are relative to the working
directory, as with ``python -m`` from the repository root.

Where the checkout is: the parent of this package when it is installed editable from one
(``pip install -e ".[research]"``), else the first directory at or above the working directory
that holds ``pyproject.toml`` and ``lab/__init__.py`` (a wheel installed elsewhere, run from
inside a clone). Failing both, or when the research dependencies are missing, the command says
so and exits with status 2; nothing is run.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

RESEARCH = {"lab", "experiments", "analysis", "data_scripts"}


class CheckoutNotFoundError(RuntimeError):
    """No repository checkout to run the research stack from."""


def _is_checkout(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "lab" / "__init__.py").is_file()


def checkout(start: Path | None = None) -> Path:
    """The repository root the research stack runs from.

    Raises :class:`CheckoutNotFoundError` when neither this package's parent (an editable
    install) nor any directory at or above ``start`` (default: the working directory) is one.
    """
    here = Path(__file__).resolve().parent.parent
    if _is_checkout(here):
        return here
    start = (start or Path.cwd()).resolve()
    for path in (start, *start.parents):
        if _is_checkout(path):
            return path
    raise CheckoutNotFoundError(
        "the research stack (lab, experiments, analysis, data_scripts) runs from a checkout of "
        "the cvq-audio repository, which was not found at or above "
        f"{start}: run this command inside a clone, or install one with "
        "`pip install -e \".[research]\"` from its root (the wheel holds only cvnn and vq)")


def _launch(module: str, argv: Sequence[str], prog: str) -> int:
    """Run ``python -m module *argv`` from the checkout; its exit status (2 when it cannot)."""
    try:
        root = checkout()
    except CheckoutNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    saved = sys.argv
    sys.argv = [prog, *argv]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] in RESEARCH:
            raise
        print(f"error: {module} needs {err.name!r}, a dependency of the research stack: "
              f"install it with `pip install -e \".[research]\"` in {root} (or `make venv` "
              f"there for the exact pins)", file=sys.stderr)
        return 2
    finally:
        sys.argv = saved
    return 0


def ablations(root: Path) -> list[str]:
    """The ablation scripts of a checkout: ``experiments/*.py`` but ``__init__``."""
    return sorted(p.stem for p in (root / "experiments").glob("*.py")
                  if not p.stem.startswith("_"))


def run() -> int:
    """``cvq-run``: ``python -m lab.run``."""
    return _launch("lab.run", sys.argv[1:], "cvq-run")


def report() -> int:
    """``cvq-report``: ``python -m analysis.report``."""
    return _launch("analysis.report", sys.argv[1:], "cvq-report")


def data() -> int:
    """``cvq-data``: ``python -m data_scripts.make_commands``."""
    return _launch("data_scripts.make_commands", sys.argv[1:], "cvq-data")


def reconstruct() -> int:
    """``cvq-reconstruct``: ``python -m lab.reconstruct``."""
    return _launch("lab.reconstruct", sys.argv[1:], "cvq-reconstruct")


def experiment(argv: Sequence[str] | None = None) -> int:
    """``cvq-experiment NAME [options]``: ``python -m experiments.NAME [options]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        known = ablations(checkout())
    except CheckoutNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args and args[0] in known:
        return _launch(f"experiments.{args[0]}", args[1:], f"cvq-experiment {args[0]}")
    usage = (f"usage: cvq-experiment NAME [options] [key=value ...]\n\nRuns one ablation "
             f"(python -m experiments.NAME). NAME is one of: {', '.join(known)}; "
             f"`cvq-experiment NAME --help` lists its options.")
    if args and args[0] in {"-h", "--help"}:
        print(usage)
        return 0
    print((f"error: unknown ablation {args[0]!r}\n" if args else "") + usage, file=sys.stderr)
    return 2
