"""lab.reconstruct: the chunking against the identity, safe model loading, and the command end to
end: a tiny run trained here reconstructs a folder of espeak-ng speech that sox converted to other
rates, channel counts and lengths, beside a corrupt, an empty and a silent file."""

from __future__ import annotations

import csv
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from mlflow.tracking import MlflowClient

from lab.artifacts import load_model, save_model
from lab.build import described_model
from lab.checkpoint import UnsafeFileError
from lab.config import to_dict
from lab.dataset import ManifestDataset
from lab.features import FeatureTransform
from lab.metrics import si_sdr
from lab.normalization import fit_normalizer
from lab.reconstruct import COUNTS, METRICS, main
from lab.tracking import default_uri
from tests.lab.conftest import SR, free_port, harmonic_clip, tiny_config
from vq.autoencoder import SpectrogramAutoencoder

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"long_22k.wav": (22050, 1), "rate_16k.wav": (16000, 1), "rate_44k.wav": (44100, 1),
        "rate_8k.wav": (8000, 1), "stereo_48k.wav": (48000, 2), "sub/short_16k.wav": (16000, 1)}
BAD = {"corrupt.wav": "not a readable WAV file", "empty.wav": "empty file (0 bytes)",
       "silent.wav": "silent: every sample is 0"}

pytestmark = pytest.mark.usefixtures("one_thread")


# -- safe loading ------------------------------------------------------------------------------
def crafted_model(folder: Path, marker: Path) -> Path:
    """A model.pt whose unpickling would write ``marker`` (and a normalizer beside it)."""

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return exec, (f"open({str(marker)!r}, 'w').write('pwned')",)

    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"config": {}, "state_dict": Payload()}, folder / "model.pt")
    (folder / "normalizer.json").write_text(json.dumps(
        {"representation": "stft", "mean": [0.0], "scale": [1.0]}) + "\n")
    return folder


def runs_code(path: Path) -> None:
    """Unpickle the pickle inside a torch zip file with the plain, unsafe ``pickle`` (it holds
    no tensors, so needs no persistent loader): what a loader without ``weights_only`` does."""
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        pickle.loads(z.read(name))


def test_load_model_refuses_a_pickle_that_runs_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    folder = crafted_model(tmp_path / "model", marker)
    with pytest.raises(UnsafeFileError, match="could run code"):
        load_model(folder)
    assert not marker.exists()
    runs_code(folder / "model.pt")
    assert marker.read_text() == "pwned"  # the crafted file really runs code when unpickled


# -- end to end --------------------------------------------------------------------------------
@dataclass
class Trained:
    runs_dir: Path
    run_id: str
    name: str


@pytest.fixture(scope="module")
def trained(corpus: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory,
            one_thread: None) -> Trained:
    from lab.train import run

    runs = tmp_path_factory.mktemp("recon-runs")
    config = tiny_config(corpus, cache_dir, runs, "tracking.experiment=reconstruct-tests",
                         "eval.examples=0")
    result = run(config, progress=False)
    assert result.status == "FINISHED", result.reason
    return Trained(runs, result.run_id, result.name)


