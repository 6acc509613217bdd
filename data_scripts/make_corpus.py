"""A corpus from any folder of recordings: ``python -m data_scripts.make_corpus SRC --out DIR``.

Reads every file soundfile decodes (WAV, FLAC, OGG/Opus, AIFF, ...; MP3 where libsndfile has
it) at any rate and channel count, finds each recording's voice from its path
(:mod:`data_scripts.layouts`), trims, loudness-normalizes and cuts it into clips
(:mod:`data_scripts.segment`), drops silent, clipped, noise-like and duplicate clips, and splits
the rest (:func:`data_scripts.splits.corpus_splits`: speaker-disjoint with many voices,
recording-disjoint with few, plus whole **unseen** voices). Output::

    DIR/<voice>/<recording>_<k>.wav   16-bit PCM mono at --rate, at most --clip-seconds long
    DIR/manifest.csv                  one row per clip (data_scripts.manifest), with provenance
    DIR/corpus_report.json            counts, every bad file and dropped clip reason, timing
    DIR/README.md                     what the corpus is, where it came from, its licence

Bad input is never fatal and never silent: each unusable file is counted by reason
(:data:`data_scripts.recording.BAD_FILE_REASONS`) and listed with its path in the summary and
the report. The corpus is built in a temporary folder beside ``DIR`` and renamed into place at
the end, so an interrupted build leaves nothing half-made. Errors in the command itself (no such
folder, no recordings, an unwritable or non-empty ``DIR``) are one line and exit status 2.

Examples::

    python -m data_scripts.make_corpus ~/LibriSpeech/dev-clean --out data/libri --licence CC-BY-4.0
    python -m data_scripts.make_corpus ~/my_recordings --out data/mine --voice-regex '^(\\w+)_'
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import soundfile as sf
from tqdm import tqdm

from data_scripts import layouts
from data_scripts.corpus_report import REPORT_NAME, bad_line, lookup, summary, write_readme
from data_scripts.manifest import RECORDED_SOURCE, ClipRow, write_manifest
from data_scripts.recording import (
    AUDIO_SUFFIXES,
    BAD_FILE_REASONS,
    BadFile,
    read_recording,
)
from data_scripts.segment import CLIP_DROPS, segment
from data_scripts.splits import ALL_SPLITS, corpus_splits, unseen_voices


class CorpusError(Exception):
    """A problem with the command itself: one line, exit status 2, nothing written."""


@dataclass(frozen=True)
class Options:
    rate: int = 16000
    clip_seconds: float = 1.0
    min_seconds: float = 0.5
    layout: str = "auto"
    voice_regex: str | None = None
    split_by: str = "auto"
    unseen: tuple[str, ...] | None = None  # None: unseen_count voices chosen by hash
    unseen_count: int = -1  # -1: one voice when there are at most 9, else a tenth
    languages: dict[str, str] = field(default_factory=dict)  # voice -> language ('*': all)
    licences: dict[str, str] = field(default_factory=dict)  # voice -> licence ('*': all)
    source: str = RECORDED_SOURCE
    allow_upsampling: bool = False
    jobs: int = 2


@dataclass(frozen=True)
class Job:
    src: Path
    rel: PurePosixPath
    voice: str
    label: str
    out: Path  # the temporary corpus folder
    opts: Options


@dataclass
class Outcome:
    rel: PurePosixPath
    voice: str
    label: str
    # (clip path, its index in the recording, frames, offset in the recording, digest)
    clips: list[tuple[str, int, int, int, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    bad: BadFile | None = None
    seconds: float = 0.0


def clip_name(rel: PurePosixPath, voice: str, k: int) -> str:
    """``<voice>/<the recording's path without its voice folder, '/' as '__'>_<k>.wav``."""
    parts = list(rel.with_suffix("").parts)
    if len(parts) > 1 and parts[0] == voice:
        parts = parts[1:]
    stem = "__".join(parts).replace(" ", "_")
    return f"{voice}/{stem}_{k:03d}.wav"


