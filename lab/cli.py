"""The command line every ablation script shares (``experiments/*.py``), and ``python -m lab.run``.

``python -m experiments.<ablation> [--profile smoke|quick|paper] [--data DIR] [--executor
local|ray] [--jobs N] [--ray-address ADDR] [--tracking-uri URI] [--wandb off|offline|online]
[--seeds 0,1] [--runs-dir DIR] [--dry-run] [key=value ...]``

The config of each run is: the base config, the profile's overrides, the options, the
ablation's delta and the seed, then the ``key=value`` overrides given here (they win; a note says
when one replaces a key the ablation sets). Seeds: ``--seeds``, else a ``seed=`` override, else
the profile's. Every config is built and checked (unknown keys, bad values, inconsistent
model/representation) before any run starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import sys
from collections.abc import Callable, Sequence

from lab.build import model_config
from lab.config import ConfigError, RunConfig, apply_overrides, run_key, run_name
from lab.profiles import PROFILES
from lab.sweep import ClusterUnavailableError, exit_status, expand, run_sweep
from lab.tracking import TrackingUnavailableError

Grid = Callable[[str], Sequence[Sequence[str]]]


def parser(name: str, doc: str | None, prog: str | None = None) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog or f"python -m experiments.{name}", description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("overrides", nargs="*", metavar="key=value",
                    help="config overrides by dotted path, e.g. optim.lr=1e-3 model.width=8")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="quick",
                    help="run sizes: smoke (CI), quick (2 CPU cores), paper (one GPU)")
    ap.add_argument("--data", default=None, help="corpus folder (data.root; default "
                    "data/commands, made by `python -m data_scripts.make_commands`)")
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


def base_config(name: str, args: argparse.Namespace) -> RunConfig:
    """The base config with the profile's overrides and the options' (not ``key=value``)."""
    options = {"data.root": args.data, "tracking.uri": args.tracking_uri,
               "tracking.wandb": args.wandb, "tracking.runs_dir": args.runs_dir}
    cli = [f"tracking.experiment={name}"] + [f"{k}={v}" for k, v in options.items() if v]
    config = apply_overrides(RunConfig(), [*PROFILES[args.profile].overrides, *cli])
    command = getattr(args, "command", "")
    return dataclasses.replace(config, tracking=dataclasses.replace(config.tracking,
                                                                    command=command))


def build_configs(name: str, grid: Grid, args: argparse.Namespace) -> list[RunConfig]:
    profile = PROFILES[args.profile]
    base = base_config(name, args)
    user = [o for o in args.overrides if not o.startswith("seed=")]
    seed_items = [o.partition("=")[2] for o in args.overrides if o.startswith("seed=")]
    text = args.seeds or (seed_items[-1] if seed_items else "")
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()] if text else list(profile.seeds)
    except ValueError:
        raise ConfigError(f"seeds are comma-separated integers, got {text!r}") from None
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
    return configs


def ablation_main(name: str, doc: str | None, grid: Grid,
                  argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """Parse, build every config, run the sweep, print the summary; the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(parser(name, doc, prog), argv)
    try:
        configs = build_configs(name, grid, args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{name}: {len(configs)} runs ({args.profile} profile, {args.executor} executor, "
          f"{args.jobs} at once)")
    for cfg in configs:
        print(f"  {run_name(cfg):<36} {run_key(cfg)}")
    if args.dry_run:
        return 0
    try:
        summary = run_sweep(configs, args.executor, args.jobs, args.ray_address,
                            progress=True)
    except (TrackingUnavailableError, ClusterUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.report())
    return exit_status(summary)
