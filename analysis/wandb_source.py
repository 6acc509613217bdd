"""Runs from Weights & Biases as :class:`analysis.runs.Runs`: offline run folders, or the cloud.

``load_wandb_offline(paths)`` reads run folders written by ``wandb`` (``offline-run-*``, and
``run-*`` folders of online runs, which keep the same ``.wandb`` log): each path is a run folder
or a folder searched recursively for them (``runs/``, ``runs/wandb``). ``wandb.Api`` cannot
read offline runs, so each log is printed with ``python -m wandb leet inspect --json FILE`` (one
JSON record a line: ``run``, ``config``, ``history``, ``summary``, ``exit``, ...; docs/analysis.md)
and folded into one row:

* ``run_id``: the W&B run id; ``experiment``: the project; ``run_name``: the display name (the
  id when there is none); ``source``: ``wandb``.
* ``status``: the ``exit`` record's code, 0 ``FINISHED``, else ``FAILED``; no ``exit`` record
  (still running, or killed) ``RUNNING``. ``start_time``: the run record's; ``end_time``: the
  latest timestamp in the log (``NaT`` while ``RUNNING``).
* ``params.<name>``: the config, nested dicts flattened with dots and ``{"value": v}`` entries
  unwrapped, each value written as MLflow writes a param (``str``) and cast back by
  :func:`analysis.runs.cast_param`, so a run mirrored by :mod:`lab.tracking` has the params of
  its MLflow twin. ``run_key``: the config's ``run_key`` (else the run id).
* ``ablations``: :func:`analysis.runs.ablations_of` of the W&B tags named ``ablation.<name>`` and
  the config's ``ablation`` / ``ablation.<name>`` entries; :mod:`lab.tracking` sends neither but
  names the project after the ablation, so a mirrored run gets its MLflow twin's ``(experiment,)``.
* ``profile``: the config's ``tracking.profile`` (what :mod:`lab` logs); ``git_commit``: the
  commit W&B recorded; ``artifact_uri``: the run folder's ``files/``; ``failure_reason``: the
  exit code of a failed run.
* ``metrics.<name>``: each key's value at its last step, replaced by the summary's value where
  the summary has one; keys starting with ``_`` (W&B's own) and non-numeric values (text,
  media, booleans) are left out. ``history``: every logged point of the keys in ``history_keys``
  (``None``: all keys).

A run resumed in offline mode writes a second folder with the same id: the folders of one id are
merged in start order (later values win; the first start time, the last exit). A folder holding
no record at all (its process was killed before W&B wrote anything) is ignored when another
folder has its run. A folder that cannot be read raises :class:`ValueError` naming it, unless
``skip_bad=True``, which logs a warning and leaves it out.

``load_wandb_api("entity/project")`` reads runs from the W&B cloud (needs ``WANDB_API_KEY``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.mlflow_source import DEFAULT_HISTORY
from analysis.runs import Runs, ablations_of, run_row, timestamp
from lab.tracking import TrackingUnavailableError

log = logging.getLogger(__name__)

API_STATUS = {"finished": "FINISHED", "failed": "FAILED", "crashed": "FAILED",
              "killed": "KILLED", "preempted": "KILLED", "running": "RUNNING",
              "pending": "RUNNING", "preempting": "RUNNING"}


# -- values ----------------------------------------------------------------------------------------
def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A config or summary by dotted key: nested dicts flattened, ``{"value": v}`` (and
    ``{"value": v, "desc": d}``) entries unwrapped, W&B's own ``_wandb`` entry left out.

    >>> flatten({"a": {"value": 1}, "model": {"width": 4, "kind": {"value": "vq"}}, "_wandb": {}})
    {'a': 1, 'model.width': 4, 'model.kind': 'vq'}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if not prefix and key == "_wandb":
            continue
        if isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}:
            value = value["value"]
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def number(value: Any) -> float | None:
    """A logged value as a float; None for what is not a number (W&B writes non-finite floats
    as the strings ``NaN``, ``Infinity``, ``-Infinity``; booleans are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    return None


def param_text(value: Any) -> Any:
    """A config value as MLflow stores a param (its ``str``), for :func:`run_row` to cast."""
    return value if isinstance(value, str) else str(value)


def seconds(value: Any) -> float | None:
    """Epoch seconds of a W&B time: a number of seconds or an ISO 8601 string."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value:
        try:
            stamp = pd.Timestamp(value)
        except ValueError:
            return None
        if pd.isna(stamp):
            return None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        return float(stamp.timestamp())
    return None


def utc(secs: float | None) -> pd.Timestamp:
    return timestamp(None if secs is None else round(secs * 1000))


def make_row(*, run_id: str, experiment: str, name: str, status: str, start: float | None,
             end: float | None, config: Mapping[str, Any], tags: Sequence[str],
             metrics: Mapping[str, float], git_commit: str = "", artifact_uri: str = "",
             failure_reason: str = "") -> dict[str, Any]:
    """One row of :attr:`Runs.runs` from what both W&B sources know (``config`` flattened)."""
    marks = {t: "true" for t in tags if t.startswith("ablation.")}
    marks.update({k: str(v) for k, v in config.items()
                  if k == "ablation" or k.startswith("ablation.")})
    run_key = config.get("run_key")
    profile = config.get("tracking.profile")
    meta = {"run_id": run_id, "source": "wandb", "experiment": experiment,
            "run_name": name or run_id, "status": status, "start_time": utc(start),
            "end_time": utc(end), "run_key": str(run_key) if run_key not in (None, "") else None,
            "ablations": ablations_of(marks, experiment), "artifact_uri": artifact_uri,
            "git_commit": git_commit, "git_dirty": "", "command": "",
            "profile": "" if profile is None else str(profile), "failure_reason": failure_reason}
    return run_row(meta, {k: param_text(v) for k, v in config.items()}, metrics)


# -- offline logs ----------------------------------------------------------------------------------
def is_run_dir(folder: Path) -> bool:
    """An ``offline-run-*`` folder, or any folder that holds a ``.wandb`` log."""
    return folder.name.startswith("offline-run-") or any(folder.glob("*.wandb"))


def run_dirs(path: Path | str) -> list[Path]:
    """``path`` when it is a run folder, else every run folder under it (symlinks such as
    ``latest-run`` are not followed); a path that holds none is an error."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"no such W&B folder: {root}")
    if is_run_dir(root):
        return [root]
    found: list[Path] = []
    for folder, subdirs, _ in os.walk(root):
        here = Path(folder)
        keep = []
        for name in sorted(subdirs):
            sub = here / name
            if sub.is_symlink():
                continue
            if name.startswith("offline-run-") or (name.startswith("run-") and is_run_dir(sub)):
                found.append(sub)
            else:
                keep.append(name)
        subdirs[:] = keep
    if not found:
        raise FileNotFoundError(f"no W&B runs (offline-run-* or run-* folders with a .wandb "
                                f"file) under {root}")
    return found


@dataclass
class Log:
    """What one ``.wandb`` file holds, folded record by record."""

    folder: Path
    file: Path
    run: dict[str, Any] = field(default_factory=dict)  # the last run record
    config: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    last: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (step, value)
    history: dict[tuple[str, int], float] = field(default_factory=dict)
    exit_code: int | None = None
    start: float | None = None
    latest: float | None = None  # the latest time seen in any record
    runtime: float | None = None  # the exit record's

    @property
    def file_id(self) -> str:
        """The run id in the file name (``run-<id>.wandb``): known even when it is empty."""
        return self.file.stem.removeprefix("run-")

    @property
    def run_id(self) -> str:
        return str(self.run.get("run_id") or self.file_id)

    def seen(self, when: float | None) -> None:
        if when is not None and (self.latest is None or when > self.latest):
            self.latest = when

    def add(self, rec: Mapping[str, Any], history_keys: Collection[str] | None) -> None:
        kind = rec.get("type")
        body = rec.get(kind) if isinstance(kind, str) else None
        if not isinstance(body, dict):
            return
        if kind == "run":
            self.run = body
            self.config.update(flatten(body.get("config", {}).get("update", {})))
            self.tags = [str(t) for t in body.get("tags", [])]
            if self.start is None:
                self.start = seconds(body.get("start_time"))
        elif kind == "config":
            self.config.update(flatten(body.get("update", {})))
            for item in body.get("remove", []):
                self.config.pop(_item_key(item), None)
        elif kind == "summary":
            update = body.get("update", {})
            self.seen(seconds(update.get("_timestamp")))
            self.summary.update(flatten(update))
            for item in body.get("remove", []):
                self.summary.pop(_item_key(item), None)
        elif kind == "history":
            item = body.get("item", {})
            step = int(body.get("step", {}).get("num", item.get("_step", 0)))
            self.seen(seconds(item.get("_timestamp")))
            for key, value in flatten(item).items():
                v = number(value)
                if key.startswith("_") or v is None:
                    continue
                if key not in self.last or step >= self.last[key][0]:
                    self.last[key] = (step, v)
                if history_keys is None or key in history_keys:
                    self.history[(key, step)] = v
        elif kind == "stats":
            self.seen(seconds(body.get("timestamp")))
        elif kind == "exit":
            self.exit_code = int(body.get("exit_code", 0))
            self.runtime = number(body.get("runtime", 0))


def _item_key(item: Any) -> str:
    """The dotted key of a ``remove`` entry (``{"key": k}`` or ``{"nested_key": [...]}``)."""
    if isinstance(item, dict):
        if "nested_key" in item:
            return ".".join(str(k) for k in item["nested_key"])
        return str(item.get("key", ""))
    return str(item)


def read_log(folder: Path, history_keys: Collection[str] | None) -> list[Log]:
    """Every ``.wandb`` file of a run folder, folded; :class:`ValueError` naming the folder
    when one cannot be read (``wandb leet`` fails or reports corrupt data, or bad JSON)."""
    files = sorted(folder.glob("*.wandb"))
    if not files:
        raise ValueError(f"the W&B run folder {folder} holds no .wandb file")
    logs = []
    for file in files:
        got = Log(folder, file)
        cmd = [sys.executable, "-m", "wandb", "leet", "inspect", "--json", str(file)]
        with tempfile.TemporaryFile("w+") as err, subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=err, text=True) as proc:
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    if line.strip():
                        got.add(json.loads(line), history_keys)
            except (ValueError, TypeError, AttributeError) as e:  # JSONDecodeError is one
                proc.kill()
                raise ValueError(f"cannot read the W&B run folder {folder}: unexpected output "
                                 f"of `wandb leet inspect` ({type(e).__name__}: {e})") from None
            rc = proc.wait()
            err.seek(0)
            message = " ".join(err.read().split())
        if rc != 0:
            raise ValueError(f"cannot read the W&B run folder {folder}: `wandb leet inspect` "
                             f"exited with {rc}: {message[-500:] or '(no message)'}")
        if "corrupt" in message:
            raise ValueError(f"the W&B run folder {folder} is corrupt: {message[-500:]}")
        logs.append(got)
    return logs


