"""The corpus manifest: one row per clip, the same for every corpus (TTS, recorded, a user's).

``manifest.csv`` beside the clips, columns::

    path         clip path relative to the corpus root
    word         the label: the spoken word (Speech Commands layouts) or the recording's id
    speaker      the voice (the hash name of the split rule for Speech Commands layouts)
    utterance    the repetition index (Speech Commands) or the segment index in its recording
    split        training | validation | testing | unseen (whole voices never trained on)
    sample_rate  Hz (16000)
    num_frames   samples in the file
    source       what made the clip (``espeak-ng``, ``flite``, ... , ``speech_commands``,
                 ``recorded``)
    source_file  the recording the clip was cut from, relative to the builder's source folder
    offset       where in that recording the clip starts, seconds (after silence trimming)
    language     BCP 47 code when known (``es``, ``fr``), else empty
    licence      the licence / provenance string given to the builder

The last four columns were added with :mod:`data_scripts.make_corpus`; a manifest without them
(an older corpus) reads with them empty. Everything downstream (:mod:`lab`) reads only this
file and the audio it lists.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MANIFEST_NAME = "manifest.csv"
RECORDED_SOURCE = "recorded"  # the ``source`` of clips cut from recordings of people


@dataclass(frozen=True)
class ClipRow:
    path: str
    word: str
    speaker: str
    utterance: int
    split: str
    sample_rate: int
    num_frames: int
    source: str
    source_file: str = ""
    offset: float = 0.0
    language: str = ""
    licence: str = ""


COLUMNS = tuple(f.name for f in fields(ClipRow))
LEGACY_COLUMNS = COLUMNS[:8]  # manifests written before the provenance columns


def write_manifest(root: Path, rows: list[ClipRow]) -> Path:
    """Write ``root/manifest.csv`` sorted by path (atomically: a temp file, then a rename)."""
    out = root / MANIFEST_NAME
    tmp = out.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in sorted(rows, key=lambda r: r.path):
            w.writerow({**asdict(row), "offset": f"{row.offset:.4f}"})
    tmp.replace(out)
    return out


def read_manifest(root: Path) -> list[ClipRow]:
    """Read ``root/manifest.csv``; a clear error when it is missing or has other columns."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST_NAME} in {root}: make a corpus with `python -m "
            "data_scripts.make_corpus` (recordings) or `python -m data_scripts.make_commands` "
            "(TTS)")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        names = tuple(reader.fieldnames or ())
        if names not in (COLUMNS, LEGACY_COLUMNS):
            raise ValueError(f"{path} has columns {list(names)}, expected {list(COLUMNS)}")
        try:
            return [
                ClipRow(r["path"], r["word"], r["speaker"], int(r["utterance"]), r["split"],
                        int(r["sample_rate"]), int(r["num_frames"]), r["source"],
                        r.get("source_file") or "", float(r.get("offset") or 0.0),
                        r.get("language") or "", r.get("licence") or "")
                for r in reader
            ]
        except (TypeError, ValueError) as e:
            raise ValueError(f"{path} line {reader.line_num}: {e}") from None
