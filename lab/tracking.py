"""Tracking: MLflow always, Weights & Biases as an optional mirror (user guide: docs/tracking.md).

* **Store.** Embedded default: ``sqlite:///<absolute runs dir>/mlflow.db`` with artifacts under
  ``<runs dir>/artifacts/<experiment>``; or a server (``http://...``), checked by ``GET /health``
  before any work starts (:class:`TrackingUnavailableError` with what to do).
* **Batched.** Metrics are buffered and sent with ``MlflowClient.log_batch`` (at most 1000 per
  call) when :meth:`Tracker.flush` is called (the training loop flushes at each validation);
  one-by-one logging costs ~50x more.
* **Nothing lost.** A batch that cannot be sent stays buffered and is also appended to a spool file
  ``<runs dir>/spool/<run id>.jsonl``; the next flush resends it. If the server is still away when
  the run ends, :meth:`Tracker.finish` raises :class:`TrackingUnavailableError` naming the spool
  file and the command that replays it (``python -m lab.tracking replay FILE``).
* **Resumable history.** :meth:`Tracker.resume` reopens a run and :meth:`Tracker.log` drops
  metrics at steps the run already has (a run resumed from its last checkpoint recomputes the
  same values for the steps logged after that checkpoint), so histories have no duplicated and
  no missing steps.
* **W&B** (``off`` | ``offline`` | ``online``): the same names, values and steps, finished in
  ``finally`` by :meth:`Tracker.finish`. Online mode reads ``WANDB_API_KEY`` from the environment;
  no secret is ever logged (credentials in a tracking URI are redacted from params and tags).
* **Quiet.** MLflow's INFO messages (creating and updating a new store's tables, alembic's
  migration context) and its "View run ... at" lines after a run on a server are not for the
  user's log: importing this module sets ``MLFLOW_LOGGING_LEVEL=WARNING`` and
  ``MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true`` unless they are set already (worker
  processes inherit them), and :func:`quiet_mlflow` applies the level to MLflow's and alembic's
  loggers even when ``mlflow`` was imported first. Warnings and errors still show.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")  # we retry and spool ourselves
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
QUIET_ENV = {"MLFLOW_LOGGING_LEVEL": "WARNING",  # read by mlflow when it is imported
             "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}  # the "View run" lines
for _name, _value in QUIET_ENV.items():
    os.environ.setdefault(_name, _value)

BATCH = 1000
log = logging.getLogger(__name__)


class TrackingUnavailableError(RuntimeError):
    """The tracking store cannot be reached (before a run: nothing started; after: spooled)."""


class StoreNotWritableError(TrackingUnavailableError):
    """The runs dir or the embedded store cannot be written (a read-only mount, permissions):
    runs cannot be trained there, though the store can still be read."""


def check_writable(uri: str, runs_dir: str | Path) -> None:
    """:class:`StoreNotWritableError` unless a run can write its store, checkpoints and claims:
    a file can be created in the runs dir (or, when it does not exist yet, in the folder that
    would hold it; nothing is left behind) and an embedded store's file opens for writing."""
    runs = Path(runs_dir).resolve()
    folder = runs
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise StoreNotWritableError(
            f"cannot write to {folder} ({err.strerror}): the runs dir {runs} holds the store, "
            f"the checkpoints and the run claims; choose another with --runs-dir or make it "
            f"writable") from None
    uri = uri or default_uri(runs)
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///"))
        if db.is_file():
            try:
                open(db, "r+b").close()
            except OSError as err:
                raise StoreNotWritableError(
                    f"the tracking store {db} cannot be written ({err.strerror}): new runs "
                    f"need a writable store (reading it, for reports, reconstructions and "
                    f"skipping finished runs, still works); copy it somewhere writable and "
                    f"pass --runs-dir") from None


