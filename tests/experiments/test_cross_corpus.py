"""experiments.cross_corpus at the smoke profile: TTS speech and espeak-ng 'recordings' built by
make_corpus, each arm trained on one and scored on the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.generalization import generalization_table
from analysis.mlflow_source import load_mlflow
from analysis.select import resolve
from analysis.verdict import verdict
from data_scripts.make_corpus import Options, build
from experiments import cross_corpus
from lab.tracking import default_uri
from tests.data_scripts.speech import flat_folder
from tests.experiments.test_ablations import args, speech  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("recorded")
    build(flat_folder(base / "src"), base / "corpus", Options(jobs=1), quiet=True)
    return base / "corpus"


def test_corpora_are_read_from_the_command_line() -> None:
    a, b, rest = cross_corpus.corpora(["--data", "x", "--profile", "smoke",
                                       "eval.cross_root=y", "optim.lr=1"])
    assert (a, b, rest) == ("x", "y", ["--data", "x", "--profile", "smoke", "optim.lr=1"])
    grid = cross_corpus.grid_for("x", "y")("quick")
    assert [d[-2:] for d in grid] == [["data.root=x", "eval.cross_root=y"],
                                      ["data.root=y", "eval.cross_root=x"]]
    assert len(cross_corpus.grid_for("x", "y")("paper")) == 4  # + the real twin


def test_without_two_corpora_it_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert cross_corpus.main(["--profile", "smoke", "--data", "x"]) == 2
    assert "needs two corpora" in capsys.readouterr().err


@pytest.mark.slow
def test_each_arm_is_scored_on_the_other_corpus(speech: Path, recorded: Path,  # noqa: F811
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    argv = args(speech, runs, f"eval.cross_root={recorded}")
    assert cross_corpus.main(argv) == 0
    assert "2 runs: 2 finished" in capsys.readouterr().out
    res = resolve(load_mlflow(default_uri(runs)).runs, "cross_corpus")
    f = res.finished
    assert len(f) == 2
    by_root = {str(r["params.data.root"]): r for _, r in f.iterrows()}
    assert set(by_root) == {str(speech), str(recorded)}
    assert by_root[str(speech)]["params.eval.cross_root"] == str(recorded)
    assert by_root[str(recorded)]["params.eval.cross_root"] == str(speech)
    for r in by_root.values():
        assert r["metrics.cross/si_sdr"] == r["metrics.cross/si_sdr"]  # logged, not NaN
    # the recorded corpus has unseen voices; the TTS one splits by speaker and has none
    assert by_root[str(recorded)]["metrics.unseen/si_sdr"] == by_root[str(recorded)][
        "metrics.unseen/si_sdr"]
    assert verdict(res) is None  # test columns of different corpora: no comparison
    table = generalization_table(res)
    assert table is not None and len(table.rows) == 2
    assert {r.rpartition("(trained on ")[2] for r in table.rows} == {"commands)", "corpus)"}
