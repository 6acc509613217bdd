"""The ablation scripts end to end on a real (synthesized) corpus: help, config errors, a smoke
sweep on the local executor and on a real local Ray cluster (same run keys), reruns that skip
finished runs, and a failing run isolated in a sweep."""

from __future__ import annotations

import importlib
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lab.config import apply_overrides, run_key
from lab.sweep import exit_status, expand, run_sweep
from lab.tracking import default_uri
from tests.lab.conftest import free_port

ABLATIONS = ("real_vs_complex", "vae_vs_vqvae", "codebook_size", "seed_reproduction")  # trained
CONTRACT = ("test/si_sdr", "test/snr", "test/pesq_wb", "test/stoi", "test/estoi", "test/lsd",
            "test/spectral_convergence", "test/mrstft", "test/mel_distance",
            "test/pesq_failures", "test/stoi_failures", "test/n_clips", "rate/nominal_bps",
            "rate/entropy_bps", "codebook/perplexity", "codebook/usage",
            "codebook/dead_fraction", "model/params", "model/flops_per_second",
            "train/loss", "val/loss")


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real synthesized corpus: 2 words x 8 speakers (espeak-ng and flite voices)."""
    out = tmp_path_factory.mktemp("speech") / "commands"
    subprocess.run([sys.executable, "-m", "data_scripts.make_commands", "--out", str(out),
                    "--words", "yes,no", "--speakers", "8", "--repetitions", "1",
                    "--engines", "espeak-ng,flite", "--quiet"], check=True)
    return out


def main_of(name: str) -> object:
    return importlib.import_module(f"experiments.{name}")


def args(speech: Path, runs: Path, *extra: str) -> list[str]:
    return ["--profile", "smoke", "--data", str(speech), "--runs-dir", str(runs),
            f"data.cache_dir={runs.parent / 'cache'}", *extra]


@pytest.mark.parametrize("name", ABLATIONS)
def test_help_and_dry_run(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mod = importlib.import_module(f"experiments.{name}")
    with pytest.raises(SystemExit) as exc:
        mod.ablation_main(name, mod.__doc__, mod.grid, ["--help"])  # type: ignore[attr-defined]
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--profile", "--executor", "--jobs", "--tracking-uri", "--wandb", "--seeds",
                   "--data", "key=value"):
        assert option in out
    code = mod.ablation_main(name, mod.__doc__, mod.grid,  # type: ignore[attr-defined]
                             ["--profile", "smoke", "--dry-run", "--seeds", "0,1"])
    assert code == 0
    listed = capsys.readouterr().out
    n_runs = len(mod.grid("smoke")) * 2  # type: ignore[attr-defined]
    assert f"{name}: {n_runs} runs" in listed


def test_config_errors_stop_before_any_work(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    from experiments import codebook_size as ab

    runs = tmp_path / "runs"
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--runs-dir", str(runs), "optim.lrr=1"]) == 2
    err = capsys.readouterr().err
    assert "unknown config key 'optim.lrr'" in err and "optim.lr" in err
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--runs-dir", str(runs),
                             "model.domain=quaternion"]) == 2
    assert "expected one of 'real', 'complex'" in capsys.readouterr().err
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--seeds", "a,b"]) == 2
    assert not runs.exists()  # nothing was started
    capsys.readouterr()
    # a seed= override chooses the seeds; another override wins over the grid, with a note
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--dry-run", "seed=3",
                             "vq.codebook_size=8"]) == 0
    out = capsys.readouterr()
    assert "complex-vq8-s3" in out.out and "4 runs" in out.out  # RVQ 2 x 8 is apart
    assert "replaces a key the ablation sets" in out.err


def test_unreachable_tracking_server_fails_before_training(capsys: pytest.CaptureFixture[str],
                                                           speech: Path, tmp_path: Path) -> None:
    import socket

    from experiments import codebook_size as ab

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            args(speech, tmp_path / "runs", "--tracking-uri",
                                 f"http://127.0.0.1:{port}"))
    assert code == 2
    assert "cannot reach the MLflow server" in capsys.readouterr().err
    assert not (tmp_path / "runs" / "checkpoints").exists()


def _finished(runs: Path, experiment: str) -> dict[str, dict[str, float]]:
    client = MlflowClient(default_uri(runs))
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    return {r.data.tags["run_key"]: r.data.metrics
            for r in client.search_runs([exp.experiment_id]) if r.info.status == "FINISHED"}


@pytest.mark.slow
def test_smoke_sweep_local_then_rerun_skips(speech: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from experiments import real_vs_complex as ab

    runs = tmp_path / "runs"
    assert ab.ablation_main("real_vs_complex", ab.__doc__, ab.grid, args(speech, runs)) == 0
    out = capsys.readouterr().out
    assert "4 runs: 4 finished, 0 skipped" in out
    finished = _finished(runs, "real_vs_complex")
    assert len(finished) == 4
    for metrics in finished.values():
        assert set(CONTRACT) <= set(metrics)
    logmag = [m for m in finished.values() if "oracle/si_sdr" in m]
    assert len(logmag) == 1  # the Griffin-Lim model carries its oracle-phase control
    client = MlflowClient(default_uri(runs))
    exp = client.get_experiment_by_name("real_vs_complex")
    assert exp is not None
    commands = {r.data.tags.get("command") for r in client.search_runs([exp.experiment_id])}
    assert commands == {shlex.join(["python", "-m", "experiments.real_vs_complex",
                                    *args(speech, runs)])}  # what the report shows
    assert ab.ablation_main("real_vs_complex", ab.__doc__, ab.grid, args(speech, runs)) == 0
    assert "4 runs: 0 finished, 4 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_ray_executor_uses_the_same_run_keys(speech: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from experiments import codebook_size as ab

    runs = tmp_path / "runs"
    code = ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            args(speech, runs, "--executor", "ray", "--jobs", "2"))
    assert code == 0
    assert "6 runs: 6 finished" in capsys.readouterr().out
    finished = _finished(runs, "codebook_size")
    assert len(finished) == 6  # K = 16, 64 and RVQ 2 x 8, complex and real
    # the local executor finds every run the Ray trials logged: same keys, nothing rerun
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid, args(speech, runs)) == 0
    assert "6 runs: 0 finished, 6 skipped" in capsys.readouterr().out
    # ablations share runs: real_vs_complex's complex arm and parameter twin are codebook_size's
    # K=16 runs
    from experiments import real_vs_complex

    assert real_vs_complex.ablation_main("real_vs_complex", real_vs_complex.__doc__,
                                         real_vs_complex.grid, args(speech, runs)) == 0
    assert "4 runs: 2 finished, 2 skipped" in capsys.readouterr().out
    client = MlflowClient(default_uri(runs))
    shared = [r for r in client.search_runs(
        [e.experiment_id for e in client.search_experiments()])
        if r.data.tags.get("ablation.real_vs_complex") and
        r.data.tags.get("ablation.codebook_size")]
    assert sorted(r.info.run_name for r in shared) == ["complex-vq16-s0", "real-params-vq16-s0"]


def test_codec_baselines_are_runs_with_the_contract_names(speech: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from experiments import codec_baselines

    runs = tmp_path / "runs"
    assert codec_baselines.main(args(speech, runs, "--jobs", "2")) == 0  # worker processes
    out = capsys.readouterr().out
    assert "2 runs: 2 finished" in out and "codec_baselines: 2 runs = the smoke profile" in out
    assert "2 at once" in out
    finished = _finished(runs, "codec_baselines")
    assert len(finished) == 2
    for metrics in finished.values():
        assert {"test/si_sdr", "test/pesq_wb", "test/n_clips", "rate/nominal_bps",
                "rate/measured_bps"} <= set(metrics)
        assert metrics["rate/measured_bps"] == pytest.approx(metrics["rate/nominal_bps"],
                                                             rel=0.1)
        assert metrics["data/test_clips"] == metrics["test/n_clips"]
        assert metrics["data/synthetic_fraction"] == 1.0  # espeak-ng and flite speech
    client = MlflowClient(default_uri(runs))
    exp = client.get_experiment_by_name("codec_baselines")
    assert exp is not None
    for r in client.search_runs([exp.experiment_id]):  # example audio, as trained runs log
        names = {a.path for a in client.list_artifacts(r.info.run_id, "examples")}
        assert {"examples/0_reference.wav", "examples/0_recon.wav"} <= names
    assert codec_baselines.main(args(speech, runs)) == 0
    assert "2 runs: 0 finished, 2 skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_a_failing_run_is_isolated_and_retried(speech: Path, tmp_path: Path) -> None:
    from lab.config import RunConfig
    from lab.profiles import PROFILES

    runs = tmp_path / "runs"
    base = apply_overrides(RunConfig(), [*PROFILES["smoke"].overrides, f"data.root={speech}",
                                         f"tracking.runs_dir={runs}",
                                         f"data.cache_dir={tmp_path / 'cache'}",
                                         "tracking.experiment=isolation"])
    # the second run asks for a word the corpus does not have: it fails when it loads its data
    configs = expand(base, [[], ["data.words=yes,maybe"]], [0])
    summary = run_sweep(configs, progress=False)
    by_status = {r.status: r for r in summary.results}
    assert set(by_status) == {"FINISHED", "FAILED"} and exit_status(summary) == 1
    assert "maybe" in by_status["FAILED"].reason
    assert "1 failed" in summary.report() and "maybe" in summary.report()
    again = run_sweep(configs, progress=False)  # only the failure is retried
    assert sorted(r.status for r in again.results) == ["FAILED", "SKIPPED"]
    assert {r.key for r in again.results if r.status == "SKIPPED"} == {run_key(configs[0])}



@pytest.fixture
def ray_head(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Ray cluster started with ``ray start --head`` (token authentication, loopback), as a
    user would start one to join; stopped with ``ray stop`` afterwards."""
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
    ray_cli = str(Path(sys.executable).parent / "ray")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths
    port = free_port()
    subprocess.run([ray_cli, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                    "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
                    f"--temp-dir={temp}"], check=True, capture_output=True, timeout=180)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=180)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_ray_executor_joins_an_existing_cluster(speech: Path, tmp_path: Path, ray_head: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """As a user runs it: a new process joins the cluster (Ray reads its authentication mode
    once per process, so this cannot share the test process with the local-cluster tests)."""
    from experiments import codebook_size as ab

    runs = tmp_path / "runs"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.codebook_size",
         *args(speech, runs, "--executor", "ray", "--ray-address", ray_head)],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "6 runs: 6 finished" in proc.stdout
    assert f"Connecting to existing Ray cluster at address: 127.0.0.1:{ray_head.split(':')[1]}" \
        in proc.stderr or "Connected to Ray cluster" in proc.stderr
    assert len(_finished(runs, "codebook_size")) == 6  # K = 16, 64 and RVQ 2 x 8, complex and real
    # the same run keys as the local executor's: nothing is rerun
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid, args(speech, runs)) == 0
    assert "6 runs: 0 finished, 6 skipped" in capsys.readouterr().out


def test_ray_address_that_does_not_answer(speech: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from experiments import codebook_size as ab

    address = f"127.0.0.1:{free_port()}"
    code = ab.ablation_main("codebook_size", ab.__doc__, ab.grid,
                            args(speech, tmp_path / "runs", "--executor", "ray",
                                 "--ray-address", address))
    assert code == 2
    err = capsys.readouterr().err
    assert f"no Ray cluster answers at {address}" in err and "ray start --head" in err
