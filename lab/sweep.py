"""Sweeps: the base config + a grid of deltas x seeds, run by a local or a Ray executor.

* Every run has its key (:func:`lab.config.run_key`); a run already FINISHED with that key in
  the tracking store is skipped, so ablations share runs and an interrupted sweep resumes where
  it stopped (a run with a checkpoint continues from it, :mod:`lab.train`).
* A run is trained by one process only (its claim, :mod:`lab.claim`): a run another process is
  training (a second sweep on the same store) is deferred to the end of the sweep and then
  waited for; it is skipped once its holder finished it, resumed if the holder died.
* A failed run does not stop the sweep. The sweep ends with a summary (finished, skipped, failed
  with reasons); :func:`exit_status` is non-zero if any failed; running it again retries only
  the failures (finished runs are skipped).
* Executors, with the same run keys:

  - ``local``: ``jobs=1`` runs in this process; ``jobs=N`` in N worker processes (spawned), each
    with ``torch.set_num_threads(cores // N)``;
  - ``ray``: Ray Tune over the grid, on a local Ray cluster started here (``ray.init``) or on an
    existing one (``address``, ``host:port`` of its GCS as ``ray start --head`` prints it; the
    repository is shipped as the job's working directory), each trial asking for
    ``cores // jobs`` CPUs. Paths are made absolute before dispatch (Tune changes a trial's
    working directory). Joining: an address that does not answer is reported at once
    (:class:`ClusterUnavailableError`), not after Ray's 30 s of retries; clusters started by
    ``ray start`` use token authentication (Ray >= 2.59), so when ``RAY_AUTH_MODE`` is unset and
    a token is at hand (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``)
    the driver joins in token mode.

  Before dispatch the driver creates the MLflow experiment and fills the feature cache once per
  distinct data and feature config, so workers never race to compute the same features.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from lab.config import RunConfig, apply_overrides, from_dict, run_key, run_name, to_dict
from lab.progress import progress as progress_bar
from lab.tracking import (
    QUIET_ENV,
    StoreNotWritableError,
    Tracker,
    check_writable,
    finished_keys,
)
from lab.train import ELSEWHERE, SPOOLED, RunResult

log = logging.getLogger(__name__)
# what a Ray job ships besides the code: never data, runs, environments or caches
SHIP_EXCLUDES = ("data/", "runs/", "reports/", ".venv/", ".git/", "build/", "dist/",
                 "*.egg-info/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/", "*.pt")


def repository() -> Path:
    """The checkout this ``lab`` runs from: what a Ray job ships as its working directory.

    ``lab`` is never installed (the wheel holds only ``cvnn``, ``vq`` and ``cvq_audio``), so its
    parent is the repository whatever else is installed; a copy of ``lab`` inside a
    site-packages directory (someone else's packaging) is refused rather than shipped.
    """
    root = Path(__file__).resolve().parent.parent
    if "site-packages" in root.parts or not (root / "pyproject.toml").is_file():
        raise RuntimeError(f"lab is not running from a checkout of the repository ({root}); "
                           f"the Ray executor ships the checkout, so run from a clone")
    return root


def ray_runtime_env(*, join: bool) -> dict[str, Any]:
    """The runtime environment of a Ray job: the checkout on every worker's import path.

    A cluster started here shares this machine's files, so the checkout goes on
    ``PYTHONPATH``; joining an existing cluster (``join``) ships it as ``working_dir``, less
    :data:`SHIP_EXCLUDES`. Either way the code comes from :func:`repository`, never from an
    installed copy.
    """
    env = {"RAY_CHDIR_TO_TRIAL_DIR": "0", **_quiet_env()}
    root = str(repository())
    if join:
        return {"working_dir": root, "env_vars": env, "excludes": list(SHIP_EXCLUDES)}
    return {"env_vars": {"PYTHONPATH": root, **env}}


@dataclass
class SweepSummary:
    results: list[RunResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def report(self) -> str:
        elsewhere = sum(r.status == "SKIPPED" and r.reason == ELSEWHERE for r in self.results)
        by = f"; {elsewhere} of them by another process meanwhile" if elsewhere else ""
        spooled = (f", {self.count(SPOOLED)} trained but not yet in the store (it was away "
                   f"at their end)") if self.count(SPOOLED) else ""
        lines = [f"sweep: {len(self.results)} runs: {self.count('FINISHED')} finished, "
                 f"{self.count('SKIPPED')} skipped (already finished{by}), "
                 f"{self.count('FAILED')} failed{spooled}"]
        lines += [f"  {r.status} {r.name} ({r.key}): {r.reason}" for r in self.results
                  if r.status in ("FAILED", SPOOLED)]
        return "\n".join(lines)


def exit_status(summary: SweepSummary) -> int:
    """1 when a run failed or is not in the store yet (spooled), else 0."""
    return 1 if summary.count("FAILED") or summary.count(SPOOLED) else 0


def expand(base: RunConfig, deltas: Sequence[Sequence[str]], seeds: Sequence[int],
           overrides: Sequence[str] = ()) -> list[RunConfig]:
    """One config per (delta, seed), in order, duplicates (same run key) removed:
    ``base`` + delta + seed + ``overrides`` (the user's, applied last: they win)."""
    out: dict[str, RunConfig] = {}
    for delta in deltas:
        for seed in seeds:
            cfg = apply_overrides(base, [*delta, f"seed={seed}", *overrides])
            out.setdefault(run_key(cfg), cfg)
    return list(out.values())


def absolute_paths(config: RunConfig) -> RunConfig:
    d, t = config.data, config.tracking
    return replace(config,
                   data=replace(d, root=str(Path(d.root).resolve()),
                                cache_dir=str(Path(d.cache_dir).resolve())),
                   tracking=replace(t, runs_dir=str(Path(t.runs_dir).resolve())))


def _threads(jobs: int) -> int:
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def _warm_cache(configs: Sequence[RunConfig]) -> None:
    from lab.data import cached_features
    from lab.features import FeatureTransform

    seen: set[str] = set()
    for cfg in configs:
        ident = repr((cfg.data, cfg.features))
        if ident not in seen:
            seen.add(ident)
            try:
                cached_features(cfg, FeatureTransform(cfg.features))
            except Exception as err:  # the run itself will fail and say why
                log.warning("could not prepare the data of %s: %s", run_name(cfg), err)


def _run_in_worker(config: dict[str, Any], threads: int, wait: bool = False) -> RunResult:
    """Run one config (as a dict) in this process with ``threads`` torch threads."""
    from lab.train import run

    torch.set_num_threads(threads)
    return run(from_dict(config), progress=False, wait=wait)


def run_sweep(configs: Sequence[RunConfig], executor: str = "local", jobs: int = 1,
              ray_address: str | None = None, progress: bool = True,
              on_result: Callable[[RunResult], None] | None = None) -> SweepSummary:
    """Run ``configs`` (see the module docstring); they must share the tracking store (each
    logs to its own ``tracking.experiment``: one sweep may hold several ablations' runs)."""
    configs = [absolute_paths(c) for c in configs]
    if len({(c.tracking.uri, c.tracking.runs_dir) for c in configs}) > 1:
        raise ValueError("a sweep logs to one tracking store")
    summary = SweepSummary()
    if not configs:
        return summary
    t0 = configs[0].tracking
    finished = finished_keys(t0.uri, t0.runs_dir, [run_key(c) for c in configs])
    try:
        check_writable(t0.uri, t0.runs_dir)
    except StoreNotWritableError:
        if any(run_key(c) not in finished for c in configs):
            raise  # runs to train: the CLIs say so in one line, exit 2, before anything starts
        log.warning("the store cannot be written; every run is finished: nothing to do")
        summary.results = [RunResult(run_key(c), run_name(c), "SKIPPED") for c in configs]
        return summary
    trackers: dict[str, Tracker] = {}  # by experiment: checks the store, creates the experiment
    todo: list[RunConfig] = []
    for cfg in configs:
        t = cfg.tracking
        if t.experiment not in trackers:
            trackers[t.experiment] = Tracker(t.uri, t.runs_dir, t.experiment, "off")
        # only the runs the read above found finished are looked up again (and tagged)
        finished_id = (trackers[t.experiment].finished(run_key(cfg))
                       if run_key(cfg) in finished else None)
        if finished_id is not None:
            summary.results.append(RunResult(run_key(cfg), run_name(cfg), "SKIPPED",
                                             run_id=finished_id))
        else:
            todo.append(cfg)
    if todo:
        _warm_cache(todo)

    by_key = {run_key(c): c for c in todo}
    busy: list[RunConfig] = []

    def done(result: RunResult) -> None:
        if result.status == "BUSY":  # claimed by another process: waited for at the end
            busy.append(by_key[result.key])
            log.warning("%s: %s; taking the next run, waiting for it at the end", result.name,
                        result.reason)
            return
        summary.results.append(result)
        if on_result is not None:
            on_result(result)

    def execute(configs: Sequence[RunConfig], wait: bool) -> None:
        if executor == "local":
            _run_local(configs, jobs, progress, done, wait)
        elif executor == "ray":
            _run_ray(configs, jobs, ray_address, done, wait)
        else:
            raise ValueError(f"executor must be 'local' or 'ray', got {executor!r}")

    execute(todo, wait=False)
    if busy:
        log.warning("%d runs are being trained by another process: waiting for them (a run "
                    "its holder leaves unfinished is resumed here)", len(busy))
        execute(list(busy), wait=True)
    return summary


def _run_local(todo: Sequence[RunConfig], jobs: int, progress: bool,
               done: Callable[[RunResult], None], wait: bool = False) -> None:
    if jobs <= 1:
        from lab.train import run

        for cfg in todo:
            done(run(cfg, progress=progress, wait=wait))
        return
    threads = _threads(jobs)
    ctx = mp.get_context("spawn")
    pending, attempts = list(todo), {run_key(c): 0 for c in todo}
    bar = progress_bar(total=len(todo), desc=f"{jobs} workers", unit="run",
                       disable=not progress)
    while pending:  # a worker that dies breaks its pool: the others' runs go to a fresh one
        retry: list[RunConfig] = []
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_run_in_worker, to_dict(cfg), threads, wait): cfg
                       for cfg in pending}
            for fut in cf.as_completed(futures):
                cfg = futures[fut]
                try:
                    result = fut.result()
                    done(result)
                    bar.set_postfix_str(f"{result.name}: {result.status}", refresh=False)
                    bar.update()
                except Exception as err:  # a worker died (e.g. out of memory)
                    attempts[run_key(cfg)] += 1
                    if attempts[run_key(cfg)] < 2:
                        retry.append(cfg)  # resumes from its checkpoint
                        continue
                    _mark_failed(cfg, f"worker died: {type(err).__name__}: {err}")
                    done(RunResult(run_key(cfg), run_name(cfg), "FAILED",
                                   reason=f"worker died twice: {type(err).__name__}: {err}"))
                    bar.update()
        pending = retry
    bar.close()