def quiet_mlflow() -> None:
    """Set the ``mlflow`` logger to ``MLFLOW_LOGGING_LEVEL`` (WARNING unless the user chose
    another) and alembic's to at least WARNING; call it after importing mlflow."""
    level = logging.getLevelName(os.environ.get("MLFLOW_LOGGING_LEVEL", "WARNING").upper())
    if not isinstance(level, int):  # an unknown name: MLflow's own default
        level = logging.WARNING
    logging.getLogger("mlflow").setLevel(level)
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    # the store's database errors reach the caller as exceptions, which lab reports in one
    # line; MLflow also logs each with its traceback (a full disk: 100 lines per write)
    logging.getLogger("mlflow.store.db.utils").setLevel(max(level, logging.CRITICAL))


def default_uri(runs_dir: str | Path) -> str:
    return f"sqlite:///{Path(runs_dir).resolve() / 'mlflow.db'}"


def redact(text: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://***@host``."""
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", text)


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """Raise :class:`TrackingUnavailableError` when an HTTP tracking server does not answer."""
    if not uri.startswith(("http://", "https://")):
        return
    import requests

    try:
        requests.get(uri.rstrip("/") + "/health", timeout=timeout).raise_for_status()
    except requests.RequestException as err:
        raise TrackingUnavailableError(
            f"cannot reach the MLflow server at {redact(uri)} ({type(err).__name__}); start it "
            f"(`mlflow server --host 127.0.0.1 --port PORT ...`) or leave out --tracking-uri to "
            f"use the embedded store under runs/") from None


@contextlib.contextmanager
def _store_lock(uri: str) -> Iterator[None]:
    """An exclusive lock beside an sqlite store (``<db>.lock``, ``flock``): MLflow creates and
    migrates a new store's tables on first use, and two processes doing it at once fail
    (``duplicate column name``). A no-op for servers."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    db = Path(uri.removeprefix("sqlite:///"))
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        f = open(db.with_name(db.name + ".lock"), "a")  # noqa: SIM115 (closed below)
    except OSError:
        if not db.is_file():
            raise
        yield  # a store on a read-only mount: read as it is (nothing can create or migrate it)
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def finished_keys(uri: str, runs_dir: str | Path, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that name a FINISHED run in the store (in any experiment), read only:
    an embedded store that does not exist yet holds none and is not created; a server that does
    not answer raises :class:`TrackingUnavailableError`."""
    uri = uri or default_uri(runs_dir)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return set()
    check_reachable(uri)
    from mlflow.tracking import MlflowClient

    quiet_mlflow()
    with _store_lock(uri):  # an older store's tables may be migrated on first use
        client = MlflowClient(tracking_uri=uri)
        experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return set()
    return {k for k in keys if client.search_runs(
        experiments, f"tags.run_key = '{k}' and attributes.status = 'FINISHED'", max_results=1)}


class Tracker:
    """One tracked run at a time in MLflow (+ W&B); see the module docstring."""

    def __init__(self, uri: str, runs_dir: str | Path, experiment: str, wandb: str = "off") -> None:
        from mlflow.tracking import MlflowClient

        quiet_mlflow()
        self.runs_dir = Path(runs_dir).resolve()
        self.uri = uri or default_uri(self.runs_dir)
        if self.uri.startswith("sqlite:"):
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        check_reachable(self.uri)
        self.experiment = experiment
        with _store_lock(self.uri):  # a new sqlite store's tables are created by the first use
            self.client = MlflowClient(tracking_uri=self.uri)
            self.experiment_id = self._experiment_id(experiment)
        self.wandb_mode = wandb
        self.run_id: str | None = None
        self._buffer: list[tuple[str, float, int, int]] = []
        self._last_step: dict[str, int] = {}
        self._wandb: Any = None
        self._wandb_step = -1

    def _experiment_id(self, name: str) -> str:
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        location = None
        if self.uri.startswith("sqlite:"):
            root = self.runs_dir / "artifacts"
            folder = (root / name).resolve()
            if folder == root.resolve() or not folder.is_relative_to(root.resolve()):
                raise ValueError(f"experiment name {name!r} would put its artifacts outside "
                                 f"{root}: use letters, digits, '.', '_', '+' and '-'")
            location = folder.as_uri()
        try:
            return str(self.client.create_experiment(name, artifact_location=location))
        except Exception:  # created meanwhile by another worker of the sweep
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                raise
            return str(exp.experiment_id)

    # -- finding runs --------------------------------------------------------------------------
    def find(self, run_key: str) -> tuple[str, str] | None:
        """``(run id, status)`` of the run with this key: a FINISHED one in any experiment of
        the store (ablations share runs), else the newest one in this experiment, else None."""
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        done = self.client.search_runs(
            experiments, f"tags.run_key = '{run_key}' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time ASC"], max_results=1)
        if done:
            return done[0].info.run_id, "FINISHED"
        runs = self.client.search_runs([self.experiment_id], f"tags.run_key = '{run_key}'",
                                       order_by=["attributes.start_time DESC"], max_results=1)
        if not runs:
            return None
        return runs[0].info.run_id, runs[0].info.status

    def finished(self, run_key: str) -> str | None:
        """The id of a FINISHED run with this key (in any experiment), now also tagged as part
        of this experiment's ablation (``ablation.<name>``); None when there is none."""
        found = self.find(run_key)
        if found is None or found[1] != "FINISHED":
            return None
        tag = f"ablation.{self.experiment}"
        if self.client.get_run(found[0]).data.tags.get(tag) != "true":
            try:
                self.client.set_tag(found[0], tag, "true")
            except Exception as err:  # a read-only store: the run is still found and skipped
                log.warning("could not tag run %s as part of %s: %s", found[0], self.experiment,
                            " ".join(str(err).split())[:200])
        return found[0]

    def run_tags(self, run_key: str, profile: str, git: dict[str, str],
                 command: str = "") -> dict[str, str]:
        """The tags of a new run: its key, its ablation (``ablation`` and ``ablation.<name>``),
        the profile, the git state and the command that launched it (when known)."""
        tags = {"run_key": run_key, "ablation": self.experiment,
                f"ablation.{self.experiment}": "true", "profile": profile, **git}
        if command:
            tags["command"] = command
        return tags

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, run_name: str, tags: dict[str, str], params: dict[str, Any]) -> str:
        from mlflow.entities import Param

        self._buffer, self._last_step = [], {}
        run = self.client.create_run(self.experiment_id, run_name=run_name,
                                     tags={k: redact(str(v)) for k, v in tags.items()})
        self.run_id = run.info.run_id
        items = [Param(k, redact(str(v))[:6000]) for k, v in sorted(params.items())]
        for i in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[i:i + 100])
        self._start_wandb(run_name, params, resume=False)
        return self.run_id

    def resume(self, run_id: str, run_name: str, params: dict[str, Any]) -> None:
        """Reopen ``run_id``; metrics at steps it already has (in the store, or in a spool file
        an earlier process left) are dropped from now on; the spooled ones are sent first."""
        self.run_id = run_id
        self._buffer, self._last_step = [], {}
        self.client.update_run(run_id, status="RUNNING")
        run = self.client.get_run(run_id)
        if "failure_reason" in run.data.tags:  # an earlier attempt's; this one may finish
            self.client.delete_tag(run_id, "failure_reason")
        for key in run.data.metrics:
            history = self.client.get_metric_history(run_id, key)
            self._last_step[key] = max((m.step for m in history), default=-1)
        if self.spool.exists():
            for line in self.spool.read_text().splitlines()[1:]:
                k, v, t, s = json.loads(line)
                if s > self._last_step.get(k, -1):
                    self._buffer.append((k, float(v), int(t), int(s)))
            for k, _, _, s in self._buffer:
                self._last_step[k] = max(s, self._last_step.get(k, -1))
        self._start_wandb(run_name, params, resume=True)
        if self._wandb is not None:  # an earlier process's W&B file may be empty (killed)
            stored = [(m.key, m.value, m.timestamp, m.step) for key in run.data.metrics
                      for m in self.client.get_metric_history(run_id, key)]
            self._mirror(stored)

    def _start_wandb(self, run_name: str, params: dict[str, Any], resume: bool) -> None:
        if self.wandb_mode == "off":
            return
        import wandb

        assert self.run_id is not None
        self._wandb = wandb.init(
            project=self.experiment, name=run_name, id=self.run_id,
            mode="offline" if self.wandb_mode == "offline" else "online",
            dir=str(self.runs_dir), config={k: redact(str(v)) for k, v in params.items()},
            resume="allow" if resume else None, reinit="finish_previous")

    # -- metrics -------------------------------------------------------------------------------
    def log(self, metrics: dict[str, float], step: int) -> None:
        """Buffer ``metrics`` at ``step`` (steps the run already has are skipped)."""
        now = int(time.time() * 1000)
        for key, value in metrics.items():
            if step <= self._last_step.get(key, -1):
                continue
            self._buffer.append((key, float(value), now, step))
            self._last_step[key] = step

    @property
    def spool(self) -> Path:
        return self.runs_dir / "spool" / f"{self.run_id}.jsonl"

    def flush(self) -> bool:
        """Send the buffer; True when everything is sent (else it stays buffered and spooled)."""
        if not self._buffer or self.run_id is None:
            return True
        from mlflow.entities import Metric

        pending = self._buffer
        try:
            for i in range(0, len(pending), BATCH):
                self.client.log_batch(self.run_id, metrics=[
                    Metric(k, v, t, s) for k, v, t, s in pending[i:i + BATCH]])
                sent = pending[i + BATCH:]
                self._mirror(pending[i:i + BATCH])
                self._buffer = sent
        except Exception as err:  # server away: keep everything, spool it to disk
            self._write_spool(f"{type(err).__name__}: {err}")
            return False
        if self.spooled_artifacts.exists():  # the file still names the run of those artifacts
            self._write_spool("artifacts not sent yet")
        elif self.spool.exists():
            self.spool.unlink()
        return True

    def _mirror(self, items: list[tuple[str, float, int, int]]) -> None:
        """Send to W&B; a failure of the optional mirror is reported, never fails the run."""
        if self._wandb is None:
            return
        by_step: dict[int, dict[str, float]] = {}
        for k, v, _, s in items:
            by_step.setdefault(s, {})[k] = v
        try:
            for s in sorted(by_step):
                if s >= self._wandb_step:  # W&B steps never go back
                    self._wandb.log(by_step[s], step=s)
                    self._wandb_step = s
        except Exception as err:
            log.warning("W&B mirror failed (%s); MLflow keeps every value", err)

    def _write_spool(self, reason: str, finish: dict[str, Any] | None = None) -> None:
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.spool.with_suffix(".tmp")
        head: dict[str, Any] = {"uri": redact(self.uri), "run_id": self.run_id,
                                "reason": redact(reason)}
        if finish is not None:
            head["finish"] = finish
        with tmp.open("w") as f:
            f.write(json.dumps(head) + "\n")
            for k, v, t, s in self._buffer:
                f.write(json.dumps([k, v, t, s]) + "\n")
        tmp.replace(self.spool)

    @property
    def spooled_artifacts(self) -> Path:
        """Where artifacts that could not be sent wait: ``<runs dir>/spool/<run id>/``."""
        return self.runs_dir / "spool" / str(self.run_id)

    def artifact(self, path: str | Path, subdir: str | None = None) -> None:
        """Send a file to the run's artifacts; if the store is away, keep a copy in
        :attr:`spooled_artifacts` (under ``subdir``), sent by :meth:`finish` or a replay."""
        assert self.run_id is not None
        try:
            self.client.log_artifact(self.run_id, str(path), subdir)
        except Exception as err:
            if not _unreachable(err):
                raise
            dest = self.spooled_artifacts / (subdir or "") / Path(path).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            self._write_spool(f"{type(err).__name__}: {err}")  # the spool file names the run

    def _send_spooled_artifacts(self) -> bool:
        """Send every spooled artifact (removing each once sent); True when none is left."""
        return _send_artifacts(self.client, str(self.run_id), self.spooled_artifacts)

    def set_tags(self, tags: dict[str, str]) -> None:
        assert self.run_id is not None
        for k, v in tags.items():
            self.client.set_tag(self.run_id, k, redact(str(v)))

    def finish(self, status: str, reason: str = "", retries: int = 3) -> None:
        """Flush (retrying), mark the run ``status`` (FINISHED | FAILED | KILLED), end W&B."""
        end = int(time.time() * 1000)
        try:
            sent = self._send_all()
            for attempt in range(retries):
                if sent:
                    break
                time.sleep(2.0 * (attempt + 1))
                sent = self._send_all()
            if sent and self.run_id is not None:
                try:
                    if reason:
                        self.client.set_tag(self.run_id, "failure_reason", reason[:5000])
                    self.client.set_terminated(self.run_id, status=status, end_time=end)
                except Exception as err:
                    if not _unreachable(err):
                        raise
                    sent = False
            if not sent:
                self._finish_later(status, reason, end)
                raise TrackingUnavailableError(
                    f"the tracking store {redact(self.uri)} went away; the run's "
                    f"{len(self._buffer)} unsent metric values, its unsent artifacts and its end "
                    f"({status}) are kept in {self.spool}; `python -m lab.tracking replay "
                    f"{self.spool}` sends them and ends the run when the store is back")
        finally:
            if self._wandb is not None:
                self._wandb.finish(exit_code=0 if status == "FINISHED" else 1)
                self._wandb = None


    def _send_all(self) -> bool:
        """Send the buffered metrics and the spooled artifacts; the spool file goes once both
        are sent."""
        if not (self.flush() and self._send_spooled_artifacts()):
            return False
        self.spool.unlink(missing_ok=True)
        return True

    def _finish_later(self, status: str, reason: str, end: int) -> None:
        """Record in the spool file how the run ended, for :func:`replay` to end it so."""
        self._write_spool("the store was away when the run ended",
                          {"status": status, "reason": reason[:5000], "end_time": end})


