"""Figures, inspected on their matplotlib objects: bands within the data, panels with curves,
labelled axes, legends outside the axes, rate-distortion annotations and the autoencoder's
reference line, real twins labelled real."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.catalog import axis_label
from analysis.figures.codebooks import TRAINING_KEYS
from analysis.figures.curves import (
    ONE_POINT,
    band,
    clock_band,
    curves_figure,
    labels,
    objective,
)
from analysis.figures.labels import family, variant_labels
from analysis.figures.rate_distortion import (
    DODGE,
    X_LABEL,
    points,
    rd_figure,
    references,
    setting,
)
from analysis.runs import Runs, run_row, timestamp
from analysis.select import Resolved, resolve

LOSS = {"loss.snr": 1.0, "loss.si_sdr": 0.0, "loss.compressed": 10.0, "loss.spectral": 0.0,
        "loss.mrstft": 0.0}


def build(runs: list[tuple[str, dict[str, Any], dict[str, float]]],
          history: list[tuple[str, str, int, float]] = (), ablation: str = "abl"
          ) -> tuple[Resolved, pd.DataFrame]:
    """Resolved runs from ``(run name, params, metrics)`` (FINISHED, in order) and a history."""
    rows = [run_row({"run_id": name, "source": "mlflow", "experiment": ablation,
                     "run_name": name, "status": "FINISHED", "start_time": timestamp(1000 * i),
                     "end_time": timestamp(1000 * i + 10), "run_key": name,
                     "ablations": (ablation,)},
                    {k: str(v) for k, v in params.items()}, metrics)
            for i, (name, params, metrics) in enumerate(runs)]
    built = Runs.build(rows, history)
    return resolve(built.runs, ablation), built.history


def vq(domain: str, k: int, seed: int, twin: str = "none") -> dict[str, Any]:
    return {"model.domain": domain, "model.twin": twin, "model.bottleneck": "vq",
            "vq.codebook_size": k, "seed": seed, **{k_: str(v) for k_, v in LOSS.items()}}


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def curves() -> tuple[Resolved, pd.DataFrame]:
    """Two variants x three seeds of a positive loss with a wide spread over seeds; ``val/loss``
    logged at one step only; perplexity near 1 and dead fractions near 0 and 1."""
    rng = np.random.default_rng(0)
    runs, hist = [], []
    for name, params in (("complex-vq16", vq("complex", 16, 0)),
                         ("real-params-vq16", vq("complex", 16, 0, "params"))):
        for seed in range(3):
            rid = f"{name}-s{seed}"
            runs.append((rid, {**params, "seed": seed}, {"test/si_sdr": 1.0}))
            for step in range(10, 110, 10):
                hist.append((rid, "train/loss", step, float(rng.uniform(0.01, 5.0))))
                hist.append((rid, "train/codebook/perplexity", step,
                             float(1.0 + rng.uniform(0, 0.05))))
                hist.append((rid, "train/codebook/dead_fraction", step,
                             float(rng.choice([0.0, 0.02, 0.98, 1.0]))))
            hist.append((rid, "val/loss", 100, 0.5))
    return build(runs, hist)


def test_min_max_band_stays_within_the_data(curves: tuple[Resolved, pd.DataFrame]) -> None:
    res, hist = curves
    for key, lo, hi in (("train/loss", 0.01, 5.0), ("train/codebook/perplexity", 1.0, 1.05),
                        ("train/codebook/dead_fraction", 0.0, 1.0)):
        b = band(res, hist, key)
        h = hist[hist["key"] == key].merge(res.finished[["run_id", "variant"]], on="run_id")
        g = h.groupby(["variant", "step"])["value"]
        frame = b.set_index(["variant", "step"])
        assert (frame["low"] == g.min()).all() and (frame["high"] == g.max()).all()
        assert (frame["low"] <= frame["mean"]).all() and (frame["mean"] <= frame["high"]).all()
        assert b["low"].min() >= lo and b["high"].max() <= hi, key
        assert (b["n"] == 3).all()


def test_panels_need_two_points_and_axes_are_labelled(
        curves: tuple[Resolved, pd.DataFrame]) -> None:
    res, hist = curves
    fig = curves_figure(res, hist)  # val/loss: one step only -> no panel
    assert fig is not None and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "training loss"
    assert "\u2212SNR [dB] + 10 \u00d7 compressed spectrum + bottleneck terms" in \
        ax.get_title()
    assert ax.get_legend() is None and len(fig.legends) == 1  # below the axes, not on them
    assert ax.get_yscale() == "log"  # positive, spanning more than a factor 20
    for line in ax.get_lines():
        assert len(line.get_xdata()) == 10
    codebook = curves_figure(res, hist, TRAINING_KEYS)
    assert codebook is not None
    assert [a.get_ylabel() for a in codebook.axes] == [
        "codebook perplexity [codes, 1\u2013K]", "dead codes [fraction of K]"]


def test_a_variant_with_one_point_is_a_marker(curves: tuple[Resolved, pd.DataFrame]) -> None:
    res, hist = curves
    one = hist[~((hist["key"] == "train/loss") & hist["run_id"].str.startswith("real")
                 & (hist["step"] > 10))]
    fig = curves_figure(res, one, ("train/loss",))
    assert fig is not None
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    single = lines["real-params-vq16" + ONE_POINT]
    assert single.get_marker() == "o" and single.get_linestyle() == "None"
    assert len(lines["complex-vq16"].get_xdata()) == 10
    assert curves_figure(res, hist, ("val/loss",)) is None  # no curve at all: no figure


def test_quality_against_wall_clock_is_a_last_panel(
        curves: tuple[Resolved, pd.DataFrame]) -> None:
    """Validation SI-SDR (minus the logged negative) at the mean seconds over seeds of each
    validation; the band is SI-SDR's range over seeds."""
    res, hist = curves
    extra = []
    for rid in res.finished["run_id"]:
        seed = int(rid[-1])
        for step in (20, 40, 60):
            extra += [(rid, "time/train_seconds", step, step * (1.0 + seed)),
                      (rid, "val/recon/si_sdr", step, -(step / 10 + seed))]
    rows = pd.DataFrame(extra, columns=["run_id", "key", "step", "value"])
    timed = pd.concat([hist, rows.reindex(columns=hist.columns)], ignore_index=True)
    b = clock_band(res, timed)
    first = b[(b["variant"] == "complex-vq16") & (b["step"] == 40)].iloc[0]
    assert first["seconds"] == pytest.approx(40 * 2.0)  # mean of 40, 80, 120 s
    assert (first["mean"], first["low"], first["high"]) == pytest.approx((5.0, 4.0, 6.0))
    fig = curves_figure(res, timed, ("train/loss",))
    assert fig is not None and len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "validation SI-SDR [dB]"
    assert "wall-clock" in fig.axes[1].get_xlabel()
    assert list(fig.axes[1].get_lines()[0].get_xdata()) == [40.0, 80.0, 120.0]
    assert len(curves_figure(res, hist, ("train/loss",)).axes) == 1  # no clock: no panel


