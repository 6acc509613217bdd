"""The command line as a new user meets it: help text without reST or outside references,
``--list-keys``, the run-count line, and a missing corpus stopped before any run exists."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from lab import cli
from lab.config import RunConfig, leaves, run_key
from lab.keys import config_keys, field_comments, format_keys, spell
from lab.tracking import Tracker, default_uri

ROOT = Path(__file__).resolve().parents[2]
ABLATIONS = ("real_vs_complex", "vae_vs_vqvae", "codebook_size", "seed_reproduction")
MARKUP = ("``", ":mod:", ":func:", ":class:", ":data:", ":meth:", "DESIGN", "../shared")


def _help_of(main: Callable[[list[str]], object], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def _mains() -> dict[str, Callable[[list[str]], object]]:
    """Every command's ``main(argv)`` whose help a user reads."""
    out: dict[str, Callable[[list[str]], object]] = {}
    for name in ABLATIONS:
        mod = importlib.import_module(f"experiments.{name}")
        out[f"experiments.{name}"] = (lambda argv, m=mod, n=name:
                                      m.ablation_main(n, m.__doc__, m.grid, argv))
    for name in ("experiments.codec_baselines", "lab.run", "lab.reconstruct", "lab.tracking",
                 "analysis.report"):
        mod = importlib.import_module(name)
        out[name] = mod.main
    return out


