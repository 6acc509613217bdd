"""Prepare the real Google Speech Commands (v0.01 or v0.02) into the corpus layout of this project.

Reads an extracted folder or the official ``.tar.gz`` (streamed, never extracted twice), or
downloads the archive when the machine has internet (``--download``: resumable, SHA-256 checked).
Every clip is validated: what can be repaired (other sample rate -> resampled, several channels
-> mixed down, longer than 1 s -> trimmed) is repaired and counted; what cannot (unreadable,
truncated, empty) is excluded and listed; files named in the split lists but absent are listed
as missing. Output, beside the clips (16-bit PCM, 16 kHz, mono)::

    OUT/<word>/<speaker>_nohash_<n>.wav, OUT/_background_noise_/*.wav
    OUT/validation_list.txt, OUT/testing_list.txt    (kept clips only)
    OUT/manifest.csv                                 (data_scripts.manifest, as the offline corpus)
    OUT/preparation_report.json   (counts; every excluded, repaired and missing file)

Splits follow the archive's list files, or the official hash rule when they are absent.

Examples::

    python -m data_scripts.prepare_speech_commands --src speech_commands_v0.02.tar.gz --out data/sc
    python -m data_scripts.prepare_speech_commands --download --version 0.02 --out data/sc
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import soundfile as sf
from tqdm import tqdm

from data_scripts.download import ChecksumError, download
from data_scripts.manifest import ClipRow, write_manifest
from data_scripts.repair import EXCLUSIONS, REPAIRS, SAMPLE_RATE, check_clip
from data_scripts.splits import which_set

BASE_URL = "http://download.tensorflow.org/data/speech_commands_v{version}.tar.gz"
# SHA-256 of the official archives, as torchaudio.datasets.speechcommands checks them
SHA256 = {
    "0.01": "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    "0.02": "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}
NAME = re.compile(r"^[0-9a-f]+_nohash_(\d+)\.wav$")
LISTS = ("validation_list.txt", "testing_list.txt")
NOISE_DIR = "_background_noise_"


def iter_files(src: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """``(relative path, bytes)`` of every file of a folder or a tar archive, in a stable order."""
    if src.is_dir():
        for p in sorted(q for q in src.rglob("*") if q.is_file()):
            yield PurePosixPath(p.relative_to(src).as_posix()), p.read_bytes()
        return
    if not tarfile.is_tarfile(src):
        raise ValueError(f"{src} is neither a folder nor a tar archive")
    with tarfile.open(src, "r:*") as tar:
        for member in tar:
            f = tar.extractfile(member) if member.isfile() else None
            if f is not None:
                yield PurePosixPath(member.name.removeprefix("./")), f.read()


def _relative(path: PurePosixPath) -> PurePosixPath:
    """Drop a wrapping top folder (``speech_commands_v0.02/yes/x.wav`` -> ``yes/x.wav``)."""
    parts = path.parts
    if len(parts) == 3 or (len(parts) == 2 and parts[1] in LISTS):
        return PurePosixPath(*parts[1:])
    return path


class Preparation:
    """Accumulates kept rows, the report, and list files while the source is read."""

    def __init__(self, out: Path, words: set[str] | None, source: str) -> None:
        self.out, self.words, self.source = out, words, source
        self.rows: list[ClipRow] = []
        self.excluded: list[dict[str, str]] = []
        self.repaired: list[dict[str, object]] = []
        self.lists: dict[str, list[str]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, rel: PurePosixPath, data: bytes) -> None:
        if rel.name in LISTS and len(rel.parts) == 1:
            self.lists[rel.name] = [ln.strip() for ln in data.decode().splitlines() if ln.strip()]
        elif len(rel.parts) == 2 and rel.parts[0] == NOISE_DIR and rel.suffix == ".wav":
            (self.out / NOISE_DIR).mkdir(parents=True, exist_ok=True)
            (self.out / rel).write_bytes(data)
            self.counts["background_noise"] += 1
        elif rel.suffix == ".wav" and len(rel.parts) == 2:
            self._clip(rel, data)
        else:
            self.counts["other_files"] += 1

    def _clip(self, rel: PurePosixPath, data: bytes) -> None:
        word, name = rel.parts
        if self.words is not None and word not in self.words:
            self.counts["skipped_by_word_filter"] += 1
            return
        m = NAME.match(name)
        if m is None:
            self._exclude(rel, "unexpected_name", "not <speaker>_nohash_<n>.wav")
            return
        checked = check_clip(data)
        if checked.excluded is not None or checked.audio is None:
            self._exclude(rel, checked.excluded or "unreadable", checked.detail)
            return
        (self.out / word).mkdir(parents=True, exist_ok=True)
        sf.write(self.out / rel, checked.audio, SAMPLE_RATE, subtype="PCM_16")
        for r in checked.repairs:
            self.counts[r] += 1
        if checked.repairs:
            self.repaired.append({"path": str(rel), "repairs": checked.repairs,
                                  "detail": checked.detail})
        self.counts["kept"] += 1
        self.rows.append(ClipRow(str(rel), word, name.split("_nohash_")[0], int(m.group(1)),
                                 "", SAMPLE_RATE, len(checked.audio), self.source))

    def _exclude(self, rel: PurePosixPath, reason: str, detail: str) -> None:
        self.counts[reason] += 1
        self.excluded.append({"path": str(rel), "reason": reason, "detail": detail})

    def finish(self) -> dict[str, object]:
        """Assign splits, write lists, manifest and report; return the report."""
        by_lists = all(name in self.lists for name in LISTS)
        val = set(self.lists.get("validation_list.txt", []))
        test = set(self.lists.get("testing_list.txt", []))
        rows = []
        for r in self.rows:
            if by_lists:
                split = "validation" if r.path in val else "testing" if r.path in test else (
                    "training")
            else:
                split = which_set(r.path)
            rows.append(ClipRow(r.path, r.word, r.speaker, r.utterance, split, r.sample_rate,
                                r.num_frames, r.source))
        kept = {r.path for r in rows}
        handled = kept | {e["path"] for e in self.excluded}
        missing = sorted(p for p in val | test if p not in handled and (
            self.words is None or p.split("/")[0] in self.words))
        self.counts["missing"] = len(missing)
        for split, name in (("validation", LISTS[0]), ("testing", LISTS[1])):
            (self.out / name).write_text("".join(
                f"{r.path}\n" for r in sorted(rows, key=lambda r: r.path) if r.split == split))
        write_manifest(self.out, rows)
        self.rows = rows
        report: dict[str, object] = {
            "source": self.source,
            "split_method": "list files" if by_lists else "hash rule (list files absent)",
            "counts": {k: self.counts[k] for k in
                       ("kept", *REPAIRS, *EXCLUSIONS, "unexpected_name", "missing",
                        "background_noise", "skipped_by_word_filter", "other_files")},
            "excluded": sorted(self.excluded, key=lambda e: e["path"]),
            "repaired": sorted(self.repaired, key=lambda e: str(e["path"])),
            "missing": missing,
        }
        (self.out / "preparation_report.json").write_text(json.dumps(report, indent=1) + "\n")
        return report


def summary(prep: Preparation, report: dict[str, object]) -> str:
    counts = report["counts"]
    assert isinstance(counts, dict)
    per_split = Counter(r.split for r in prep.rows)
    lines = [f"kept {counts['kept']} clips of {len({r.word for r in prep.rows})} words "
             f"(training {per_split['training']}, validation {per_split['validation']}, "
             f"testing {per_split['testing']}; split by {report['split_method']})",
             "repaired: " + ", ".join(f"{k} {counts[k]}" for k in REPAIRS),
             "excluded: " + ", ".join(f"{k} {counts[k]}" for k in
                                      (*EXCLUSIONS, "unexpected_name")),
             f"listed but missing: {counts['missing']}",
             f"report: {prep.out / 'preparation_report.json'}"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m data_scripts.prepare_speech_commands",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, help="extracted folder or .tar.gz archive")
    ap.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    ap.add_argument("--version", choices=sorted(SHA256), default="0.02",
                    help="dataset version (default 0.02)")
    ap.add_argument("--download", action="store_true",
                    help="download the official archive (resumable) into --cache first")
    ap.add_argument("--cache", type=Path, default=Path("data/downloads"),
                    help="where --download keeps the archive (default data/downloads)")
    ap.add_argument("--url", help="download from this address instead of the official one")
    ap.add_argument("--sha256", help="expected SHA-256 of the archive (default: the official "
                    "one for --version; 'skip' to not check)")
    ap.add_argument("--words", help="comma-separated words to keep (default all)")
    ap.add_argument("--force", action="store_true",
                    help="replace OUT if it holds a corpus prepared by this command")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if (args.src is None) == (not args.download):
        ap.error("give exactly one of --src PATH and --download")
    if args.src is not None and not args.src.exists():
        ap.error(f"--src {args.src} does not exist")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    src: Path = args.src
    if args.download:
        url = args.url or BASE_URL.format(version=args.version)
        sha = None if args.sha256 == "skip" else (args.sha256 or SHA256[args.version])
        try:
            src = download(url, args.cache / url.rsplit("/", 1)[-1], sha, quiet=args.quiet)
        except (OSError, ChecksumError) as e:
            print(f"error: download failed: {e}", file=sys.stderr)
            return 1
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not args.force or not (out / "preparation_report.json").is_file():
            print(f"error: {out} is not empty (use --force to replace a corpus prepared by this "
                  "command)", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    words = None if not args.words else {w.strip() for w in args.words.split(",") if w.strip()}
    prep = Preparation(out, words, f"speech_commands_v{args.version}")
    try:
        for rel, data in tqdm(iter_files(src), unit="file", disable=args.quiet, desc="preparing"):
            prep.add(_relative(rel), data)
    except (tarfile.TarError, EOFError, OSError) as e:
        print(f"error: cannot read {src}: {e} (the clips read so far are in {out}; run again "
              "with --force after fixing the source)", file=sys.stderr)
        return 1
    report = prep.finish()
    print(summary(prep, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
