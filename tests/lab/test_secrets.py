"""No secret reaches what a run leaves behind: a run mirrored to W&B (offline) with an API key
in its environment, then every byte under its runs folder (MLflow's sqlite store, artifacts,
checkpoints, W&B's offline run files and logs) searched for the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.test_quiet import assert_quiet, command

KEY = "dummysecret" + "0123456789abcdef" * 2  # 43 characters, like a W&B key; never real


@pytest.mark.slow
@pytest.mark.usefixtures("wandb_offline")
def test_an_api_key_reaches_no_param_tag_log_or_spool_file(
        corpus: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_API_KEY", KEY)
    runs = tmp_path / "runs"
    assert_quiet(command(corpus, cache_dir, runs, "--wandb", "offline"))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".wandb" for p in files)  # W&B really wrote its offline run
    assert (runs / "mlflow.db").is_file()
    leaked = [p for p in files if KEY.encode() in p.read_bytes()]
    assert leaked == []