def test_real_twins_are_labelled_real() -> None:
    res, _ = build([("model.twin=params", vq("complex", 16, 0, "params"), {}),
                    ("model.twin=none", vq("complex", 16, 0), {})])
    # run names are unique, so the variant labels are the run names: neither says real
    names = variant_labels(res)
    assert names == {"model.twin=params": "real (model.twin=params)",
                     "model.twin=none": "model.twin=none"}
    assert labels(res) == names
    rows = res.finished.set_index("variant")
    assert family(rows.loc["model.twin=params"]) == "real"
    assert family(rows.loc["model.twin=none"]) == "complex"


def test_objective_names_the_terms() -> None:
    res, _ = build([("a-s0", vq("complex", 16, 0), {})])
    assert objective(res) == ("\u2212SNR [dB] + 10 \u00d7 compressed spectrum + "
                              "bottleneck terms")
    other = {**vq("complex", 16, 1), "loss.snr": "0", "loss.spectral": "1"}
    mixed, _ = build([("a-s0", vq("complex", 16, 0), {}), ("b-s1", other, {})])
    assert objective(mixed) == "terms differ by variant"
    bare, _ = build([("c-s0", {"seed": 0}, {})])
    assert objective(bare) == ""


@pytest.fixture
def rd() -> list[Resolved]:
    """VQ at K=16 and 256 (complex) and its real twin at 256 (the same nominal rate), VAE
    betas, a plain autoencoder (no rate), and two Opus settings."""
    runs = []
    for seed in (0, 1):
        for name, params, rate, sdr in (
                ("complex-vq16", vq("complex", 16, seed), 4000.0, 2.0),
                ("complex-vq256", vq("complex", 256, seed), 8000.0, 6.0),
                ("real-params-vq256", vq("complex", 256, seed, "params"), 8000.0, 5.0)):
            runs.append((f"{name}-s{seed}", params,
                         {"rate/nominal_bps": rate, "test/si_sdr": sdr + 0.2 * seed,
                          "test/pesq_wb": 1.5 + sdr / 10}))
        for beta, kl in (("1", 14000.0), ("3", 5000.0)):
            runs.append((f"complex-vae-b{beta}-s{seed}",
                         {"model.domain": "complex", "model.bottleneck": "vae",
                          "vae.beta": beta, "seed": seed},
                         {"rate/kl_bps": kl + seed, "test/si_sdr": 3.0 + seed,
                          "test/pesq_wb": 1.6}))
        runs.append((f"complex-ae-s{seed}", {"model.domain": "complex", "model.bottleneck": "none",
                                             "seed": seed},
                     {"test/si_sdr": 14.0 + seed, "test/pesq_wb": 2.9}))
    res, _ = build(runs)
    codecs, _ = build([(f"opus-{s}", {"model.domain": "codec", "model.bottleneck": "opus",
                                      "codec.name": "opus", "codec.setting": s},
                        {"rate/measured_bps": 1000.0 * s, "test/si_sdr": s / 2.0,
                         "test/pesq_wb": 2.0 + s / 10})
                       for s in (6, 12)], ablation="codec_baselines")
    return [res, codecs]