def _unreachable(err: BaseException) -> bool:
    """Whether ``err`` says the store could not be reached (rather than refused the call)."""
    from mlflow.exceptions import MlflowException

    if isinstance(err, OSError | ConnectionError | TimeoutError):
        return True
    text = f"{type(err).__name__} {err}"
    return isinstance(err, MlflowException) and any(
        s in text for s in ("Max retries", "Connection", "connection", "timed out", "503", "502"))


def _send_artifacts(client: Any, run_id: str, folder: Path) -> bool:
    """Upload every file under ``folder`` (its sub-folders as artifact paths), removing each
    once sent; True when nothing is left (the empty folders are removed)."""
    if not folder.is_dir():
        return True
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sub = path.parent.relative_to(folder).as_posix()
        try:
            client.log_artifact(run_id, str(path), None if sub == "." else sub)
        except Exception as err:
            if _unreachable(err):
                return False
            raise
        path.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    return True


def replay(spool: Path, uri: str | None = None) -> int:
    """Send a spool file's metrics and its run's spooled artifacts (``<spool dir>/<run id>/``)
    to the run (at ``uri``, default the one recorded), then end the run as it ended when the
    file says so (status, failure reason, end time); the number of metric values sent."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    quiet_mlflow()
    lines = spool.read_text().splitlines()
    head = json.loads(lines[0])
    client = MlflowClient(tracking_uri=uri or head["uri"])
    items = [json.loads(line) for line in lines[1:]]
    for i in range(0, len(items), BATCH):
        client.log_batch(head["run_id"], metrics=[Metric(k, v, t, s)
                                                  for k, v, t, s in items[i:i + BATCH]])
    if not _send_artifacts(client, head["run_id"], spool.with_suffix("")):
        raise TrackingUnavailableError(f"the tracking store went away again during the replay "
                                       f"of {spool}; run it again")
    end = head.get("finish")
    if end:
        if end.get("reason"):
            client.set_tag(head["run_id"], "failure_reason", end["reason"])
        client.set_terminated(head["run_id"], status=end["status"], end_time=end["end_time"])
    spool.unlink()
    return len(items)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Tracking utilities.")
    sub = ap.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("replay", help="send a spool file's metrics to the tracking store")
    rp.add_argument("spool", type=Path, help="runs/spool/<run id>.jsonl")
    rp.add_argument("--tracking-uri", default=None, help="default: the URI recorded in the file")
    args = ap.parse_args(argv)
    n = replay(args.spool, args.tracking_uri)
    print(f"replayed {n} metric values from {args.spool}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
