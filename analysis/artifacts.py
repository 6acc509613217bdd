"""A run's artifact files as local paths, wherever the store keeps them.

The embedded store keeps artifacts on disk (``artifact_uri`` is a path or ``file://`` URI); a
server's (``mlflow-artifacts:/...``, ``s3://...``) are downloaded once with
``mlflow.artifacts.download_artifacts`` into a cache folder. Runs read from W&B have no
artifacts here (lab mirrors metrics only): :meth:`Artifacts.path` returns ``None``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

log = logging.getLogger(__name__)


class Artifacts:
    def __init__(self, tracking_uri: str, cache: Path) -> None:
        self.tracking_uri = tracking_uri
        self.cache = cache

    def path(self, run: pd.Series, rel: str) -> Path | None:
        """The local file of artifact ``rel`` (e.g. ``examples/0_recon.wav``) of ``run``, or
        ``None`` when the run has no such artifact."""
        uri = str(run.get("artifact_uri") or "")
        if not uri or run.get("source") != "mlflow":
            return None
        if uri.startswith("file:") or uri.startswith("/"):
            local = Path(unquote(urlparse(uri).path) if uri.startswith("file:") else uri) / rel
            return local if local.exists() else None
        dst = self.cache / str(run["run_id"])
        target = dst / rel
        if target.exists():
            return target
        try:
            import mlflow.artifacts

            got = mlflow.artifacts.download_artifacts(run_id=str(run["run_id"]),
                                                      artifact_path=rel, dst_path=str(dst),
                                                      tracking_uri=self.tracking_uri)
        except Exception as err:
            log.info("no artifact %s for run %s: %s", rel, run["run_id"], err)
            return None
        return Path(got)