def _fold(logs: Sequence[Log]) -> tuple[dict[str, Any], list[tuple[str, str, int, float]]]:
    """One row and its history from the logs of one run id, in start order."""
    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    tags: list[str] = []
    last: dict[str, tuple[int, float]] = {}
    points: dict[tuple[str, int], float] = {}
    for part in logs:
        config.update(part.config)
        summary.update(part.summary)
        tags += [t for t in part.tags if t not in tags]
        for key, (step, value) in part.last.items():
            if key not in last or step >= last[key][0]:
                last[key] = (step, value)
        points.update(part.history)
    end = logs[-1]
    run_id = end.run_id
    metrics = {k: v for k, (_, v) in last.items()}
    for key, value in summary.items():
        v = number(value)
        if not key.startswith("_") and v is not None:
            metrics[key] = v
    starts = [p.start for p in logs if p.start is not None]
    status, end_time, reason = "RUNNING", None, ""
    if end.exit_code is not None:
        status = "FINISHED" if end.exit_code == 0 else "FAILED"
        reason = "" if end.exit_code == 0 else f"W&B exit code {end.exit_code}"
        times = [p.latest for p in logs if p.latest is not None]
        if end.start is not None and end.runtime:
            times.append(end.start + end.runtime)
        end_time = max(times, default=None)
    run = next((p.run for p in reversed(logs) if p.run.get("project")), end.run)
    name = next((str(p.run["display_name"]) for p in reversed(logs)
                 if p.run.get("display_name")), run_id)
    git = run.get("git", {})
    row = make_row(run_id=run_id, experiment=str(run.get("project", "")), name=name,
                   status=status, start=min(starts, default=None), end=end_time, config=config,
                   tags=tags, metrics=metrics,
                   git_commit=str(git.get("commit", "")) if isinstance(git, dict) else "",
                   artifact_uri=(end.folder / "files").resolve().as_uri(),
                   failure_reason=reason)
    history = [(run_id, k, s, v) for (k, s), v in sorted(points.items())]
    return row, history