def _sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real-world-style input: espeak-ng speech (22.05 kHz) converted by sox, plus bad files."""
    missing = [b for b in ("espeak-ng", "sox") if shutil.which(b) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (scripts/system_deps.sh)")
    tmp = tmp_path_factory.mktemp("speech")
    src, short, long_ = tmp / "src.wav", tmp / "short.wav", tmp / "long.wav"
    _sh("espeak-ng", "-s", "160", "-w", str(src), "Please reconstruct this sentence.")
    _sh("espeak-ng", "-s", "150", "-w", str(short), "yes")
    _sh("espeak-ng", "-s", "150", "-w", str(long_),
        "The quick brown fox jumps over the lazy dog, and then it runs far away.")
    root = tmp / "in"
    (root / "sub").mkdir(parents=True)
    for rate in (8000, 16000, 44100):
        _sh("sox", str(src), "-r", str(rate), str(root / f"rate_{rate // 1000}k.wav"))
    _sh("sox", str(src), "-r", "48000", str(root / "stereo_48k.wav"), "remix", "1", "1v0.5")
    shutil.copy(long_, root / "long_22k.wav")
    _sh("sox", str(short), "-r", "16000", str(root / "sub/short_16k.wav"), "trim", "0", "0.6")
    _sh("sox", "-D", "-n", "-r", "16000", "-c", "1", "-b", "16", str(root / "silent.wav"),  # no
        "trim", "0", "1")  # dither: all zeros
    (root / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(4096))
    (root / "empty.wav").write_bytes(b"")
    for name, (rate, channels) in GOOD.items():
        info = sf.info(root / name)
        assert (info.samplerate, info.channels) == (rate, channels), name
    assert sf.info(root / "long_22k.wav").duration > 3.0
    assert sf.info(root / "sub/short_16k.wav").duration < 1.0
    return root


def resampled_length(path: Path) -> int:
    info = sf.info(path)
    return math.ceil(int(info.frames) * SR / int(info.samplerate))


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def test_reconstruct_folder(trained: Trained, wavs: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    client = MlflowClient(default_uri(trained.runs_dir))
    finished = client.get_run(trained.run_id)
    decoy = client.create_run(finished.info.experiment_id, run_name=trained.name)  # newer
    client.set_terminated(decoy.info.run_id, "FAILED")
    out = tmp_path / "out"
    rc = main([str(wavs), "--run", trained.name, "--runs-dir", str(trained.runs_dir), "--out",
               str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"matches 2 runs (1 FINISHED); using the latest FINISHED one, {trained.run_id}" in err
    for name, reason in BAD.items():
        assert f"failed: {name}: {reason}" in err
    assert "Traceback" not in err

    rows = read_csv(out / "metrics.csv")
    assert list(rows) == sorted([*GOOD, *BAD])  # every file, in order
    assert list(next(iter(rows.values())))[:3 + len(METRICS)] == [
        "file", "sample_rate", "duration_s", *METRICS]
    for name, (rate, channels) in GOOD.items():
        stem = name.removesuffix(".wav")
        ref, sr_ref = sf.read(out / f"{stem}.ref.wav")
        recon, sr_rec = sf.read(out / f"{stem}.recon.wav")
        assert sr_ref == sr_rec == SR and ref.ndim == recon.ndim == 1
        assert len(ref) == len(recon) == resampled_length(wavs / name), name
        assert np.abs(recon).max() > 0
        assert sf.info(out / f"{stem}.recon.wav").subtype == "FLOAT"
        # the reference is the input mixed to mono and resampled: sox does the same here
        if rate == SR and channels == 1:
            np.testing.assert_array_equal(ref, sf.read(wavs / name)[0])
        else:
            by_sox = tmp_path / "sox.wav"
            _sh("sox", str(wavs / name), "-r", str(SR), "-c", "1", str(by_sox))
            other = sf.read(by_sox)[0]
            k = min(len(other), len(ref))
            assert si_sdr(torch.tensor(other[:k]), torch.tensor(ref[:k])) > 25, name
        row = rows[name]
        assert row["status"] == "ok" and row["error"] == ""
        assert (int(row["sample_rate"]), int(row["channels"])) == (rate, channels)
        assert float(row["duration_s"]) == pytest.approx(sf.info(wavs / name).duration, abs=1e-5)
        value = float(row["si_sdr"])
        assert math.isfinite(value)
        # computed between these two signals (as written: float32, not clipped)
        assert value == pytest.approx(si_sdr(torch.tensor(ref), torch.tensor(recon)), abs=1e-3)
        for metric in ("snr", "lsd", "mrstft", "mel_distance"):
            assert math.isfinite(float(row[metric]))
        failed = row["failed_metrics"].split(";") if row["failed_metrics"] else []
        assert (row["pesq_wb"] == "") == ("pesq" in failed)
        assert (row["stoi"] == "") == ("stoi" in failed)
    for name in BAD:
        assert rows[name]["status"] == "failed" and rows[name]["si_sdr"] == ""
        assert not list(out.glob(f"{name.removesuffix('.wav')}.*"))

    summary = json.loads((out / "summary.json").read_text())
    assert summary["run_id"] == trained.run_id  # not the newer FAILED run of the same name
    assert (summary["files"], summary["files_ok"], summary["files_failed"]) == (9, 6, 3)
    assert {f["file"]: f["reason"][:len(BAD[f["file"]])] for f in summary["failed"]} == BAD
    m = summary["metrics"]
    assert set(m) == {*METRICS, *COUNTS} and m["n_clips"] == 6
    assert m["si_sdr"] == pytest.approx(np.mean([float(rows[n]["si_sdr"]) for n in GOOD]),
                                        abs=1e-4)
    assert m["pesq_failures"] == sum("pesq" in rows[n]["failed_metrics"] for n in GOOD)
    assert m["stoi_failures"] == sum("stoi" in rows[n]["failed_metrics"] for n in GOOD)
    assert (summary["model_sample_rate"], summary["chunking"]["clip_samples"]) == (SR, SR)


def test_command_exit_status_and_stderr(trained: Trained, wavs: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    mini = tmp_path / "mini"
    mini.mkdir()
    for name in ("rate_16k.wav", "corrupt.wav", "empty.wav"):
        shutil.copy(wavs / name, mini / name)
    out = mini / "out"  # inside the input folder: a rerun must not read its own outputs
    cmd = [sys.executable, "-m", "lab.reconstruct", str(mini), "--run", trained.run_id,
           "--runs-dir", str(trained.runs_dir), "--out", str(out), "--pcm16"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "failed: corrupt.wav: not a readable WAV file (Format not recognised" in done.stderr
    assert "failed: empty.wav: empty file (0 bytes)" in done.stderr
    assert "Traceback" not in done.stderr
    assert "reconstructed 1 of 3 files" in done.stdout
    assert main([*cmd[3:], "--no-progress"]) == 1  # again: the same 3 files, not its outputs
    assert "reconstructed 1 of 3 files" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "metrics.csv", "rate_16k.recon.wav", "rate_16k.ref.wav", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["files"] == 3
    assert sf.info(out / "rate_16k.recon.wav").subtype == "PCM_16"  # --pcm16


def test_usage_errors(trained: Trained, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "tone.wav"
    sf.write(wav, harmonic_clip(150.0, 3.0), SR)
    (tmp_path / "nowav").mkdir()
    (tmp_path / "nowav" / "notes.txt").write_text("no audio here\n")
    out = tmp_path / "out"
    store = ["--runs-dir", str(trained.runs_dir)]
    cases = {
        "no run with id or name '0000": [str(wav), "--run", "0" * 32, *store],
        "no tracking store at": [str(wav), "--run", trained.run_id, "--runs-dir",
                                 str(tmp_path / "nothing")],
        "cannot reach the MLflow server": [str(wav), "--run", trained.run_id, "--tracking-uri",
                                           f"http://127.0.0.1:{free_port()}"],
        "does not exist": [str(tmp_path / "missing.wav"), "--run", trained.run_id, *store],
        "no WAV files": [str(tmp_path / "nowav"), "--run", trained.run_id, *store],
    }
    for message, argv in cases.items():
        assert main([*argv, "--out", str(out), "--no-progress"]) == 2, message
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert not out.exists()  # nothing written
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0 and "example:" in capsys.readouterr().out


@pytest.mark.faults
def test_crafted_model_of_a_run_is_refused(trained: Trained, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    client = MlflowClient(default_uri(trained.runs_dir))
    config = Path(client.download_artifacts(trained.run_id, "config.json", str(tmp_path)))
    marker = tmp_path / "pwned"
    folder = crafted_model(tmp_path / "model", marker)
    experiment = client.get_run(trained.run_id).info.experiment_id
    evil = client.create_run(experiment, run_name="crafted").info.run_id
    for path in sorted(folder.iterdir()):
        client.log_artifact(evil, str(path), "model")
    client.log_artifact(evil, str(config))
    client.set_terminated(evil, "FINISHED")
    wav = tmp_path / "tone.wav"
    sf.write(wav, harmonic_clip(150.0, 3.0), SR)
    capsys.readouterr()  # this test's own download above may have drawn MLflow's bar
    rc = main([str(wav), "--run", "crafted", "--runs-dir", str(trained.runs_dir), "--out",
               str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "refusing or unable to load model/model.pt" in err
    assert "UnsafeFileError" in err and err.count("\n") == 1
    assert not marker.exists()


def test_magnitude_run_reconstructs_with_griffin_lim(corpus: Path, cache_dir: Path,
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A magnitude-only run (an untrained model, logged as lab.train logs its artifacts)."""
    runs = tmp_path / "runs"
    config = tiny_config(corpus, cache_dir, runs, "model.domain=real",
                         "features.representation=log_magnitude")
    transform = FeatureTransform(config.features)
    torch.manual_seed(0)
    model = SpectrogramAutoencoder(described_model(config))
    save_model(model, fit_normalizer(ManifestDataset(corpus, "training"), transform),
               tmp_path / "model")
    (tmp_path / "config.json").write_text(json.dumps(to_dict(config)))
    runs.mkdir()
    client = MlflowClient(default_uri(runs))
    experiment = client.create_experiment("magnitude", (runs / "artifacts").as_uri())
    run_id = client.create_run(experiment, run_name="real-logmagnitude").info.run_id
    for path in sorted((tmp_path / "model").iterdir()):
        client.log_artifact(run_id, str(path), "model")
    client.log_artifact(run_id, str(tmp_path / "config.json"))
    client.set_terminated(run_id, "FINISHED")
    (tmp_path / "in").mkdir()
    wave = harmonic_clip(150.0, 3.0, n=2 * SR + SR // 2)  # 2.5 s: three overlapping clips
    sf.write(tmp_path / "in" / "tone.wav", wave, SR)
    out = tmp_path / "out"
    assert main([str(tmp_path / "in"), "--run", "real-logmagnitude", "--runs-dir", str(runs),
                 "--out", str(out), "--no-progress"]) == 0
    assert "reconstructed 1 of 1 files" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["representation"], summary["phase"]) == ("log_magnitude", "griffin_lim")
    assert (summary["run_id"], summary["files_ok"], summary["failed"]) == (run_id, 1, [])
    recon, sr = sf.read(out / "tone.recon.wav")
    assert sr == SR and len(recon) == len(wave) and np.abs(recon).max() > 0
    assert math.isfinite(float(read_csv(out / "metrics.csv")["tone.wav"]["si_sdr"]))


