"""The corpus manifest: one row per clip, the same for the synthetic and the real corpus.

``manifest.csv`` beside the clips, columns::

    path         clip path relative to the corpus root, ``<word>/<speaker>_nohash_<n>.wav``
    word         the label (folder name)
    speaker      the speaker id (the hash name of the split rule)
    utterance    ``n``, the repetition index of that speaker and word
    split        training | validation | testing
    sample_rate  Hz (16000)
    num_frames   samples in the file
    source       what made the clip (``espeak-ng``, ``flite``, ... or ``speech_commands``)

Everything downstream (:mod:`lab`) reads only this file and the WAVs it lists.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MANIFEST_NAME = "manifest.csv"


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


COLUMNS = tuple(f.name for f in fields(ClipRow))


def write_manifest(root: Path, rows: list[ClipRow]) -> Path:
    """Write ``root/manifest.csv`` sorted by path (atomically: a temp file, then a rename)."""
    out = root / MANIFEST_NAME
    tmp = out.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in sorted(rows, key=lambda r: r.path):
            w.writerow(asdict(row))
    tmp.replace(out)
    return out


def read_manifest(root: Path) -> list[ClipRow]:
    """Read ``root/manifest.csv``; a clear error when it is missing or has other columns."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST_NAME} in {root}: make a corpus with `python -m "
            "data_scripts.make_commands` or `python -m data_scripts.prepare_speech_commands`"
        )
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path} has columns {reader.fieldnames}, expected {list(COLUMNS)}")
        return [
            ClipRow(r["path"], r["word"], r["speaker"], int(r["utterance"]), r["split"],
                    int(r["sample_rate"]), int(r["num_frames"]), r["source"])
            for r in reader
        ]