@pytest.mark.parametrize("name", sorted(_mains()))
def test_help_has_no_markup_and_no_outside_references(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = _help_of(_mains()[name], capsys)
    assert "usage:" in text
    for bad in MARKUP:
        assert bad not in text, f"{name} --help shows {bad!r}"
    if name.startswith("experiments.") or name == "lab.run":
        assert "--list-keys" in text


def test_plain_strips_rest() -> None:
    doc = ("Use ``python -m lab.run`` with :mod:`lab.tracking`, :func:`~lab.config.run_key`,\n"
           ":class:`the tracker <lab.tracking.Tracker>` and **bold**; layout::\n\n  x\n")
    assert cli.plain(doc) == ("Use python -m lab.run with lab.tracking, run_key,\n"
                              "the tracker and bold; layout:\n\n  x\n")
    assert cli.plain(None) is None


# -- --list-keys -----------------------------------------------------------------------------------
def test_list_keys_prints_every_key_with_default_and_type(
        capsys: pytest.CaptureFixture[str]) -> None:
    from experiments import codec_baselines, real_vs_complex

    with pytest.raises(SystemExit) as exc:
        real_vs_complex.ablation_main("real_vs_complex", real_vs_complex.__doc__,
                                      real_vs_complex.grid, ["--list-keys", "model.width=3"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) == set(leaves(RunConfig()))
    for key in config_keys():
        assert f"{key.path} = {spell(key.default)}" in lines[key.path]
        assert f"[{key.type}]" in lines[key.path]
    assert "[one of 'real', 'complex']" in lines["model.domain"]
    assert "[int]" in lines["optim.steps"] and "quick 240" in lines["optim.steps"]  # a profile's
    assert "max global gradient norm" in lines["optim.grad_clip"]  # the field's comment
    with pytest.raises(SystemExit) as exc:  # the codec script shares the option
        codec_baselines.main(["--list-keys"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == format_keys()


def test_field_comments_are_the_fields_own() -> None:
    from lab.config import OptimConfig

    comments = field_comments(OptimConfig)
    assert comments["grad_clip"].startswith("max global gradient norm")
    assert "optimizer" not in comments  # a field without a comment has no meaning made up


# -- how many runs, and why ------------------------------------------------------------------------
def _dry(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from experiments import codebook_size as ab

    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid, ["--dry-run", *argv]) == 0
    return capsys.readouterr().out.splitlines()[0]


def test_run_count_says_variants_seeds_and_where_the_seeds_come_from(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = ["--runs-dir", str(tmp_path / "runs")]
    assert _dry(capsys, *runs) == ("codebook_size: 9 runs = 3 variants x 3 seeds (quick "
                                   "profile's seeds 0,1,2), 1 at once")
    assert _dry(capsys, *runs, "--profile", "smoke", "--seeds", "0,1", "--jobs", "2") == (
        "codebook_size: 12 runs = 6 variants x 2 seeds (--seeds 0,1); smoke profile, 2 at once")
    assert _dry(capsys, *runs, "--profile", "smoke", "seed=3", "--executor", "ray") == (
        "codebook_size: 6 runs = 6 variants x 1 seed (seed=3); smoke profile, 1 at once as "
        "Ray trials")
    line = _dry(capsys, *runs, "--profile", "smoke", "vq.codebook_size=8")
    assert line.startswith("codebook_size: 4 runs = 6 variants x 1 seed (smoke profile's seed "
                           "0), less 2 that the overrides make identical")
    assert not (tmp_path / "runs").exists()  # a dry run creates no store


def test_run_count_says_how_many_are_already_finished(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    from experiments import codebook_size as ab

    runs = tmp_path / "runs"
    argv = ["--profile", "smoke", "--runs-dir", str(runs)]
    args = cli.parse_args(cli.parser("codebook_size", ab.__doc__), [*argv, "--dry-run"])
    first = cli.plan_runs("codebook_size", ab.grid, args).configs[0]
    tracker = Tracker("", runs, "elsewhere")  # finished by another ablation: shared, skipped
    tracker.start("x", {"run_key": run_key(first)}, {})
    tracker.finish("FINISHED")
    assert ab.ablation_main("codebook_size", ab.__doc__, ab.grid, [*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("1 at once; 1 already finished will be skipped")
    assert out[1].endswith(f"{run_key(first)}  (finished: skipped)")
    assert not any("skipped" in line for line in out[2:])


# -- a missing corpus ------------------------------------------------------------------------------
def _runs_in(runs: Path) -> int:
    if not (runs / "mlflow.db").exists():
        return 0
    client = MlflowClient(default_uri(runs))
    return len(client.search_runs([e.experiment_id for e in client.search_experiments()]))


@pytest.mark.faults
def test_missing_corpus_is_one_message_exit_2_and_no_run(tmp_path: Path) -> None:
    """As a user runs it: a new process, a folder that does not exist."""
    runs, missing = tmp_path / "runs", tmp_path / "no-such-corpus"
    proc = subprocess.run(
        [sys.executable, "-m", "lab.run", "--profile", "smoke", "--data", str(missing),
         "--runs-dir", str(runs), f"data.cache_dir={tmp_path / 'cache'}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in proc.stderr + proc.stdout
    assert err[0].startswith(f"error: no corpus at {missing}") and "no such folder" in err[0]
    assert "make data" in err[0]
    assert f"data_scripts.make_corpus YOUR_FOLDER --out {missing}" in err[0]
    assert not runs.exists()  # no store, no checkpoint, no run


def test_folder_without_manifest_leaves_an_existing_store_untouched(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from experiments import real_vs_complex as ab

    runs, empty = tmp_path / "runs", tmp_path / "empty"
    empty.mkdir()
    Tracker("", runs, "real_vs_complex")  # a store that exists, with the ablation's experiment
    code = ab.ablation_main("real_vs_complex", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--data", str(empty), "--runs-dir", str(runs)])
    assert code == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1
    assert f"no corpus at {empty}" in out.err and "has no manifest.csv" in out.err
    assert _runs_in(runs) == 0 and not (runs / "checkpoints").exists()
    # a bad key is still reported first, with a suggestion
    assert ab.ablation_main("real_vs_complex", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--data", str(empty), "model.widht=3"]) == 2
    assert "did you mean model.width?" in capsys.readouterr().err
    # a dry run lists the runs and only notes the missing corpus
    assert ab.ablation_main("real_vs_complex", ab.__doc__, ab.grid,
                            ["--profile", "smoke", "--data", str(empty), "--dry-run",
                             "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr()
    assert "real_vs_complex: 4 runs" in out.out and out.err.startswith("note: no corpus at")


@pytest.mark.faults
@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", ""])
def test_a_name_that_would_leave_the_runs_dir_is_refused(
        name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Names become folders (artifacts/<experiment>, Ray's trial folder): one line, exit 2,
    nothing written anywhere."""
    from lab.run import main

    runs = tmp_path / "deep" / "runs"
    assert main(["--profile", "smoke", "--runs-dir", str(runs),
                 f"tracking.experiment={name}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tracking.experiment" in err[0] and "no '/'" in err[0]
    assert not any(tmp_path.iterdir())  # no runs dir, no store, no artifacts folder


def test_the_tracker_keeps_artifacts_inside_the_runs_dir(tmp_path: Path) -> None:
    from lab.tracking import Tracker

    with pytest.raises(ValueError, match="outside"):
        Tracker("", tmp_path / "runs", "../../escape")
    assert not (tmp_path / "escape").exists()
