"""The command line every ablation script shares (``experiments/*.py``), and ``python -m lab.run``.

``python -m experiments.<ablation> [--profile smoke|quick|paper] [--data DIR] [--executor
local|ray] [--jobs N] [--ray-address ADDR] [--tracking-uri URI] [--wandb off|offline|online]
[--seeds 0,1] [--runs-dir DIR] [--dry-run] [--list-keys] [key=value ...]``

The config of each run is: the base config, the profile's overrides, the options, the
ablation's delta and the seed, then the ``key=value`` overrides given here (they win; a note says
when one replaces a key the ablation sets). Seeds: ``--seeds``, else a ``seed=`` override, else
the profile's. Every config is built and checked (unknown keys, with the nearest valid key
suggested; bad values; inconsistent model/representation; a missing corpus) before any run
starts, and the command says how many runs it makes and why (variants x seeds, where the seeds
come from, how many at once, how many are already finished and will be skipped).
``--list-keys`` prints every key with its default, type and meaning (:mod:`lab.keys`).

Module docstrings become ``--help`` descriptions through :func:`plain`, which drops their reST
markup.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.build import model_config
from lab.checkpoint import CheckpointError
from lab.config import ConfigError, RunConfig, apply_overrides, run_key, run_name
from lab.corpus import check_corpus, check_run_corpora, check_selection
from lab.memory import check_fits
from lab.profiles import PROFILES
from lab.sweep import ClusterUnavailableError, exit_status, expand, run_sweep
from lab.tracking import TrackingUnavailableError, finished_keys
from lab.train import check_checkpoints

Grid = Callable[[str], Sequence[Sequence[str]]]

_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`(~?)([^`<]*?)\s*(?:<[^>]*>)?`")


def _role_text(m: re.Match[str]) -> str:
    return m.group(2).rpartition(".")[2] if m.group(1) else m.group(2)


def plain(doc: str | None) -> str | None:
    """A docstring as plain text for ``--help``: ``x`` -> x, :mod:`x` (any role) -> x
    (``~a.b`` -> b, ``text <target>`` -> text), **x** -> x, a closing ``::`` -> ``:``."""
    if doc is None:
        return None
    text = _ROLE.sub(_role_text, doc)
    text = re.sub(r"``(.+?)``", r"\1", text, flags=re.S)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    return re.sub(r"(\S)::$", r"\1:", text, flags=re.M)


class _ListKeys(argparse.Action):
    """``--list-keys``: print every config key (:func:`lab.keys.format_keys`) and exit 0."""

    def __call__(self, ap: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from lab.keys import format_keys

        print(format_keys())
        ap.exit(0)


def parser(name: str, doc: str | None, prog: str | None = None) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog or f"python -m experiments.{name}", description=plain(doc),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Config keys: --list-keys prints every key=value key with its default, type and "
               "meaning.")
    ap.add_argument("overrides", nargs="*", metavar="key=value",
                    help="config overrides by dotted path, e.g. optim.lr=1e-3 model.width=8 "
                         "(every key: --list-keys)")
    ap.add_argument("--list-keys", action=_ListKeys, nargs=0,
                    help="print every config key with its default, type and meaning, and exit")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="quick",
                    help="run sizes: smoke (CI), quick (2 CPU cores), paper (one GPU)")
    ap.add_argument("--data", default=None, help="corpus folder (data.root; default "
                    "data/recorded, made by `make data`)")
    ap.add_argument("--executor", choices=("local", "ray"), default="local")
    ap.add_argument("--jobs", type=int, default=1, help="runs at once (worker processes or "
                    "Ray trials), each with cores / jobs torch threads")
    ap.add_argument("--ray-address", default=None,
                    help="join this Ray cluster (default: start a local one)")
    ap.add_argument("--tracking-uri", default=None, help="MLflow server (http://...); default: "
                    "sqlite store under the runs dir")
    ap.add_argument("--wandb", choices=("off", "offline", "online"), default=None,
                    help="mirror to Weights & Biases (online needs WANDB_API_KEY)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds (default: profile's)")
    ap.add_argument("--runs-dir", default=None, help="tracking store, checkpoints (default runs)")
    ap.add_argument("--dry-run", action="store_true", help="list the runs and exit")
    return ap


def parse_args(ap: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``ap.parse_args(argv)``, plus ``command``: the command line as a user would retype it
    (logged as the ``command`` tag of every run it starts, and shown by the report)."""
    args = ap.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    args.command = shlex.join([*ap.prog.split(), *given])
    return args


def corpus_root(config: RunConfig, overrides: Sequence[str]) -> Path:
    """The corpus the runs read: the last ``data.root=`` override, else ``config``'s."""
    given = [o.partition("=")[2].strip() for o in overrides
             if o.partition("=")[0].strip() == "data.root"]
    return Path(given[-1] if given else config.data.root)


def _base(name: str, args: argparse.Namespace) -> RunConfig:
    options = {"data.root": args.data, "tracking.uri": args.tracking_uri,
               "tracking.wandb": args.wandb, "tracking.runs_dir": args.runs_dir}
    cli = [f"tracking.experiment={name}"] + [f"{k}={v}" for k, v in options.items() if v]
    config = apply_overrides(RunConfig(), [*PROFILES[args.profile].overrides, *cli])
    command = getattr(args, "command", "")
    return dataclasses.replace(config, tracking=dataclasses.replace(config.tracking,
                                                                    command=command))


