"""The listening grid: rows are the logged example clips, columns the original, each variant's
lowest seed and each codec run; file names say what they are; the numbers under the players
are the project's metrics of the WAV pairs, recomputed here."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import torch

from analysis.artifacts import Artifacts
from analysis.listening import METHOD, Grid, build_grid, render, section
from analysis.runs import Runs, run_row, timestamp
from analysis.select import Resolved, resolve
from lab.metrics import pesq_wb, si_sdr

SR = 16000


def voiced(seed: int) -> np.ndarray:
    """A second of a speech-like sound (a gliding harmonic tone, syllable-shaped)."""
    t = np.arange(SR) / SR
    f0 = 130 + 20 * seed + 30 * np.sin(2 * np.pi * 2 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    wave = sum(np.sin(k * phase) / k for k in range(1, 20))
    return 0.2 * wave * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)) ** 2 * np.hanning(SR)


def resolved(root: Path, runs: list[tuple[str, dict[str, Any], dict[str, float], float | None]],
             ablation: str) -> Resolved:
    """FINISHED runs ``(name, params, metrics, noise)`` whose artifact folder is
    ``root/<name>``; a run with a noise level logs examples 0 and 1 (the reference plus that
    much noise; seeded by the name)."""
    rows = []
    for i, (name, params, metrics, noise) in enumerate(runs):
        folder = root / name
        if noise is not None:
            (folder / "examples").mkdir(parents=True)
            rng = np.random.default_rng(sum(map(ord, name)))
            for clip in (0, 1):
                ref = voiced(clip)
                sf.write(folder / "examples" / f"{clip}_reference.wav", ref, SR,
                         subtype="PCM_16")
                est = np.clip(ref + noise * rng.standard_normal(SR), -1, 1)
                sf.write(folder / "examples" / f"{clip}_recon.wav", est, SR, subtype="PCM_16")
        rows.append(run_row({"run_id": name, "source": "mlflow", "experiment": ablation,
                             "run_name": name, "status": "FINISHED",
                             "start_time": timestamp(1000 * i), "end_time": timestamp(1000 * i + 1),
                             "run_key": name, "ablations": (ablation,),
                             "artifact_uri": str(folder)},
                            {k: str(v) for k, v in params.items()}, metrics))
    return resolve(Runs.build(rows).runs, ablation)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Resolved, Resolved, Artifacts]:
    """``abl``: complex VQ (seed 1 logged first, noisier), its real twin, a plain autoencoder;
    ``codec_baselines``: Opus 8 logging examples, Codec2 700C logging none, Opus at an
    impossible setting."""
    def model(domain: str, twin: str, bn: str, seed: int) -> dict[str, Any]:
        return {"model.domain": domain, "model.twin": twin, "model.bottleneck": bn,
                "seed": seed}

    vq = {"rate/nominal_bps": 2000.0, "test/si_sdr": 5.0}
    res = resolved(tmp_path / "runs", [
        ("complex-vq16-s1", model("complex", "none", "vq", 1), vq, 0.05),
        ("complex-vq16-s0", model("complex", "none", "vq", 0), vq, 0.01),
        ("real-params-vq16-s0", model("complex", "params", "vq", 0), vq, 0.02),
        ("complex-ae-s0", model("complex", "none", "none", 0), {"test/si_sdr": 9.0}, 0.003),
    ], "abl")
    codec = {"model.domain": "codec"}
    codecs = resolved(tmp_path / "codecs", [
        ("opus-8", {**codec, "model.bottleneck": "opus", "codec.name": "opus",
                    "codec.setting": "8"}, {"rate/measured_bps": 8100.0}, 0.02),
        ("codec2-700C", {**codec, "model.bottleneck": "codec2", "codec.name": "codec2",
                         "codec.setting": "700C"}, {"rate/measured_bps": 800.0}, None),
        ("opus-6000", {**codec, "model.bottleneck": "opus", "codec.name": "opus",
                       "codec.setting": "6000"}, {"rate/measured_bps": 6000.0}, None),
    ], "codec_baselines")
    return res, codecs, Artifacts("", tmp_path / "cache")


def scores(folder: Path, ref: str, est: str) -> tuple[float, float | None]:
    a, _ = sf.read(folder / ref, dtype="float64")
    b, _ = sf.read(folder / est, dtype="float64")
    return si_sdr(torch.from_numpy(a), torch.from_numpy(b)), pesq_wb(a, b, SR)


def test_grid_rows_columns_files_and_numbers(store: tuple[Resolved, Resolved, Artifacts],
                                             tmp_path: Path) -> None:
    res, codecs, artifacts = store
    out = tmp_path / "page"
    grid = build_grid(res, codecs, artifacts, out)
    assert grid.clips == [0, 1]
    coded = shutil.which("c2enc") is not None and shutil.which("c2dec") is not None
    titles = ["original", "complex-vq16 (seed 0)", "real-params-vq16 (seed 0)",
              "complex-ae (seed 0)", "opus 8 kbit/s", *(["codec2 mode 700C"] if coded else [])]
    assert [c.title for c in grid.columns] == titles
    keys = [c.key for c in grid.columns]
    assert set(grid.cells) == {(i, k) for i in (0, 1) for k in keys}
    files = {c.key: grid.cells[(0, c.key)].file for c in grid.columns}
    assert files["original"] == "audio/clip0_original.wav"
    assert files["complex-vq16"] == "audio/clip0_complex-vq16_s0.wav"
    assert files["real-params-vq16"] == "audio/clip0_real-params-vq16_s0.wav"
    assert files["opus-8"] == "audio/clip0_opus-8kbps.wav"
    if coded:
        assert files["codec2-700C"] == "audio/clip0_codec2-700C.wav"
    for i in grid.clips:
        for key in keys[1:]:
            cell = grid.cells[(i, key)]
            sdr, pq = scores(out, f"audio/clip{i}_original.wav", cell.file)
            assert cell.si_sdr == pytest.approx(sdr) and cell.pesq == pytest.approx(pq)
    assert all(c.pesq is not None for c in grid.cells.values() if c.si_sdr is not None)
    # the lowest seed's reconstruction, not seed 1's (five times the noise)
    logged = tmp_path / "runs" / "complex-vq16-s0" / "examples" / "0_recon.wav"
    assert sf.read(out / files["complex-vq16"])[0].tolist() == sf.read(logged)[0].tolist()
    vq, ae, opus = (grid.cells[(0, k)] for k in ("complex-vq16", "complex-ae", "opus-8"))
    assert (vq.kbps, vq.rate_kind) == (2.0, "nominal")
    assert ae.kbps is None and ae.lines()[0] == "no bitrate (continuous latent)"
    assert (opus.kbps, opus.rate_kind) == (8.1, "measured")  # logged: the run's rate
    assert vq.lines() == ["2.00 kbit/s (nominal)", f"SI-SDR {vq.si_sdr:.2f} dB",
                          f"PESQ-WB {vq.pesq:.2f}" if vq.pesq is not None else "PESQ-WB failed"]
    assert any("opus-6000kbps: not coded here" in n for n in grid.notes)
    if coded:
        c2 = grid.cells[(0, "codec2-700C")]
        assert c2.rate_kind == "measured on this clip" and 0.5 < (c2.kbps or 0) < 1.0
        assert grid.coded_here
    html = render(grid)
    assert html.count("<audio") == 2 * len(keys) and html.count("<tr>") == 3
    assert METHOD.replace("'", "&#x27;") in html


def test_no_codec_columns_on_the_codec_page_and_no_examples(
        store: tuple[Resolved, Resolved, Artifacts], tmp_path: Path) -> None:
    res, codecs, artifacts = store
    grid = build_grid(res, res, artifacts, tmp_path / "a")
    assert [c.kind for c in grid.columns] == ["original", "model", "model", "model"]
    # the codec page: its runs are its variants (only opus-8 logs examples), no codec columns
    own = build_grid(codecs, codecs, artifacts, tmp_path / "b")
    assert own.clips == [0, 1] and [c.title for c in own.columns] == ["original",
                                                                      "opus-8 (seed 0)"]
    empty = resolved(tmp_path / "none", [("x-s0", {"seed": 0}, {}, None)], "abl")
    assert build_grid(empty, codecs, artifacts, tmp_path / "c") == Grid()
    assert "No examples logged" in section(empty, None, artifacts, tmp_path / "c")