@pytest.mark.faults
def test_short_and_truncated_files(trained: Trained, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Files under the 2,048-point STFT's reach (1,025 samples failed before) are padded and
    scored, their reconstructions kept; a WAV cut short is reconstructed from what it holds and
    flagged ``truncated``, not reported ``ok``."""
    root = tmp_path / "in"
    root.mkdir()
    clip = harmonic_clip(180.0, 4.0)
    lengths = {"n1.wav": 1, "n100.wav": 100, "n1024.wav": 1024, "n1025.wav": 1025,
               "n2048.wav": 2048}
    for name, n in lengths.items():
        sf.write(root / name, clip[:n] + (1e-3 if n == 1 else 0.0), SR, subtype="FLOAT")
    sf.write(root / "whole.wav", clip, SR, subtype="PCM_16")
    data = (root / "whole.wav").read_bytes()
    (root / "cut.wav").write_bytes(data[:len(data) // 2])  # the header still promises 1 s
    out = tmp_path / "out"
    rc = main([str(root), "--run", trained.name, "--runs-dir", str(trained.runs_dir), "--out",
               str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "Traceback" not in err and "failed:" not in err
    assert "truncated: cut.wav: data chunk declares 32000 bytes" in err
    rows = read_csv(out / "metrics.csv")
    for name, n in lengths.items():
        row = rows[name]
        assert row["status"] == "ok", row
        recon = sf.read(out / f"{name.removesuffix('.wav')}.recon.wav")[0]
        assert len(np.atleast_1d(recon)) == n
        for metric in ("si_sdr", "snr", "lsd", "spectral_convergence", "mrstft", "mel_distance"):
            assert math.isfinite(float(row[metric])), (name, metric)
        failed = row["failed_metrics"].split(";") if row["failed_metrics"] else []
        assert (row["pesq_wb"] == "") == ("pesq" in failed)  # counted, never silently empty
        assert (row["stoi"] == "") == ("stoi" in failed)
    cut = rows["cut.wav"]
    assert cut["status"] == "truncated" and "declares 32000 bytes" in cut["error"]
    assert float(cut["duration_s"]) == pytest.approx((len(data) // 2 - 44) / 2 / SR, abs=1e-3)
    assert (out / "cut.recon.wav").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["files_failed"] == 0
    assert [t["file"] for t in summary["truncated"]] == ["cut.wav"]