def base_config(name: str, args: argparse.Namespace) -> RunConfig:
    """The base config with the profile's overrides and the options' (not ``key=value``).

    Unless it is a dry run (or ``args`` has no ``dry_run``, e.g. a benchmark's namespace), the
    corpus the runs will read (``data.root`` after the ``key=value`` overrides) must exist: a
    :class:`ConfigError` naming it and how to make it, before any run is created."""
    config = _base(name, args)
    if not getattr(args, "dry_run", True):
        check_corpus(corpus_root(config, getattr(args, "overrides", ())),
                     Path(config.data.cache_dir))
    return config


@dataclass
class Plan:
    """The runs of a command and why there are that many."""

    configs: list[RunConfig]
    variants: int  # the grid's deltas
    seeds: list[int]
    seed_source: str  # e.g. "--seeds 0,1", "seed=3", "quick profile's seeds 0,1,2"
    seeds_of_profile: bool  # the seeds are the profile's (no --seeds, no seed=)

    def describe(self, name: str, args: argparse.Namespace,
                 finished: set[str] | None = None) -> str:
        """``name: 9 runs = 3 variants x 3 seeds (quick profile's seeds 0,1,2), 2 at once; 3
        already finished will be skipped``; ``finished``: run keys (None: not known)."""
        n, product = len(self.configs), self.variants * len(self.seeds)
        what = "config" if self.variants == 1 else "variant"
        text = (f"{name}: {_count(n, 'run')} = {_count(self.variants, what)} x "
                f"{_count(len(self.seeds), 'seed')} ({self.seed_source})")
        if n < product:
            text += f", less {product - n} that the overrides make identical"
        if not self.seeds_of_profile:  # else the seeds' source names the profile
            text += f"; {args.profile} profile"
        text += f", {args.jobs} at once" + (" as Ray trials" if args.executor == "ray" else "")
        if finished is None:
            return text + "; finished runs will be skipped"
        done = sum(run_key(c) in finished for c in self.configs)
        return text + (f"; {done} already finished will be skipped" if done else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_runs(name: str, grid: Grid, args: argparse.Namespace) -> Plan:
    """Every run's config and the counts; checked: keys, values, the model, and (unless a dry
    run) the corpus."""
    profile = PROFILES[args.profile]
    base = _base(name, args)
    user = [o for o in args.overrides if not o.startswith("seed=")]
    seed_items = [o.partition("=")[2] for o in args.overrides if o.startswith("seed=")]
    text = args.seeds or (seed_items[-1] if seed_items else "")
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()] if text else list(profile.seeds)
    except ValueError:
        raise ConfigError(f"seeds are comma-separated integers, got {text!r}") from None
    if not seeds:
        raise ConfigError(f"no seeds in {text!r}")
    listed = ",".join(map(str, seeds))
    source = (f"--seeds {listed}" if args.seeds else f"seed={listed}" if seed_items else
              f"{profile.name} profile's {'seed' if len(seeds) == 1 else 'seeds'} {listed}")
    deltas = grid(args.profile)
    set_by_grid = {d.partition("=")[0] for delta in deltas for d in delta}
    for item in user:
        if item.partition("=")[0].strip() in set_by_grid:
            print(f"note: {item} replaces a key the ablation sets in its grid", file=sys.stderr)
    configs = expand(base, deltas, seeds, user)
    for cfg in configs:
        try:
            model_config(cfg)  # consistency checked before any work starts
        except ValueError as err:  # a model size the autoencoder refuses
            raise ConfigError(str(err)) from None
    if not args.dry_run:  # after the keys and values: those errors come first
        for c in {(c.data.root, c.eval.cross_root, c.data.cache_dir): c
                  for c in configs}.values():
            check_run_corpora(c)
        for c in {(c.data.root, c.data.words): c for c in configs}.values():
            check_selection(Path(c.data.root), c.data.words)
        try:
            check_checkpoints(configs)
        except CheckpointError as err:
            raise ConfigError(str(err)) from None
        for c in {repr((c.model, c.features, c.optim.batch_size, c.device, c.vq, c.vae, c.fsq)):
                  c for c in configs}.values():
            check_fits(c)  # refuses a model or batch this machine cannot hold
    return Plan(configs, len(deltas), seeds, source, not (args.seeds or seed_items))


def build_configs(name: str, grid: Grid, args: argparse.Namespace) -> list[RunConfig]:
    """The configs of :func:`plan_runs`."""
    return plan_runs(name, grid, args).configs


def ablation_main(name: str, doc: str | None, grid: Grid,
                  argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Parse, build every config, say what will run, run the sweep, print the summary; the
    exit status (2: a config error or an unreachable store or cluster, before any run)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(parser(name, doc, prog), argv)
    finished: set[str] | None = None
    try:
        plan = plan_runs(name, grid, args)
        t = plan.configs[0].tracking
        finished = finished_keys(t.uri, t.runs_dir, [run_key(c) for c in plan.configs])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TrackingUnavailableError as err:
        if not args.dry_run:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"note: {err}", file=sys.stderr)
    print(plan.describe(name, args, finished))
    for cfg in plan.configs:
        skip = "  (finished: skipped)" if finished and run_key(cfg) in finished else ""
        print(f"  {run_name(cfg):<36} {run_key(cfg)}{skip}")
    if args.dry_run:
        try:
            check_corpus(corpus_root(plan.configs[0], ()), Path(plan.configs[0].data.cache_dir))
        except ConfigError as err:
            print(f"note: {err}", file=sys.stderr)
        return 0
    try:
        summary = run_sweep(plan.configs, args.executor, args.jobs, args.ray_address,
                            progress=True)
    except (TrackingUnavailableError, ClusterUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.report())
    return exit_status(summary)
