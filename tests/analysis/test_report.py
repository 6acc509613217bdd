"""The report: from runs logged by hand with the MLflow API, and end to end from lab runs;
every figure written and not empty; every page opened in headless Chromium with no broken
image, audio element or link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from PIL import Image

from analysis.browser import Chromium, find_chromium
from analysis.report import main
from lab.config import apply_overrides
from lab.train import run
from tests.analysis.conftest import HandStore
from tests.lab.conftest import corpus_clips, tiny_config
from tests.lab.test_dataset import make_corpus
from tests.mlflow_server import MlflowServer

needs_chromium = pytest.mark.skipif(find_chromium() is None,
                                    reason="chromium missing: bash scripts/system_deps.sh")


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    if find_chromium() is None:
        pytest.skip("chromium missing: bash scripts/system_deps.sh")
    with Chromium() as b:
        yield b


def assert_images(folder: Path, names: list[str]) -> None:
    for name in names:
        path = folder / "figures" / name
        assert path.is_file() and path.stat().st_size > 1000, path
        with Image.open(path) as im:
            assert im.size[0] > 100 and im.size[1] > 100
            assert len(set(im.convert("L").getdata())) > 10  # not a blank canvas


@needs_chromium
def test_report_from_runs_logged_by_hand(hand_store: HandStore, tmp_path: Path,
                                         browser: Chromium) -> None:
    out = tmp_path / "reports"
    assert main(["--tracking-uri", hand_store.uri, "--out", str(out),
                 "--baseline", "toy=real"]) == 0
    page = out / "toy" / "index.html"
    assert_images(out / "toy", ["rate_distortion.png", "training_curves.png",
                                "codebook_usage.png", "spectrograms.png"])
    text = page.read_text()
    assert "complex-s3" in text and "FAILED" in text  # listed as left out
    assert "python log_by_hand.py" in text and "abc123" in text  # how the runs were made
    assert text.count("<audio") == 3  # original, complex, real
    for ext in ("md", "tex", "csv", "html"):
        assert (out / "toy" / "tables" / f"results.{ext}").stat().st_size > 100
    for html in (out / "index.html", page, out / "codec_baselines" / "index.html"):
        assert browser.page_problems(html) == [], html


def test_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--runs-dir", str(tmp_path / "none")]) == 2
    assert "no tracking store" in capsys.readouterr().err
    assert main(["--tracking-uri", "http://127.0.0.1:9"]) == 2
    assert "cannot reach" in capsys.readouterr().err
    assert main(["--baseline", "nonsense"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "reports/<ablation>/index.html" in capsys.readouterr().out


@pytest.mark.slow
@needs_chromium
def test_report_end_to_end_from_lab_runs(tmp_path: Path, browser: Chromium) -> None:
    """Two variants x two seeds trained by lab on a tiny corpus: every figure, the latent probe
    (from the saved models), audio players, and a page with nothing broken."""
    corpus = make_corpus(tmp_path / "corpus", corpus_clips())
    runs_dir = tmp_path / "runs"
    for twin in ("none", "params"):
        rep = "stft" if twin == "none" else "planar"
        for seed in (0, 1):
            cfg = tiny_config(corpus, tmp_path / "cache", runs_dir, "tracking.experiment=e2e",
                              f"model.twin={twin}", f"features.representation={rep}")
            cfg = apply_overrides(cfg, [f"seed={seed}", "eval.examples=2"])
            assert run(cfg, progress=False).status == "FINISHED"
    out = tmp_path / "reports"
    assert main(["--runs-dir", str(runs_dir), "--out", str(out)]) == 0
    folder = out / "e2e"
    assert_images(folder, ["rate_distortion.png", "training_curves.png", "codebook_usage.png",
                           "codebook_training.png", "spectrograms.png", "latents.png"])
    text = (folder / "index.html").read_text()
    assert "Linear probe" in text and text.count("<audio") == 2 * 3
    assert (folder / "tables" / "probe.csv").is_file()
    assert browser.page_problems(folder / "index.html") == []
    assert browser.page_problems(out / "index.html") == []


@needs_chromium
@pytest.mark.usefixtures("wandb_offline")
def test_report_from_wandb_offline_runs_only(tmp_path: Path, browser: Chromium) -> None:
    """Runs written by wandb itself (no MLflow store): tables and curves from W&B alone."""
    from tests.analysis.test_wandb_source import write_run

    root = tmp_path / "wb"
    for domain, shift in (("complex", 1.0), ("real", 0.0)):
        for seed in (0, 1):
            config = {"run_key": f"{domain}-{seed}", "seed": seed, "model.domain": domain,
                      "model.bottleneck": "vq"}
            points = {s: {"train/loss": 1.0 / s + shift} for s in range(1, 6)}
            points[5].update({"test/si_sdr": 5.0 + shift + seed, "rate/nominal_bps": 800.0})
            write_run(root, f"{domain}{seed}", config, points, name=f"{domain}-s{seed}")
    out = tmp_path / "reports"
    assert main(["--runs-dir", str(tmp_path / "no-mlflow"), "--wandb-dir", str(root),
                 "--out", str(out)]) == 0
    folder = out / "toy"
    text = (folder / "tables" / "results.md").read_text()
    assert "complex" in text and "6.50 ± 6.35 (2)" in text  # 6 and 7: t(1) interval
    assert "**" not in text.split("\n\n")[1]  # two seeds: no test, so no best in bold
    assert "fewer than 3 seeds" in text
    assert_images(folder, ["rate_distortion.png", "training_curves.png"])
    assert browser.page_problems(folder / "index.html") == []


@needs_chromium
def test_report_from_an_mlflow_server(server: MlflowServer, tmp_path: Path,
                                      browser: Chromium) -> None:
    """Runs logged to a real MLflow server on loopback: loaded over HTTP, their artifacts
    (served by the server, not on a local path) downloaded for the figures and players."""
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    from tests.analysis.conftest import SR, tone

    client = MlflowClient(tracking_uri=server.uri)
    exp = client.create_experiment("served_report")
    folder = tmp_path / "examples"
    folder.mkdir()
    for domain, f0 in (("complex", 220.0), ("real", 230.0)):
        for seed in (0, 1):
            run = client.create_run(exp, run_name=f"{domain}-s{seed}",
                                    tags={"run_key": f"{domain}-{seed}"})
            rid = run.info.run_id
            client.log_batch(rid, metrics=[Metric("test/si_sdr", f0 / 20 + seed, 0, 0),
                                           Metric("rate/nominal_bps", 1000.0, 0, 0)],
                             params=[Param("model.domain", domain), Param("seed", str(seed))])
            sf.write(folder / "0_reference.wav", tone(220.0), SR)
            sf.write(folder / "0_recon.wav", tone(f0), SR)
            client.log_artifacts(rid, str(folder), "examples")
            client.set_terminated(rid, "FINISHED")
            assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    out = tmp_path / "reports"
    assert main(["--tracking-uri", server.uri, "--out", str(out),
                 "--ablation", "served_report"]) == 0
    page = out / "served_report" / "index.html"
    assert_images(out / "served_report", ["rate_distortion.png", "spectrograms.png"])
    assert page.read_text().count("<audio") == 3
    assert browser.page_problems(page) == []


@pytest.mark.slow
@needs_chromium
def test_report_on_a_corpus_with_unseen_voices_and_a_cross_corpus(
        tmp_path: Path, browser: Chromium, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs scored on unseen voices and another corpus: the generalization table and figure,
    and the probe labelled by voice on a corpus of more words than a keyword corpus has."""
    from analysis import probe
    from tests.lab.conftest import harmonic_clip

    clips = corpus_clips()
    audio, sr, _ = clips["yes/spk3_nohash_0.wav"]
    clips["yes/spk3_nohash_0.wav"] = (audio, sr, "validation")  # two voices to probe
    clips.update({f"yes/zed_nohash_{i}.wav": (harmonic_clip(90.0 + 10 * i, 4.0), 16000,
                                              "unseen") for i in range(2)})
    corpus = make_corpus(tmp_path / "corpus", clips)
    other = make_corpus(tmp_path / "other", corpus_clips())
    runs_dir = tmp_path / "runs"
    for twin, rep in (("none", "stft"), ("params", "planar")):
        cfg = tiny_config(corpus, tmp_path / "cache", runs_dir, "tracking.experiment=gen",
                          f"model.twin={twin}", f"features.representation={rep}",
                          f"eval.cross_root={other}")
        assert run(cfg, progress=False).status == "FINISHED"
    monkeypatch.setattr(probe, "MAX_WORDS", 1)  # two words: read as a corpus of recordings
    out = tmp_path / "reports"
    assert main(["--runs-dir", str(runs_dir), "--out", str(out)]) == 0
    folder = out / "gen"
    assert_images(folder, ["generalization.png", "latents.png"])
    text = (folder / "index.html").read_text()
    assert "in-domain, unseen voices, cross-corpus" in text
    assert "Linear probe (voice from the latents)" in text
    assert (folder / "tables" / "generalization.csv").is_file()
    assert browser.page_problems(folder / "index.html") == []