def test_rate_distortion_points_are_labelled_with_their_setting(rd: list[Resolved]) -> None:
    data = points(rd).set_index("variant")
    assert data["setting"].to_dict() == {
        "complex-vq16": "K=16", "complex-vq256": "K=256", "real-params-vq256": "K=256",
        "complex-vae-b1": "\u03b2=1", "complex-vae-b3": "\u03b2=3", "opus-6": "6k",
        "opus-12": "12k"}
    assert "complex-ae" not in data.index  # no rate: a reference line, not a point
    assert data.loc["real-params-vq256", "series"] == "real-params (vq)"
    # the complex model and its twin share 8 kbit/s: drawn apart, at their true rate in kbit/s
    a, b = data.loc["complex-vq256"], data.loc["real-params-vq256"]
    assert a["rate"] == b["rate"] == 8000.0
    assert b["x"] / a["x"] == pytest.approx(10 ** DODGE)
    assert data.loc["complex-vq16", "x"] == pytest.approx(4.0)
    fig = rd_figure(rd)
    assert fig is not None and len(fig.axes) == 2  # SI-SDR, PESQ-WB (no mel distance logged)
    for ax in fig.axes:
        texts = [t.get_text() for t in ax.texts]
        for label in ("K=16", "K=256", "\u03b2=1", "\u03b2=3", "6k", "12k"):
            assert label in texts, (label, texts)
        assert ax.get_xlabel() == X_LABEL == "bitrate [kbit/s]"
        assert ax.get_legend() is None
    assert [ax.get_ylabel() for ax in fig.axes] == [axis_label("test/si_sdr"),
                                                   axis_label("test/pesq_wb")]
    assert fig.axes[0].get_ylabel() == "SI-SDR [dB]"
    assert len(fig.legends) == 1


def test_annotations_do_not_overlap(rd: list[Resolved]) -> None:
    fig = rd_figure(rd)
    assert fig is not None
    fig.canvas.draw()
    for ax in fig.axes:
        boxes = [t.get_window_extent() for t in ax.texts]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (a, b)


def test_the_autoencoder_is_a_dashed_reference_line(rd: list[Resolved]) -> None:
    refs = references(rd)
    assert refs["label"].tolist() == ["complex AE (no bottleneck)"]
    assert refs["test/si_sdr"].iloc[0] == pytest.approx(14.5)
    fig = rd_figure(rd)
    assert fig is not None
    for ax, mean in zip(fig.axes, (14.5, 2.9), strict=True):
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
        assert len(dashed) == 1 and dashed[0].get_label() == "complex AE (no bottleneck)"
        assert list(dashed[0].get_ydata()) == [pytest.approx(mean)] * 2
        assert "complex AE (no bottleneck)" in [t.get_text() for t in ax.texts]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "complex AE (no bottleneck)" in legend and "real-params (vq)" in legend


def test_setting_of_codec2_modes_and_missing_params() -> None:
    row = pd.Series({"params.model.domain": "codec", "params.codec.name": "codec2",
                     "params.codec.setting": "700C"})
    assert setting(row) == "700C"
    assert setting(pd.Series({"params.model.bottleneck": "vq"})) == ""


def test_a_vae_with_free_bits_is_a_point_of_the_vae_line() -> None:
    from analysis.figures.rate_distortion import series

    assert series("complex-vae-b3-fb8", "complex", "vae") == series("complex-vae-b1", "complex",
                                                                     "vae")
    assert series("real-params-vae-b3-fb8", "real", "vae") == series("real-params-vae-b1", "real",
                                                                     "vae")
