"""The synthetic corpus command, run for real with every installed engine on a small corpus."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from data_scripts import make_commands
from data_scripts.engines import ENGINES
from data_scripts.manifest import read_manifest
from data_scripts.splits import which_set

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--words", "yes,left,stop", "--speakers", "6", "--repetitions", "2", "--seed", "7",
        "--quiet"]


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "commands"
    assert make_commands.main(["--out", str(out), "--jobs", "2", *ARGS]) == 0
    return out


def test_layout_and_audio_format(corpus: Path) -> None:
    rows = read_manifest(corpus)
    assert len(rows) == 3 * 6 * 2
    assert {r.word for r in rows} == {"yes", "left", "stop"}
    for r in rows:
        assert r.path == f"{r.word}/{r.speaker}_nohash_{r.utterance}.wav"
        info = sf.info(corpus / r.path)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (
            16000, 1, 16000, "PCM_16")
        assert r.split == which_set(r.path)
    for color in ("white", "pink", "brown"):
        assert sf.info(corpus / "_background_noise_" / f"{color}_noise.wav").samplerate == 16000


def test_clips_hold_speech_at_the_stated_level(corpus: Path) -> None:
    for r in read_manifest(corpus)[:12]:
        x, _ = sf.read(corpus / r.path)
        peak_db = 20 * np.log10(np.max(np.abs(x)))
        assert -18.5 <= peak_db <= -0.5
        frames = x[: len(x) // 160 * 160].reshape(-1, 160)
        energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
        assert energy.max() - np.median(energy) > 10  # a word stands out of the noise floor


def test_lists_follow_the_rule_and_every_split_has_speakers(corpus: Path) -> None:
    rows = read_manifest(corpus)
    for split, name in (("validation", "validation_list.txt"), ("testing", "testing_list.txt")):
        listed = (corpus / name).read_text().split()
        assert listed == sorted(r.path for r in rows if r.split == split)
        assert all(which_set(p) == split for p in listed)
    speakers = Counter(which_set(r.speaker) for r in rows if r.utterance == 0 and r.word == "yes")
    assert set(speakers) == {"training", "validation", "testing"}


def test_speakers_json_and_engine_mix(corpus: Path) -> None:
    speakers = json.loads((corpus / "speakers.json").read_text())
    assert len(speakers) == 6 and len({s["id"] for s in speakers}) == 6
    assert {s["engine"] for s in speakers} <= set(ENGINES)
    assert len({s["engine"] for s in speakers}) >= 3
    by_id = {s["id"]: s["engine"] for s in speakers}
    assert all(by_id[r.speaker] == r.source for r in read_manifest(corpus))


def test_deterministic_whatever_the_jobs(corpus: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert make_commands.main(["--out", str(again), "--jobs", "1", *ARGS]) == 0
    assert _tree_digest(again) == _tree_digest(corpus)


def test_refuses_to_overwrite(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="exists"):
        make_commands.main(["--out", str(corpus), *ARGS])
    other = tmp_path / "not_a_corpus"
    other.mkdir()
    (other / "precious.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="refusing"):
        make_commands.main(["--out", str(other), "--force", *ARGS])
    assert (other / "precious.txt").exists()


def test_missing_engine_says_what_to_install(tmp_path: Path) -> None:
    """With espeak-ng off the PATH the command names the package; told to, it goes on."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("flite", "festival"):
        os.symlink(f"/usr/bin/{tool}", bin_dir / tool)
    env = {**os.environ, "PATH": str(bin_dir), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "data_scripts.make_commands", "--out", str(tmp_path / "c"),
           "--engines", "espeak-ng,flite", "--words", "go", "--speakers", "3",
           "--repetitions", "1", "--jobs", "1", "--quiet"]
    failed = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert "apt-get install espeak-ng" in failed.stderr
    assert not (tmp_path / "c").exists()
    ok = subprocess.run([*cmd, "--allow-missing-engines"], env=env, capture_output=True,
                        text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert {r.source for r in read_manifest(tmp_path / "c")} == {"flite"}


@pytest.mark.parametrize("bad", [["--speakers", "2"], ["--words", "yes,yes"],
                                 ["--words", "a/b"], ["--repetitions", "0"]])
def test_bad_arguments_are_rejected(bad: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        make_commands.main(["--out", str(tmp_path / "x"), *bad])
    assert stop.value.code == 2  # argparse's usage error
    assert not (tmp_path / "x").exists()


def test_unknown_engine_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert make_commands.main(["--out", str(tmp_path / "x"), "--engines", "sam"]) == 2
    assert "unknown engine" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
