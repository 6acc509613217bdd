"""The benchmarks run end to end (one round each) and print their ratio tables.

No timing is asserted here: the ratios are measured by ``make bench``, not by the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bench_conv, bench_vgg


@pytest.mark.slow
def test_bench_conv_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench_conv.main(["--rounds", "1", "--warmup", "0", "--device", "cpu"])
    out = capsys.readouterr().out
    assert out.count("goal:") == 2  # one table per shape (2-D, 1-D)
    for name in ("cvnn planar", "torch native complex64", "4 real convs", "complextorch"):
        assert name in out


@pytest.mark.slow
def test_bench_vgg_runs(capsys: pytest.CaptureFixture[str]) -> None:
    bench_vgg.main(["--rounds", "1", "--warmup", "0", "--width", "8", "--device", "cpu"])
    out = capsys.readouterr().out
    assert "ComplexVGG-11" in out and "real VGG-11" in out


def test_bench_loading_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import bench_loading
    from tests.lab.test_dataset import make_corpus, tone

    corpus = make_corpus(tmp_path, {f"yes/a{k}_nohash_0.wav": (tone(16000), 16000, "training")
                                    for k in range(3)})
    assert bench_loading.main(["--corpus", str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "3 training clips" in out and "cold" in out and "warm" in out
    assert bench_loading.main(["--corpus", str(tmp_path / "none")]) == 2


@pytest.mark.slow
def test_bench_vq_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import bench_vq

    bench_vq.main(["--rounds", "1", "--warmup", "0", "--sizes", "256", "--device", "cpu"])
    out = capsys.readouterr().out
    for name in ("floor", "vq.VectorQuantizer", "one-hot matmul", "vector-quantize-pytorch"):
        assert name in out


@pytest.mark.slow
def test_bench_autoencoder_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import bench_autoencoder

    bench_autoencoder.main(["--rounds", "1", "--warmup", "0", "--width", "2", "--batch", "2",
                            "--device", "cpu"])
    out = capsys.readouterr().out
    for name in ("real FLOP twin", "complex (width 2, cvnn)", "naive BN", "real param twin",
                 "twin mismatch"):
        assert name in out


def test_bench_train_step_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import bench_train_step

    bench_train_step.main(["--rounds", "1", "--warmup", "0", "--device", "cpu",
                           "--variants", "complex-vq256"])
    out = capsys.readouterr().out
    assert "full training step (lab.step.Trainer)" in out and "goal:" in out
    assert "training steps/s" in out and "complex-vq256" in out
    with pytest.raises(SystemExit):
        bench_train_step.main(["--variants", "nonsense"])


def test_project_profile_schedules_longest_first() -> None:
    from benchmarks.project_profile import makespan, profile_runs

    assert makespan([3.0, 3.0, 2.0, 2.0, 2.0], 2) == 7.0  # LPT: {3, 2, 2}, {3, 2}
    assert makespan([5.0, 1.0], 4) == 5.0 and makespan([1.0] * 6, 1) == 6.0
    from lab.config import run_key

    runs = profile_runs("smoke")
    assert {r.seed for r in runs} == {0}
    keys = [run_key(r) for r in runs]
    assert len(keys) == len(set(keys))  # a run shared by ablations is projected once
    assert {r.tracking.experiment for r in runs} >= {"real_vs_complex", "codebook_size"}


@pytest.mark.slow
def test_bench_corpus_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both corpora's training steps side by side (the builder part is left out here: it builds
    the whole recorded corpus)."""
    import shutil

    from benchmarks import bench_corpus
    from tests.lab.conftest import corpus_clips
    from tests.lab.test_dataset import make_corpus

    a = make_corpus(tmp_path / "a", corpus_clips())
    b = Path(shutil.copytree(a, tmp_path / "b"))
    bench_corpus.main(["--recorded", str(a), "--tts", str(b), "--rounds", "1", "--warmup", "0",
                       "--device", "cpu", "--skip-builder"])
    out = capsys.readouterr().out
    assert "recorded corpus" in out and "steps/s" in out and "goal:" in out
    assert bench_corpus.main(["--recorded", str(tmp_path / "none"), "--tts", str(b)]) == 2
