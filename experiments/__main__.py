"""Every ablation of a profile, then the codec baselines, in one sweep: ``python -m experiments``.

``python -m experiments [--profile P] [--jobs N] [--data A] [eval.cross_root=B] [--ablations
a,b,...] [the options and key=value overrides of every ablation]``: what ``make experiments``
runs. Each ablation's runs are planned exactly as its own script plans them (the same grid,
configs, run keys and MLflow experiment), then all of them go through one pool of ``--jobs``
workers (or one Ray job): a run shared by several ablations (the complex VQ-256 is in three)
runs once, under the first, and is then tagged as part of the others; no pool is started per
ablation and no worker idles at an ablation's end while the other finishes its last run. The
codec baselines follow (``experiments.codec_baselines``, the same options). The ablations of
``--profile quick``: real_vs_complex, vae_vs_vqvae, codebook_size and cross_corpus (which needs
``eval.cross_root``: left out without it); ``--profile reference`` the first three; the other
profiles add seed_reproduction. Exit
status: 2 for a config error before any run, 1 if a run failed, else 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from experiments import (
    codebook_size,
    codec_baselines,
    cross_corpus,
    real_vs_complex,
    seed_reproduction,
    vae_vs_vqvae,
)
from lab.cli import Grid, parse_args, parser, plan_runs
from lab.config import ConfigError, RunConfig, run_key, run_name
from lab.sweep import ClusterUnavailableError, exit_status, run_sweep
from lab.tracking import Tracker, TrackingUnavailableError, finished_keys

GRIDS: dict[str, Grid] = {"real_vs_complex": real_vs_complex.grid,
                          "vae_vs_vqvae": vae_vs_vqvae.grid,
                          "codebook_size": codebook_size.grid,
                          "seed_reproduction": seed_reproduction.grid}
QUICK = ("real_vs_complex", "vae_vs_vqvae", "codebook_size", "cross_corpus")
ALL = (*QUICK, "seed_reproduction")


REFERENCE = QUICK[:3]  # the three questions: the reference profile's hour holds no more


def default_ablations(profile: str) -> tuple[str, ...]:
    return {"quick": QUICK, "reference": REFERENCE}.get(profile, ALL)


def _plan(name: str, args: argparse.Namespace) -> list[RunConfig]:
    """The configs ``python -m experiments.<name>`` would run with these options."""
    if name != "cross_corpus":
        return plan_runs(name, GRIDS[name], args).configs
    a, b, _ = cross_corpus.corpora(["--data", args.data or "", *args.overrides])
    own = argparse.Namespace(**{**vars(args), "overrides": [
        o for o in args.overrides if not o.startswith(cross_corpus.CROSS)]})
    return plan_runs(name, cross_corpus.grid_for(a, b), own).configs


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    ap = parser("experiments", __doc__, prog="python -m experiments")
    ap.add_argument("--ablations", default=None,
                    help=f"comma-separated, in order (default: the profile's; known: "
                         f"{', '.join(ALL)})")
    given = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(ap, given)
    names = args.ablations.split(",") if args.ablations else list(default_ablations(args.profile))
    crossing = any(o.startswith(cross_corpus.CROSS) for o in args.overrides)
    if not args.ablations and not crossing and "cross_corpus" in names:
        names.remove("cross_corpus")
        print("note: cross_corpus left out: it needs a second corpus (eval.cross_root=DIR)",
              file=sys.stderr)
    unknown = [n for n in names if n not in ALL] or ([] if names else ["(none)"])
    plans: dict[str, list[RunConfig]] = {}
    try:
        if unknown:
            raise ConfigError(f"unknown ablations {unknown}; known: {', '.join(ALL)}")
        if "cross_corpus" in names and not (args.data and crossing):
            raise ConfigError("cross_corpus needs two corpora: --data A eval.cross_root=B")
        for name in names:
            plans[name] = _plan(name, args)
        first = next(iter(plans.values()))[0].tracking
        finished = finished_keys(first.uri, first.runs_dir,
                                 [run_key(c) for cs in plans.values() for c in cs])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except TrackingUnavailableError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    owner: dict[str, RunConfig] = {}  # run key -> the config of the first ablation that has it
    for name, configs in plans.items():
        fresh = [c for c in configs if run_key(c) not in owner]
        owner.update({run_key(c): c for c in fresh})
        done = sum(run_key(c) in finished for c in configs)
        print(f"{name}: {len(configs)} runs ({len(configs) - len(fresh)} shared with an "
              f"ablation before it, {done} already finished)")
        for c in configs:
            print(f"  {run_name(c):<36} {run_key(c)}")
    todo = list(owner.values())
    print(f"experiments: {len(todo)} distinct runs of {len(plans)} ablations, {args.jobs} at "
          f"once" + (" as Ray trials" if args.executor == "ray" else ""))
    if args.dry_run:
        return 0
    try:
        summary = run_sweep(todo, args.executor, args.jobs, args.ray_address, progress=True)
        t = todo[0].tracking
        for name, configs in plans.items():  # shared runs join every ablation that has them
            tracker = Tracker(t.uri, t.runs_dir, name, "off")
            for c in configs:
                tracker.finished(run_key(c))
    except (TrackingUnavailableError, ClusterUnavailableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.report())
    return max(exit_status(summary), codec_baselines.main(without_ablations(given)))


def without_ablations(argv: Sequence[str]) -> list[str]:
    """``argv`` less ``--ablations X`` / ``--ablations=X`` (the codec baselines' options)."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
        elif a == "--ablations":
            skip = True
        elif not a.startswith("--ablations="):
            out.append(a)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
