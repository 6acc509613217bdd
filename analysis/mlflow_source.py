"""Runs from MLflow (the embedded sqlite store or a server) as :class:`analysis.runs.Runs`.

``load_mlflow(uri)`` reads every run of every experiment (or the named ones) with
``MlflowClient.search_runs`` (paged), casts params (MLflow returns strings), keeps each metric's
last value, and reads the histories of the metrics named in ``history_keys`` (or of all metrics)
with ``get_metric_history``. An ``http(s)://`` URI is checked first: an unreachable server gives
a :class:`lab.tracking.TrackingUnavailableError` saying what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.runs import Runs, ablations_of, run_row, timestamp
from lab.tracking import check_reachable, default_uri

DEFAULT_HISTORY = ("train/loss", "val/loss", "train/recon", "val/recon",
                   "train/codebook/perplexity", "train/codebook/dead_fraction", "train/vae/kl_bits",
                   "val/recon/si_sdr", "time/train_seconds")  # quality against wall-clock


def store_uri(uri: str | None, runs_dir: str | Path = "runs") -> str:
    """``uri``, or the embedded store of ``runs_dir`` (which must exist: reading never creates
    an empty store by mistake)."""
    if uri:
        return uri
    db = Path(runs_dir).resolve() / "mlflow.db"
    if not db.is_file():
        raise FileNotFoundError(f"no tracking store at {db}; run an ablation first (`make "
                                f"experiments`) or pass --tracking-uri / --runs-dir")
    return default_uri(runs_dir)


def load_mlflow(uri: str, experiments: Sequence[str] | None = None,
                history_keys: Sequence[str] | None = DEFAULT_HISTORY) -> Runs:
    """Every run of ``experiments`` (default: all) in the store at ``uri``; see the module
    docstring. ``history_keys=None`` reads the history of every metric."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    check_reachable(uri)
    client = MlflowClient(tracking_uri=uri)
    found = client.search_experiments(view_type=ViewType.ACTIVE_ONLY)
    names = {e.experiment_id: e.name for e in found
             if experiments is None or e.name in experiments}
    rows: list[dict[str, Any]] = []
    history: list[tuple[str, str, int, float]] = []
    if not names:
        return Runs.build(rows, history)
    token: str | None = None
    while True:
        page = client.search_runs(list(names), max_results=1000, page_token=token,
                                  run_view_type=ViewType.ACTIVE_ONLY)
        for run in page:
            info, data = run.info, run.data
            tags = dict(data.tags)
            experiment = names[info.experiment_id]
            meta = {"run_id": info.run_id, "source": "mlflow", "experiment": experiment,
                    "run_name": info.run_name or tags.get("mlflow.runName", info.run_id),
                    "status": info.status, "start_time": timestamp(info.start_time),
                    "end_time": timestamp(info.end_time), "run_key": tags.get("run_key"),
                    "ablations": ablations_of(tags, experiment),
                    "artifact_uri": info.artifact_uri, "git_commit": tags.get("git_commit"),
                    "git_dirty": tags.get("git_dirty"), "command": tags.get("command"),
                    "profile": tags.get("profile"),
                    "failure_reason": tags.get("failure_reason")}
            rows.append(run_row(meta, data.params, data.metrics))
            keys = data.metrics if history_keys is None else \
                [k for k in history_keys if k in data.metrics]
            for key in keys:
                history += [(info.run_id, key, int(m.step), float(m.value))
                            for m in client.get_metric_history(info.run_id, key)]
        token = page.token
        if not token:
            break
    return Runs.build(rows, history)