def _mark_failed(cfg: RunConfig, reason: str) -> None:
    """End the tracked run a dead worker left RUNNING."""
    t = cfg.tracking
    tracker = Tracker(t.uri, t.runs_dir, t.experiment, "off")
    found = tracker.find(run_key(cfg))
    if found is not None and found[1] == "RUNNING":
        tracker.client.set_tag(found[0], "failure_reason", reason)
        tracker.client.set_terminated(found[0], status="FAILED")


class ClusterUnavailableError(RuntimeError):
    """The Ray cluster named by ``--ray-address`` cannot be joined (nothing was run)."""


def _quiet_env() -> dict[str, str]:
    """MLflow's quiet settings (:data:`lab.tracking.QUIET_ENV`, as this process has them) for
    the trials: a joined cluster's workers do not inherit the driver's environment."""
    return {k: os.environ.get(k, v) for k, v in QUIET_ENV.items()}


def _token_at_hand() -> bool:
    env = os.environ
    return bool(env.get("RAY_AUTH_TOKEN") or env.get("RAY_AUTH_TOKEN_PATH")
                or (Path.home() / ".ray" / "auth_token").is_file())


def _join(address: str) -> None:
    """``ray.init(address=...)`` with the repository as the job's working directory."""
    import socket

    import ray

    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except (OSError, ValueError) as err:
        raise ClusterUnavailableError(
            f"no Ray cluster answers at {address} ({err}); start one with `ray start --head "
            f"--port PORT` and pass --ray-address HOST:PORT, or leave --ray-address out to "
            f"start a local cluster") from None
    if "RAY_AUTH_MODE" not in os.environ and _token_at_hand():
        os.environ["RAY_AUTH_MODE"] = "token"
    try:
        ray.init(address=address, runtime_env=ray_runtime_env(join=True))
    except ConnectionError as err:
        raise ClusterUnavailableError(
            f"cannot join the Ray cluster at {address}: {err}. If it uses token "
            f"authentication, set RAY_AUTH_MODE=token and its token (RAY_AUTH_TOKEN, or the "
            f"file ~/.ray/auth_token)") from None


