"""data_scripts.make_corpus on a user's folders spoken by espeak-ng: a flat folder of mixed rates,
formats and bad files, and a LibriSpeech-layout folder; both corpora then train."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from data_scripts import make_corpus
from data_scripts.manifest import read_manifest
from data_scripts.segment import PEAK_DBFS
from data_scripts.splits import UNSEEN
from tests.data_scripts.speech import BAD_FILES, flat_folder, librispeech_folder

ROOT = Path(__file__).resolve().parents[2]


def build(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = make_corpus.main([*argv, "--quiet", "--jobs", "1"])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    base = tmp_path_factory.mktemp("flat")
    src = flat_folder(base / "src")
    code, text, err = build([str(src), "--out", str(base / "corpus"), "--licence",
                             "CC0 (test voices)", "--language", "alice=en-GB,bob=en,carol=en-US"])
    assert code == 0, err
    return src, base / "corpus", text


@pytest.fixture(scope="module")
def libri(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("libri")
    src = librispeech_folder(base / "LibriSpeech" / "dev-clean", speakers=12)
    code, text, err = build([str(src), "--out", str(base / "corpus")])
    assert code == 0, err
    return base / "corpus", text


@pytest.mark.faults
def test_every_bad_file_is_counted_and_named(flat: tuple[Path, Path, str]) -> None:
    _, out, text = flat
    report = json.loads((out / make_corpus.REPORT_NAME).read_text())
    for path, reason in BAD_FILES.items():
        assert f"{reason}: {path} (" in text
        assert [e["path"] for e in report["bad_file_paths"][reason]] == [path]
    assert report["bad_files"]["unreadable"] == 1 and report["other_files"] == 1
    assert "layout: flat" in text
    # the random bytes behind a valid header decode to noise: every clip of it dropped
    assert report["dropped_clips"]["noise"] == 2
    assert not any(r.source_file == "carol/static.wav" for r in read_manifest(out))
    # the copy of bob/take3.wav adds nothing
    assert report["dropped_clips"]["duplicate"] >= 1
    assert not any(r.source_file == "bob/take3_copy.wav" for r in read_manifest(out))


def test_clips_are_mono_16k_normalized_with_provenance(flat: tuple[Path, Path, str]) -> None:
    src, out, _ = flat
    rows = read_manifest(out)
    used = {r.source_file for r in rows}
    assert used == {f"{v}/take{i}.{f}" for v, i, f in [
        ("alice", 0, "wav"), ("alice", 1, "flac"), ("alice", 2, "ogg"), ("bob", 3, "wav"),
        ("bob", 4, "flac"), ("bob", 5, "mp3"), ("carol", 6, "wav"), ("carol", 7, "ogg")]}
    for r in rows:
        info = sf.info(out / r.path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.frames == r.num_frames and 8000 <= r.num_frames <= 16000
        audio, _ = sf.read(out / r.path)
        assert np.max(np.abs(audio)) <= 10 ** (PEAK_DBFS / 20) + 1e-4
        assert r.licence == "CC0 (test voices)" and r.source == "recorded"
        assert r.language == {"alice": "en-GB", "bob": "en", "carol": "en-US"}[r.speaker]
        assert (src / r.source_file).is_file() and r.offset >= 0
    # consecutive clips of a recording start one clip apart
    by_file = defaultdict(list)
    for r in rows:
        by_file[r.source_file].append(r.offset)
    for offsets in by_file.values():
        assert np.allclose(np.diff(sorted(offsets)), 1.0, atol=1e-3)
    assert not list(out.parent.glob(".corpus.partial-*"))


def _splits_of(rows: list) -> dict[str, set[str]]:  # type: ignore[type-arg]
    out: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        out[r.source_file].add(r.split)
    return out


def test_few_voices_split_by_recording_with_an_unseen_voice(flat: tuple[Path, Path, str]
                                                            ) -> None:
    _, out, text = flat
    rows = read_manifest(out)
    assert all(len(s) == 1 for s in _splits_of(rows).values())  # a recording: one split
    unseen = {r.speaker for r in rows if r.split == UNSEEN}
    assert len(unseen) == 1 and "recording-disjoint" in text
    seen = [r for r in rows if r.split != UNSEEN]
    assert not unseen & {r.speaker for r in seen}  # the unseen voice is nowhere else
    assert {r.split for r in seen} == {"training", "validation", "testing"}


def test_many_voices_split_by_speaker(libri: tuple[Path, str]) -> None:
    out, text = libri
    rows = read_manifest(out)
    assert "layout: librispeech (24 of 24 recordings match" in text
    voices: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        voices[r.split].add(r.speaker)
    splits = ["training", "validation", "testing", UNSEEN]
    assert all(voices[s] for s in splits)
    for i, a in enumerate(splits):  # speaker-disjoint, the unseen voice included
        for b in splits[i + 1:]:
            assert not voices[a] & voices[b], (a, b)
    assert "speaker-disjoint (hash rule on 11 voices)" in text
    assert all(len(s) == 1 for s in _splits_of(rows).values())


@pytest.mark.parametrize("which", ["flat", "libri"])
def test_the_corpora_train(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from lab.config import RunConfig, apply_overrides
    from lab.train import run

    corpus = request.getfixturevalue(which)[-2 if which == "flat" else 0]
    config = apply_overrides(RunConfig(), [
        f"data.root={corpus}", f"data.cache_dir={tmp_path / 'cache'}",
        f"tracking.runs_dir={tmp_path / 'runs'}", "model.width=2", "model.latent_dim=2",
        "vq.codebook_size=8", "model.stages=1", "optim.steps=4", "eval.val_every=2",
        "eval.log_every=1", "eval.examples=1", "optim.batch_size=4", "device=cpu"])
    result = run(config, progress=False)
    assert result.status == "FINISHED", result.reason
    assert result.metrics["data/synthetic_fraction"] == 0.0
    assert np.isfinite(result.metrics["test/si_sdr"])


def test_command_errors_are_one_line_and_create_nothing(tmp_path: Path,
                                                        flat: tuple[Path, Path, str]) -> None:
    src, corpus, _ = flat
    cases = [([str(tmp_path / "nope"), "--out", str(tmp_path / "a")], "no such folder"),
             ([str(tmp_path), "--out", str(tmp_path / "b")], "no recordings"),
             ([str(src), "--out", str(corpus)], "exists and is not empty"),
             ([str(src), "--out", str(src / "notes.txt" / "c")], "cannot write"),
             ([str(src), "--out", str(tmp_path / "d"), "--unseen", "zed"], "zed")]
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv, message in cases:
        code, out, err = build(argv)
        assert code == 2 and out == "" and message in err
        assert err.count("\n") == 1 and err.startswith("error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (corpus / "manifest.csv").is_file()  # the existing corpus is untouched


def test_a_missing_decoder_is_counted_with_the_fix(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   flat: tuple[Path, Path, str]) -> None:
    """A libsndfile without MP3 (before 1.1): the MP3 file is named and the fix is printed."""
    src, _, _ = flat
    formats = {k: v for k, v in sf.available_formats().items() if k != "MP3"}
    monkeypatch.setattr(sf, "available_formats", lambda: formats)
    code, text, _ = build([str(src), "--out", str(tmp_path / "c")])
    assert code == 0
    assert "no_decoder: bob/take5.mp3 (libsndfile" in text
    assert "to read them: pip install 'soundfile>=0.12.1'" in text


@pytest.mark.faults
def test_a_killed_build_leaves_no_corpus_and_the_next_build_cleans_up(
        tmp_path: Path, flat: tuple[Path, Path, str]) -> None:
    src, _, _ = flat
    out = tmp_path / "corpus"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "data_scripts.make_corpus", str(src),
                             "--out", str(out), "--jobs", "1", "--quiet"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".corpus.partial-*/*/*.wav")):  # clips are being written
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    code, _, err = build([str(src), "--out", str(out)])
    assert code == 0, err
    assert (out / "manifest.csv").is_file() and not list(tmp_path.glob(".corpus.partial-*"))
