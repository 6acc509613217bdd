"""The recorded corpus from Debian's Asterisk prompt packages: the licence read from a copyright
file, a missing tool, and (slow) a real build from two of the packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from data_scripts import make_recorded
from data_scripts.manifest import read_manifest
from data_scripts.splits import UNSEEN

ROOT = Path(__file__).resolve().parents[2]
COPYRIGHT = """Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: asterisk-core-sounds

Files: *
Copyright: 2003-2010, Allison Smith
Comment: The CREDITS file:
 Recorded by Allison Smith
License: CC-BY-SA-3.0

Files: ru-*
Copyright: 2010, Maxim
License: CC-BY-3.0

Files: debian/*
Copyright: 2010, Tzafrir Cohen
License: GPL-2+
"""


def test_licence_is_read_per_language() -> None:
    deb = Path("asterisk-core-sounds-ru-g722_1.6.1-1_all.deb")
    assert make_recorded.licence_for(COPYRIGHT, "ru", deb) == (
        "CC-BY-3.0 (2010, Maxim); Debian asterisk-core-sounds-ru-g722_1.6.1-1_all.deb")
    assert make_recorded.licence_for(COPYRIGHT, "es", deb).startswith(
        "CC-BY-SA-3.0 (2003-2010, Allison Smith)")  # the upstream default stanza


def test_english_is_refused_and_a_missing_tool_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        make_recorded.parse_args(["--languages", "en"])
    bin_dir = tmp_path / "bin"  # apt-get and dpkg, but no ffmpeg
    bin_dir.mkdir()
    for tool in ("apt-get", "dpkg", "dpkg-deb", "tar"):
        found = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        if found:
            (bin_dir / tool).symlink_to(found)
    proc = subprocess.run([sys.executable, "-m", "data_scripts.make_recorded", "--out",
                           str(tmp_path / "rec"), "--languages", "es", "--quiet"],
                          cwd=ROOT, env={**os.environ, "PATH": str(bin_dir),
                                         "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "error: ffmpeg is missing: apt-get install ffmpeg (or `make system`)\n"
    assert not (tmp_path / "rec").exists()


@pytest.mark.slow
def test_two_packages_build_a_corpus_with_provenance(tmp_path: Path) -> None:
    out = tmp_path / "recorded"
    assert make_recorded.main(["--out", str(out), "--languages", "es,it", "--quiet"]) == 0
    rows = read_manifest(out)
    voices = {r.speaker for r in rows}
    assert voices == {"es_MX_f_Allison", "it_IT_m_Carlo"}
    by_voice = {r.speaker: r for r in rows}
    assert by_voice["es_MX_f_Allison"].language == "es-MX"
    assert by_voice["es_MX_f_Allison"].licence.startswith("CC-BY-SA-3.0 (2003-2010, Allison")
    assert by_voice["it_IT_m_Carlo"].licence.startswith("CC-BY-3.0 (2012 Carlo Flora")
    assert len({r.speaker for r in rows if r.split == UNSEEN}) == 1
    assert {r.split for r in rows} == {"training", "validation", "testing", UNSEEN}
    assert all(r.source == "recorded" and r.source_file.endswith(".wav") for r in rows)
    info = sf.info(out / rows[0].path)
    assert (info.samplerate, info.channels) == (16000, 1)
    assert "CC-BY-SA-3.0" in (out / "README.md").read_text()