def start_local_ray() -> None:
    """Start the local Ray cluster of a sweep (this machine's cores, no dashboard). Ray 2.60
    binds its servers to every interface whatever node address it is given; what keeps other
    machines out is token authentication, which Ray (>= 2.59) turns on for a new local cluster
    unless ``RAY_AUTH_MODE`` says otherwise (its token in ``~/.ray/auth_token``). The mode
    cannot be set here: Ray reads it when it is imported (docs/reliability.md)."""
    import ray

    ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False,
             runtime_env=ray_runtime_env(join=False), log_to_driver=False)


def _run_ray(todo: Sequence[RunConfig], jobs: int, address: str | None,
             done: Callable[[RunResult], None], wait: bool = False) -> None:
    import ray
    from ray import tune

    threads = _threads(jobs)
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            _join(address)
        else:
            start_local_ray()
    try:
        def trainable(spec: dict[str, Any]) -> dict[str, Any]:
            return dataclasses.asdict(_run_in_worker(spec["config"], threads, wait))

        storage = Path(todo[0].tracking.runs_dir) / "ray"
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": threads}),
            param_space={"config": tune.grid_search([to_dict(c) for c in todo])},
            tune_config=tune.TuneConfig(max_concurrent_trials=jobs),
            run_config=tune.RunConfig(name=todo[0].tracking.experiment,
                                      storage_path=str(storage), verbose=0))
        grid = tuner.fit()
        for i in range(len(grid)):
            res = grid[i]
            if res.error is not None or res.metrics is None or "status" not in res.metrics:
                cfg = from_dict(res.config["config"]) if res.config else todo[i]
                done(RunResult(run_key(cfg), run_name(cfg), "FAILED",
                               reason=f"ray trial error: {res.error}"))
                continue
            m = res.metrics
            done(RunResult(m["key"], m["name"], m["status"], dict(m["metrics"]), m["reason"],
                           m["run_id"]))
    finally:
        if started_here:
            ray.shutdown()