def process(job: Job) -> Outcome:
    """Read, segment and write one recording's clips (in a worker process)."""
    o = job.opts
    out = Outcome(job.rel, job.voice, job.label)
    got = read_recording(job.src / job.rel, o.rate, o.allow_upsampling)
    if isinstance(got, BadFile):
        out.bad = got
        return out
    out.seconds = len(got.audio) / o.rate
    clip, min_len = round(o.clip_seconds * o.rate), round(o.min_seconds * o.rate)
    clips, out.dropped = segment(got.audio, o.rate, clip, min_len, got.clipped)
    for k, c in enumerate(clips):
        name = clip_name(job.rel, job.voice, k)
        (job.out / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(job.out / name, c.audio, o.rate, subtype="PCM_16")
        out.clips.append((name, k, len(c.audio), c.offset, c.digest))
    return out


def find_recordings(src: Path) -> tuple[list[PurePosixPath], int]:
    """Audio files under ``src`` (relative, sorted) and the number of other files."""
    audio, other = [], 0
    for p in sorted(src.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            if p.suffix.lower() in AUDIO_SUFFIXES:
                audio.append(PurePosixPath(p.relative_to(src).as_posix()))
            else:
                other += 1
    return audio, other


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _temporary_out(out: Path, force: bool) -> Path:
    occupied = out.exists() and (not out.is_dir() or any(out.iterdir()))
    if occupied and not (force and (out / REPORT_NAME).is_file()):
        raise CorpusError(f"{out} exists and is not empty (--force replaces a corpus made "
                              "by this command)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in out.parent.glob(f".{out.name}.partial-*"):  # left by a killed build
            if not _alive(stale.name.rpartition("-")[2]):
                shutil.rmtree(stale, ignore_errors=True)
        tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as e:
        raise CorpusError(f"cannot write the corpus beside {out}: {e.strerror or e}") from None
    return tmp


def _run(jobs: list[Job], n: int, quiet: bool) -> Iterable[Outcome]:
    bar = dict(total=len(jobs), unit="file", desc="corpus", disable=quiet, mininterval=2.0)
    if n <= 1:
        yield from tqdm(map(process, jobs), **bar)
        return
    with mp.get_context("fork").Pool(n) as pool:
        yield from tqdm(pool.imap(process, jobs, chunksize=4), **bar)


def build(src: Path, out: Path, opts: Options, force: bool = False, quiet: bool = False,
          source: str = "") -> dict[str, object]:
    """Build the corpus (module docstring) and return its report; :class:`CorpusError` for a
    problem with the command itself. ``source`` describes where ``src`` came from (default:
    its path)."""
    t0 = time.perf_counter()
    if not src.is_dir():
        raise CorpusError(f"no such folder: {src}")
    files, other = find_recordings(src)
    if not files:
        raise CorpusError(f"no recordings in {src} (looked for "
                          f"{', '.join(sorted(AUDIO_SUFFIXES))})")
    layout, why = (layouts.detect(files) if opts.layout == "auto"
                   else (opts.layout, "given with --layout"))
    try:
        reader = layouts.reader_for(layout, opts.voice_regex)
    except layouts.LayoutError as e:
        raise CorpusError(str(e)) from None
    tmp = _temporary_out(out, force)
    try:
        report = _build(src, tmp, files, other, reader, layout, why, opts, quiet, t0)
        report["source"] = source or str(src)
        (tmp / REPORT_NAME).write_text(json.dumps(report, indent=1) + "\n")
        write_readme(tmp, report, opts.languages, opts.licences)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report


def _build(src: Path, tmp: Path, files: list[PurePosixPath], other: int, reader: layouts.Reader,
           layout: str, why: str, opts: Options, quiet: bool, t0: float) -> dict[str, object]:
    jobs, unmatched = [], []
    for rel in files:
        ident = reader(rel)
        if ident is None:
            unmatched.append(str(rel))
        else:
            jobs.append(Job(src, rel, ident.voice, ident.label, tmp, opts))
    bad: dict[str, list[dict[str, str]]] = {r: [] for r in (*BAD_FILE_REASONS, "unmatched_layout")}
    bad["unmatched_layout"] = [{"path": p, "detail": f"not a {layout} path"} for p in unmatched]
    dropped: Counter[str] = Counter()
    seen: set[str] = set()
    kept: list[tuple[Outcome, str, int, int, int]] = []
    seconds = 0.0
    for o in _run(jobs, opts.jobs, quiet):
        seconds += o.seconds
        if o.bad is not None:
            bad[o.bad.reason].append({"path": str(o.rel), "detail": o.bad.detail})
            continue
        dropped.update(o.dropped)
        for name, k, frames, offset, digest in o.clips:
            if digest in seen:
                (tmp / name).unlink()
                dropped["duplicate"] += 1
                continue
            seen.add(digest)
            kept.append((o, name, k, frames, offset))
    if not kept:
        raise CorpusError(f"no usable clips in {src}: {bad_line(bad)}; dropped "
                          f"{dict(dropped)}")
    voices = sorted({o.voice for o, *_ in kept})
    unseen = _choose_unseen(voices, opts)
    splits, how = corpus_splits(sorted({(o.voice, str(o.rel)) for o, *_ in kept}), unseen,
                                opts.split_by)
    rows = [ClipRow(name, o.label, o.voice, k, splits[o.voice, str(o.rel)],
                    opts.rate, frames, opts.source, str(o.rel), offset / opts.rate,
                    lookup(opts.languages, o.voice), lookup(opts.licences, o.voice))
            for o, name, k, frames, offset in kept]
    write_manifest(tmp, rows)
    elapsed = time.perf_counter() - t0
    per_split = Counter(r.split for r in rows)
    return {
        "source": str(src), "layout": layout, "layout_reason": why, "split_method": how,
        "rate": opts.rate, "clip_seconds": opts.clip_seconds,
        "recordings": len(files), "other_files": other,
        "recordings_used": len({str(o.rel) for o, *_ in kept}),
        "voices": {v: sum(o.voice == v for o, *_ in kept) for v in voices},
        "unseen_voices": unseen,
        "clips": {s: per_split[s] for s in ALL_SPLITS},
        "dropped_clips": {k: dropped[k] for k in CLIP_DROPS},
        "bad_files": {k: len(v) for k, v in bad.items()},
        "bad_file_paths": {k: v for k, v in bad.items() if v},
        "audio_seconds_read": round(seconds, 2),
        "clip_seconds_kept": round(sum(r.num_frames for r in rows) / opts.rate, 2),
        "elapsed_seconds": round(elapsed, 2),
        "audio_seconds_per_second": round(seconds / max(elapsed, 1e-9), 1),
        "jobs": opts.jobs,
    }


def _choose_unseen(voices: list[str], opts: Options) -> list[str]:
    if opts.unseen is not None:
        unknown = sorted(set(opts.unseen) - set(voices))
        if unknown:
            raise CorpusError(f"--unseen names voices the corpus does not have: {unknown} "
                              f"(it has {', '.join(voices)})")
        return sorted(opts.unseen)
    count = opts.unseen_count
    if count < 0:
        count = 1 if len(voices) < 10 else max(1, round(len(voices) / 10))
    if len(voices) - count < 1:
        return []  # a single voice: nothing can be held out
    return unseen_voices(voices, count)


def _mapping(text: str | None, what: str) -> dict[str, str]:
    """``"VALUE"`` (every voice) or ``"voice=VALUE,voice=VALUE"``."""
    if not text:
        return {}
    if "=" not in text:
        return {"*": text}
    out = {}
    for item in text.split(","):
        voice, sep, value = item.partition("=")
        if not sep or not voice.strip():
            raise CorpusError(f"--{what} {text!r}: give VALUE or voice=VALUE,voice=VALUE")
        out[voice.strip()] = value.strip()
    return out


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, Options]:
    ap = argparse.ArgumentParser(prog="python -m data_scripts.make_corpus", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path, help="folder of recordings")
    ap.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    ap.add_argument("--layout", choices=layouts.LAYOUTS, default="auto",
                    help="how the voice is read from a path (default auto: detected)")
    ap.add_argument("--voice-regex", help="flat layout: regex on the relative path whose group "
                    "'voice' (or first group) is the voice")
    ap.add_argument("--clip-seconds", type=float, default=1.0, help="clip length (default 1)")
    ap.add_argument("--min-seconds", type=float, default=0.5,
                    help="shortest last piece of a recording kept as a clip (default 0.5)")
    ap.add_argument("--rate", type=int, default=16000, help="corpus sample rate (default 16000)")
    ap.add_argument("--split-by", choices=("auto", "speaker", "recording"), default="auto",
                    help="auto: speaker-disjoint with >= 10 voices, else by recording")
    ap.add_argument("--unseen", help="comma-separated voices held out whole as the unseen split")
    ap.add_argument("--unseen-count", type=int, default=-1,
                    help="voices held out, chosen by hash (default 1 under 10 voices, else 10 %%)")
    ap.add_argument("--language", help="language code of every voice, or voice=code,...")
    ap.add_argument("--licence", help="licence/provenance of every voice, or voice=text,...")
    ap.add_argument("--source-name", default=RECORDED_SOURCE,
                    help=f"the manifest's source column (default {RECORDED_SOURCE})")
    ap.add_argument("--allow-upsampling", action="store_true",
                    help="keep recordings below --rate (resampled up) instead of leaving them out")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--force", action="store_true", help="replace a corpus made by this command")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    a = ap.parse_args(argv)
    if a.clip_seconds <= 0 or a.min_seconds < 0 or a.rate < 1000 or a.jobs < 1:
        ap.error("need --clip-seconds > 0, --min-seconds >= 0, --rate >= 1000 and --jobs >= 1")
    unseen = tuple(v.strip() for v in a.unseen.split(",") if v.strip()) if a.unseen else None
    opts = Options(a.rate, a.clip_seconds, a.min_seconds, a.layout, a.voice_regex, a.split_by,
                   unseen, a.unseen_count, _mapping(a.language, "language"),
                   _mapping(a.licence, "licence"), a.source_name, a.allow_upsampling, a.jobs)
    return a, opts


def main(argv: list[str] | None = None) -> int:
    try:
        args, opts = parse_args(argv)
        report = build(args.src, args.out, opts, force=args.force, quiet=args.quiet)
    except CorpusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary(report, args.out))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
