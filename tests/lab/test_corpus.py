"""A run checks its corpus before it creates anything: every broken clip of the issue's list is
found and named, in one line with exit status 2 from the command, and a changed clip is read
again by the feature cache."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from data_scripts.manifest import read_manifest
from lab import corpus as lc
from lab.cache import FeatureCache
from lab.config import ConfigError
from lab.dataset import ManifestDataset
from lab.features import FeatureConfig, FeatureTransform
from tests.lab.conftest import tiny_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def copy(corpus: Path, tmp_path: Path) -> Path:
    """A copy of the tiny corpus to break."""
    return Path(shutil.copytree(corpus, tmp_path / "corpus"))


def random_bytes_behind_a_header(path: Path, frames: int) -> None:
    sf.write(path, np.zeros(frames), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[44:] = np.random.default_rng(0).integers(0, 256, len(data) - 44, np.uint8).tobytes()
    path.write_bytes(bytes(data))


def break_clips(root: Path) -> dict[str, str]:
    """One clip per defect of the issue; returns path -> the reason the check must give."""
    rows = read_manifest(root)
    paths = [r.path for r in rows]
    random_bytes_behind_a_header(root / paths[0], rows[0].num_frames)
    sf.write(root / paths[1], np.zeros(16000), 16000, subtype="PCM_16")
    (root / paths[1]).write_bytes((root / paths[1]).read_bytes()[:8192])
    audio, _ = sf.read(root / paths[2])
    sf.write(root / paths[2], audio[::2], 8000, subtype="FLOAT")  # 8 kHz listed as 16 kHz
    (root / paths[3]).unlink()
    (root / paths[4]).write_bytes(b"")
    return {paths[0]: "noise", paths[1]: "truncated", paths[2]: "wrong_rate",
            paths[3]: "missing", paths[4]: "empty"}


@pytest.mark.faults
def test_each_defect_is_found_and_named(copy: Path) -> None:
    expected = break_clips(copy)
    found = lc.corpus_problems(copy, read_manifest(copy))
    assert {p: reason for reason, items in found.items() for p, _ in items} == expected
    with pytest.raises(ConfigError) as err:
        lc.check_corpus(copy)
    message = str(err.value)
    assert "\n" not in message and f"has 5 unusable clips of {len(read_manifest(copy))}" in message
    for path, reason in expected.items():
        assert reason in message and path in message


@pytest.mark.faults
def test_a_run_with_a_broken_corpus_creates_nothing(copy: Path, tmp_path: Path) -> None:
    """As a user runs it, and as a sweep worker calls it: one line, exit 2, no store."""
    break_clips(copy)
    runs = tmp_path / "runs"
    proc = subprocess.run(
        [sys.executable, "-m", "lab.run", "--profile", "smoke", "--data", str(copy),
         "--runs-dir", str(runs), f"data.cache_dir={tmp_path / 'cache'}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "unusable clips" in proc.stderr
    assert not runs.exists()
    from lab.train import run

    with pytest.raises(ConfigError, match="unusable clips"):
        run(tiny_config(copy, tmp_path / "cache", runs), progress=False)
    assert not runs.exists()


def test_a_pass_is_remembered_until_a_clip_changes(copy: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    lc.check_corpus(copy, cache)
    calls: list[int] = []
    real = lc.corpus_problems
    monkeypatch.setattr(lc, "corpus_problems", lambda *a: calls.append(1) or real(*a))
    lc.check_corpus(copy, cache)
    assert calls == []  # remembered by the fingerprint
    clip = copy / read_manifest(copy)[0].path
    random_bytes_behind_a_header(clip, read_manifest(copy)[0].num_frames)
    with pytest.raises(ConfigError, match="noise"):
        lc.check_corpus(copy, cache)
    assert calls == [1]


@pytest.mark.faults
def test_the_cache_reads_an_overwritten_clip_again(copy: Path, tmp_path: Path) -> None:
    ds, tf = ManifestDataset(copy, "training"), FeatureTransform(FeatureConfig())
    cache = FeatureCache(tmp_path / "cache")
    before, _ = cache.load(ds, tf)
    path = copy / ds.rows[0].path
    audio, sr = sf.read(path)
    sf.write(path, 0.5 * audio, sr, subtype="FLOAT")  # same size, new content
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # coarse clocks
    after, _ = cache.load(ds, tf)
    assert cache.misses == 2 and cache.hits == 0
    torch.testing.assert_close(after[0], 0.5 * before[0], rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(after[1:], before[1:])
    again, _ = cache.load(ds, tf)
    assert cache.hits == 1 and torch.equal(again, after)


@pytest.mark.parametrize(("words", "message"), [
    ("nonexistentword", r"data.words: 'nonexistentword' not in the corpus, which has 2 words"),
    ("yess", r"'yess' \(closest: yes\) not in the corpus"),
])
@pytest.mark.faults
def test_a_selection_the_corpus_cannot_give_creates_nothing(
        words: str, message: str, corpus: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Checked with the corpus, before the store is touched (a FAILED run and a list of every
    word of the corpus before)."""
    from lab.run import main

    runs = tmp_path / "runs"
    assert main(["--profile", "smoke", "--data", str(corpus), "--runs-dir", str(runs),
                 f"data.cache_dir={tmp_path / 'cache'}", f"data.words={words}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert re.search(message, err[0]), err[0]
    assert not runs.exists()


@pytest.mark.faults
def test_a_selection_that_empties_a_split_is_refused(corpus: Path, tmp_path: Path) -> None:
    rows = (corpus / "manifest.csv").read_text().splitlines()
    copy = tmp_path / "c"
    shutil.copytree(corpus, copy)
    header, body = rows[0], rows[1:]
    split = header.split(",").index("split")
    word = header.split(",").index("word")
    kept = [r for r in body if not (r.split(",")[split] == "testing"
                                    and r.split(",")[word] == "no")]
    (copy / "manifest.csv").write_text("\n".join([header, *kept]) + "\n")
    with pytest.raises(ConfigError, match="no clips of the selected words in its testing split"):
        lc.check_selection(copy, ("no",))
    lc.check_selection(copy, ("yes",))  # yes keeps every split
