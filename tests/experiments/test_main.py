"""python -m experiments: every ablation planned as its script plans it, each distinct run trained
once in one pool, shared runs tagged with every ablation that has them, then the codecs."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from experiments.__main__ import main, without_ablations
from lab.tracking import default_uri
from tests.experiments.test_ablations import args, speech  # noqa: F401 (a fixture)


def test_plan_dedups_shared_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--profile", "quick", "--dry-run", "--data", "a", "eval.cross_root=b"])
    assert code == 0
    out = capsys.readouterr().out
    for line in ("real_vs_complex: 9 runs (0 shared", "vae_vs_vqvae: 12 runs (3 shared",
                 "codebook_size: 9 runs (3 shared", "cross_corpus: 6 runs (3 shared",
                 "experiments: 27 distinct runs of 4 ablations, 1 at once"):
        assert line in out
    assert main(["--profile", "quick", "--dry-run", "--data", "a"]) == 0
    captured = capsys.readouterr()
    assert "cross_corpus left out" in captured.err and "of 3 ablations" in captured.out


def test_reference_profile_plans_the_three_questions_with_rvq(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--profile", "reference", "--dry-run", "--data", "a", "eval.cross_root=b"]) == 0
    out = capsys.readouterr().out
    assert "experiments: 27 distinct runs of 3 ablations" in out and "cross_corpus" not in out
    assert "complex-rvq2x16-s0" in out  # residual VQ at 8 bits, as K = 256
    from lab.config import RunConfig, apply_overrides
    from lab.profiles import PROFILES

    config = apply_overrides(RunConfig(), list(PROFILES["reference"].overrides))
    assert (config.optim.schedule, config.optim.patience, config.optim.lr_cuts) == (
        "plateau", 3, 3)


def test_errors_before_any_work(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert main(["--profile", "smoke", "--ablations", "nope", "--runs-dir", str(runs)]) == 2
    assert "unknown ablations ['nope']" in capsys.readouterr().err
    assert main(["--profile", "smoke", "--ablations", "cross_corpus", "--data", "a"]) == 2
    assert "needs two corpora" in capsys.readouterr().err
    assert main(["--profile", "smoke", "--runs-dir", str(runs), "optim.lrr=1"]) == 2
    assert "unknown config key 'optim.lrr'" in capsys.readouterr().err
    assert not runs.exists()
    assert without_ablations(["--ablations", "x", "--jobs", "2", "--ablations=y"]) == [
        "--jobs", "2"]


@pytest.mark.slow
def test_one_pool_trains_each_run_once_and_tags_every_ablation(
        speech: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    runs = tmp_path / "runs"
    argv = args(speech, runs, "--jobs", "2", "--ablations", "real_vs_complex,codebook_size")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "codebook_size: 6 runs (2 shared" in out and "8 distinct runs" in out
    client = MlflowClient(default_uri(runs))
    experiments = {e.name: e.experiment_id for e in client.search_experiments()}
    trained = client.search_runs([experiments["real_vs_complex"], experiments["codebook_size"]])
    keys = [r.data.tags["run_key"] for r in trained]
    assert len(keys) == len(set(keys)) == 8 and all(r.info.status == "FINISHED" for r in trained)
    shared = [r for r in trained if "ablation.codebook_size" in r.data.tags
              and r.info.experiment_id == experiments["real_vs_complex"]]
    assert len(shared) == 2  # runs of both ablations: trained once, in the first
    codecs = client.search_runs([experiments["codec_baselines"]])
    assert len(codecs) == 2 and all(r.info.status == "FINISHED" for r in codecs)
    assert main(argv) == 0  # a rerun: everything skipped
    assert "8 skipped" in capsys.readouterr().out
