"""Tables from hand-logged runs: numbers recomputed with scipy, bold, significance, formats."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from analysis.mlflow_source import load_mlflow
from analysis.render import latex_escape, to_html, to_latex, to_markdown, write_all
from analysis.select import Resolved, resolve
from analysis.tables import descriptor_table, failures_table, results_table
from tests.analysis.conftest import HandStore


@pytest.fixture(scope="module")
def resolved(hand_store: HandStore) -> Resolved:
    return resolve(load_mlflow(hand_store.uri).runs, "toy")


def test_results_cells_are_t_intervals_over_seeds(resolved: Resolved,
                                                  hand_store: HandStore) -> None:
    table = results_table(resolved)
    assert table.rows == ["complex", "real"]
    j = table.columns.index("test/si_sdr")
    for i, domain in enumerate(table.rows):
        x = np.array([hand_store.values[(domain, s)]["test/si_sdr"] for s in range(3)])
        low, high = st.t.interval(0.95, 2, loc=x.mean(), scale=st.sem(x))
        cell = table.cells[i][j]
        assert cell.n == 3
        assert cell.mean == pytest.approx(x.mean())
        assert cell.half_width == pytest.approx((high - low) / 2)
        assert cell.text.endswith("(3)")
    # higher SI-SDR is better: complex (shift +1) is bold; lower mel distance: complex too
    assert table.cells[0][j].bold and not table.cells[1][j].bold
    k = table.columns.index("test/mel_distance")
    assert table.cells[0][k].bold and not table.cells[1][k].bold


def test_significance_is_a_paired_t_test_against_the_baseline(resolved: Resolved,
                                                              hand_store: HandStore) -> None:
    table = results_table(resolved, baseline="real")
    j = table.columns.index("test/pesq_wb")
    a = [hand_store.values[("complex", s)]["test/pesq_wb"] for s in range(3)]
    b = [hand_store.values[("real", s)]["test/pesq_wb"] for s in range(3)]
    ref = st.ttest_rel(a, b)  # differences 0.1, 0.13, 0.22: not degenerate
    cell = table.cells[0][j]
    assert cell.p == pytest.approx(float(ref.pvalue), rel=1e-9)
    # one family: complex against real in every column, Holm-corrected
    raw = [c.p for c in table.cells[0]]
    from statsmodels.stats.multitest import multipletests

    _, holm_ref, _, _ = multipletests(raw, method="holm")
    assert [c.p_holm for c in table.cells[0]] == pytest.approx(holm_ref.tolist())
    assert ("†" in cell.text) == (cell.p_holm < 0.05)
    assert math.isnan(table.cells[1][j].p)  # the baseline itself
    assert "paired" in table.caption and "real" in table.caption
    assert "Holm-Bonferroni" in table.caption and f"{len(raw)} comparisons" in table.caption
    assert table.details["vq.codebook_size"] == 16  # constants stated once, collapsible
    assert "<code>vq.codebook_size</code></td><td>16<" in to_html(table).split("<details")[1]
    assert "codec.name" not in table.details  # a param of the other experiment's runs only
    with pytest.raises(ValueError, match="not a variant"):
        results_table(resolved, baseline="nope")


def test_failed_runs_are_excluded_and_listed(resolved: Resolved) -> None:
    assert (resolved.finished["status"] == "FINISHED").all()
    assert 3 not in set(resolved.finished["seed"])  # the FAILED seed-3 run
    failures = failures_table(resolved)
    assert failures.rows == ["complex-s3"]
    assert failures.cells[0][0].text == "FAILED"


def test_descriptor_table(resolved: Resolved) -> None:
    table = descriptor_table(resolved)
    assert table.columns == ["model", "model/params", "rate/nominal_bps"]
    assert [r[0].text for r in table.cells] == ["complex, VQ K=16", "real, VQ K=16"]
    assert [r[1].text for r in table.cells] == ["1.01k", "1k"]


def test_formats(resolved: Resolved, tmp_path: Path) -> None:
    table = results_table(resolved)
    md = to_markdown(table)
    assert md.count("\n|") >= 3 and "**" in md
    assert "*" not in md.replace("**", "")  # no stray asterisk to unbalance the bold
    tex = to_latex(table)
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"\textbf{" in tex and "±" not in tex and r"$\pm$" in tex
    assert "<" not in tex and r"\textless{}" in tex and r"\label{tab:toy-results}" in tex
    assert latex_escape("a_b & 50%") == r"a\_b \& 50\%"
    html = to_html(table)
    assert html.split("<details")[0].count("<tr>") == 3 and "<b>" in html
    files = write_all(table, tmp_path)
    assert sorted(p.name for p in files) == ["results.csv", "results.html", "results.md",
                                             "results.tex", "results_config.csv"]
    frame = pd.read_csv(tmp_path / "results.csv")
    assert set(frame["variant"]) == {"complex", "real"}
    assert {"mean", "ci95_half_width", "n", "p_vs_baseline", "p_vs_baseline_holm",
            "best_or_tied"} <= set(frame.columns)
