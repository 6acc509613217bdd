"""analysis.browser in a real headless Chromium: a good page has no problems, and each kind of
broken element (missing or corrupt image, missing or corrupt audio, dead link, console and page
errors) is reported by name. One browser serves the whole module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from analysis.browser import CHROMIUM_ENV, Chromium, find_chromium, page_problems

SR = 16000

# every kind of element the report uses, all of them working
GOOD_BODY = """
<h1>Report</h1>
<img src="ok.png" alt="figure">
<img src="ok.png" loading="lazy" style="margin-top: 5000px">
<audio controls preload="metadata"><source src="ok.wav" type="audio/wav"></audio>
<audio controls preload="metadata" src="ok.wav"></audio>
<audio controls preload="none" src="ok.wav"></audio>
<a href="other.html">other page</a> <a href="other.html#top">its top</a> <a href="#top">top</a>
<a href="sub/">a folder</a> <a href="ok.wav">the audio</a> <a href="https://example.org/">web</a>
<a href="mailto:someone@example.org">mail</a>
<table><tr><th>run</th><th>SNR</th></tr><tr><td>a</td><td>1.0</td></tr></table>
"""


def _page(folder: Path, body: str, name: str = "page.html") -> Path:
    html = folder / name
    html.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>t</title></head>"
                    f"<body id='top'>{body}</body></html>")
    return html


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium() as chromium:
        yield chromium


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with a real PNG and WAV, a corrupt PNG and WAV (random bytes), another page
    and a subfolder."""
    Image.new("RGB", (8, 6), (200, 30, 30)).save(tmp_path / "ok.png")
    t = np.arange(SR // 2) / SR
    sf.write(tmp_path / "ok.wav", 0.3 * np.sin(2 * np.pi * 440.0 * t), SR)
    rng = np.random.default_rng(0)
    (tmp_path / "corrupt.png").write_bytes(rng.bytes(500))
    (tmp_path / "corrupt.wav").write_bytes(rng.bytes(4000))
    _page(tmp_path, "<p>other</p>", "other.html")
    (tmp_path / "sub").mkdir()
    return tmp_path


def test_find_chromium_finds_the_system_browser() -> None:
    found = find_chromium()
    assert found is not None, "chromium is not installed: bash scripts/system_deps.sh"
    assert os.access(found, os.X_OK)


def test_good_page_has_no_problems(site: Path, browser: Chromium) -> None:
    assert page_problems(_page(site, GOOD_BODY), browser=browser) == []


def test_good_page_standalone(site: Path) -> None:
    """Without a browser given, one is launched for the call."""
    assert page_problems(_page(site, GOOD_BODY), timeout_s=30) == []


# one broken element of each kind: (markup, its name, what its problem line says)
BROKEN = [
    ('<img src="missing.png">', "missing.png", "file not found"),
    ('<img src="corrupt.png">', "corrupt.png", "could not be decoded"),
    ('<audio controls preload="metadata"><source src="missing.wav" type="audio/wav"></audio>',
     "missing.wav", "file not found"),
    ('<audio controls preload="metadata" src="missing2.wav"></audio>', "missing2.wav",
     "file not found"),
    ('<audio controls preload="metadata"><source src="corrupt.wav" type="audio/wav"></audio>',
     "corrupt.wav", "no playable source"),
    ('<audio controls preload="metadata" src="corrupt2.wav"></audio>', "corrupt2.wav",
     "could not be decoded"),
    ('<a href="dead.html">dead</a>', "dead.html", "target not found"),
    ('<a href="sub/gone%20away.wav">dead</a>', "gone%20away.wav", "target not found"),
    ('<link rel="stylesheet" href="nostyle.css">', "nostyle.css", "console error"),
    ("<script>console.error('boom in the report')</script>", "boom in the report",
     "console error"),
    ("<script>notDefinedAnywhere()</script>", "notDefinedAnywhere", "page error"),
]


def test_each_broken_element_is_reported_once_by_name(site: Path, browser: Chromium) -> None:
    """All kinds on one page (one page load keeps the module fast): one line each, naming the
    element, and nothing about the working elements around them."""
    (site / "corrupt2.wav").write_bytes((site / "corrupt.wav").read_bytes())
    body = GOOD_BODY + "".join(markup for markup, _, _ in BROKEN)
    problems = page_problems(_page(site, body), browser=browser)
    for _, name, says in BROKEN:
        lines = [p for p in problems if name in p]
        assert len(lines) == 1, (name, problems)
        assert says in lines[0], (name, says, lines[0])
    assert len(problems) == len(BROKEN), problems
    # a corrupt file is not said to be missing
    assert not any("not found" in p for p in problems if "corrupt" in p), problems


def test_a_single_broken_image_is_the_only_problem(site: Path, browser: Chromium) -> None:
    problems = page_problems(_page(site, GOOD_BODY + '<img src="figs/nope.png">'),
                             browser=browser)
    assert problems == [f"image 'figs/nope.png': file not found ({site / 'figs' / 'nope.png'})"]


def test_missing_chromium_names_the_binary_and_the_install_command(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(site / "no-such-chromium"))
    assert find_chromium() is None
    with pytest.raises(RuntimeError, match=r"chromium.*bash scripts/system_deps\.sh"):
        page_problems(_page(site, GOOD_BODY))


def test_missing_html_file(tmp_path: Path, browser: Chromium) -> None:
    with pytest.raises(FileNotFoundError):
        page_problems(tmp_path / "nowhere.html", browser=browser)