def load_wandb_offline(paths: Sequence[Path | str] | Path | str,
                       history_keys: Sequence[str] | None = DEFAULT_HISTORY, *,
                       skip_bad: bool = False, workers: int | None = None) -> Runs:
    """Every W&B run in the run folders ``paths`` (or under them); see the module docstring.
    ``history_keys=None`` keeps the history of every key; ``workers`` ``wandb leet`` processes
    run at once (default: up to 4, one per CPU)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    folders = list(dict.fromkeys(d.resolve() for p in paths for d in run_dirs(p)))
    keys = None if history_keys is None else frozenset(history_keys)

    def read(folder: Path) -> list[Log] | ValueError:
        try:
            return read_log(folder, keys)
        except ValueError as err:
            return err

    jobs = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(read, folders))
    logs: list[Log] = []
    for folder, got in zip(folders, results, strict=True):
        if isinstance(got, ValueError):
            if not skip_bad:
                raise ValueError(f"{got}; pass skip_bad=True to leave it out") from None
            log.warning("skipping the W&B run folder %s: %s", folder, got)
            continue
        logs += got
    by_id: dict[str, list[Log]] = {}
    for part in logs:
        if part.run:
            by_id.setdefault(part.run_id, []).append(part)
    for part in logs:
        if part.run:
            continue
        if part.file_id in by_id:  # killed before W&B wrote a record; resumed in another folder
            log.info("ignoring %s: no records; its run is read from another folder", part.folder)
            continue
        problem = (f"the W&B run folder {part.folder} holds no run record ({part.file.name} is "
                   f"empty: its process was killed before W&B wrote it, or it is corrupt)")
        if not skip_bad:
            raise ValueError(f"{problem}; pass skip_bad=True to leave it out")
        log.warning("skipping %s", problem)
    rows: list[dict[str, Any]] = []
    history: list[tuple[str, str, int, float]] = []
    for parts in by_id.values():
        parts.sort(key=lambda p: (p.start if p.start is not None else math.inf, p.folder.name))
        row, points = _fold(parts)
        rows.append(row)
        history += points
    return Runs.build(rows, history)


# -- the W&B cloud ---------------------------------------------------------------------------------
def load_wandb_api(path: str, history_keys: Sequence[str] | None = DEFAULT_HISTORY) -> Runs:
    """Every run of the W&B project ``path`` (``entity/project``) through ``wandb.Api``,
    mapped as :func:`load_wandb_offline` maps offline runs (state ``finished`` ``FINISHED``;
    ``failed``/``crashed`` ``FAILED``; ``killed``/``preempted`` ``KILLED``; else ``RUNNING``;
    metrics from the summary; histories from ``scan_history``, one key at a time).

    Untested: it needs a W&B account and the network, which the test machines do not have."""
    if not os.environ.get("WANDB_API_KEY"):
        raise TrackingUnavailableError(
            "reading runs from the W&B cloud needs WANDB_API_KEY in the environment; for runs "
            "logged with --wandb offline use load_wandb_offline(['runs/wandb'])")
    if path.count("/") != 1 or not all(path.split("/")):
        raise ValueError(f"expected a W&B project path 'entity/project', got {path!r}")
    import wandb

    rows: list[dict[str, Any]] = []
    history: list[tuple[str, str, int, float]] = []
    for run in wandb.Api().runs(path):
        config = flatten(dict(run.config))
        metrics = {k: v for k, v in ((k, number(v)) for k, v in
                                     flatten(dict(run.summary_metrics)).items())
                   if v is not None and not k.startswith("_")}
        state = str(run.state).lower()
        status = API_STATUS.get(state, "RUNNING")
        start = seconds(getattr(run, "created_at", None))
        end = None if status == "RUNNING" else seconds(getattr(run, "heartbeat_at", None))
        rows.append(make_row(run_id=str(run.id), experiment=str(run.project),
                             name=str(run.name or run.id), status=status, start=start, end=end,
                             config=config, tags=[str(t) for t in run.tags or []],
                             metrics=metrics, artifact_uri=str(run.url),
                             failure_reason=f"W&B state {state}" if status == "FAILED" else ""))
        keys = metrics if history_keys is None else [k for k in history_keys if k in metrics]
        for key in keys:
            for point in run.scan_history(keys=[key]):
                value = number(point.get(key))
                if value is not None:
                    history.append((str(run.id), key, int(point.get("_step", 0)), value))
    return Runs.build(rows, history)
