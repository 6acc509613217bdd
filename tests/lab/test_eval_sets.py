"""Every model and codec is scored on the test split, the unseen voices, another corpus and whole
prompts, on the same clips, each under its own prefix."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from data_scripts.manifest import read_manifest, write_manifest
from lab.baseline import codec_run
from lab.codecs import Codec
from lab.eval_sets import eval_sets, prompt_waves, waves
from lab.tracking import Tracker
from lab.train import run
from tests.lab.conftest import harmonic_clip, tiny_config
from tests.lab.test_dataset import make_corpus


@pytest.fixture(scope="module")
def with_unseen(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny corpus plus three clips of a voice held out as the ``unseen`` split; its two test
    clips are the two halves of one recording (one whole prompt)."""
    root = Path(shutil.copytree(corpus, tmp_path_factory.mktemp("unseen") / "corpus"))
    extra = make_corpus(tmp_path_factory.mktemp("extra"), {
        f"yes/zed_nohash_{i}.wav": (harmonic_clip(90.0 + 10 * i, 4.0), 16000, "unseen")
        for i in range(3)})
    for rel in ("yes/zed_nohash_0.wav", "yes/zed_nohash_1.wav", "yes/zed_nohash_2.wav"):
        shutil.copy(extra / rel, root / rel)
    halves = {"no/spk5_nohash_0.wav": 0.0, "yes/spk5_nohash_0.wav": 1.0}
    rows = [dataclasses.replace(r, source_file="spk5.wav", offset=halves[r.path])
            if r.path in halves else r for r in read_manifest(root) + read_manifest(extra)]
    write_manifest(root, rows)
    return root


def test_sets_follow_the_corpus_and_the_config(corpus: Path, with_unseen: Path,
                                               cache_dir: Path, tmp_path: Path) -> None:
    plain = tiny_config(corpus, cache_dir, tmp_path)
    assert [s.prefix for s in eval_sets(plain)] == ["test"]
    both = tiny_config(with_unseen, cache_dir, tmp_path, f"eval.cross_root={corpus}")
    sets = eval_sets(both)
    assert [(s.prefix, s.split, s.whole) for s in sets] == [
        ("test", "testing", False), ("unseen", "unseen", False), ("cross", "testing", False),
        ("prompt", "testing", True)]
    assert waves(sets[1], both).shape == (3, 16000)
    (prompt,) = prompt_waves(sets[3], both)
    np.testing.assert_array_equal(prompt.numpy(), torch.cat(list(waves(sets[0], both))).numpy())
    none = tiny_config(with_unseen, cache_dir, tmp_path, "eval.prompts=0")
    assert [s.prefix for s in eval_sets(none)] == ["test", "unseen"]
    two = dataclasses.replace(both, eval=dataclasses.replace(both.eval, test_clips=2))
    np.testing.assert_array_equal(waves(sets[1], two).numpy(),
                                  waves(sets[1], both).numpy()[[0, 1]])


def test_trained_and_codec_runs_score_the_same_clips_under_each_prefix(
        corpus: Path, with_unseen: Path, cache_dir: Path, tmp_path: Path, one_thread: None
) -> None:
    config = tiny_config(with_unseen, cache_dir, tmp_path / "runs", f"eval.cross_root={corpus}")
    trained = run(config, progress=False)
    assert trained.status == "FINISHED", trained.reason
    m = trained.metrics
    for prefix in ("test", "unseen", "cross", "prompt"):
        assert np.isfinite(m[f"{prefix}/si_sdr"]) and np.isfinite(m[f"{prefix}/pesq_wb"])
    assert (m["data/test_clips"], m["data/unseen_clips"], m["data/cross_clips"],
            m["data/prompt_clips"]) == (2, 3, 2, 1)
    assert not any(k.startswith(("unseen/", "cross/", "prompt/")) and "rate" in k for k in m)
    tracker = Tracker("", tmp_path / "runs", "codecs")
    opus = codec_run(Codec("opus", "8"), config, tracker, progress=False)
    assert opus.status == "FINISHED", opus.reason
    c = opus.metrics
    for k in ("data/test_clips", "data/unseen_clips", "data/cross_clips", "data/prompt_clips"):
        assert c[k] == m[k]
    assert c["prompt/si_sdr"] != c["test/si_sdr"]  # one 2-s item, not two clips
    assert c["unseen/si_sdr"] != c["test/si_sdr"] and np.isfinite(c["cross/stoi"])
