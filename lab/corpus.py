"""Check a corpus before a run creates anything, and fingerprint its audio for the feature cache.

:func:`check_corpus` raises :class:`lab.config.ConfigError` (exit status 2 in every command,
before a run exists in the store) when ``root`` is not a corpus, or when any clip its manifest
lists is unusable. Each clip is read once and judged (:func:`clip_problem`):

* ``missing`` (no such file), ``empty`` (0 bytes or 0 samples), ``truncated`` (a WAV data chunk
  cut short, or fewer samples than the header declares), ``unreadable`` (not audio);
* ``wrong_rate``: the file's rate is not the manifest's (an 8 kHz file listed as 16 kHz would
  otherwise be resampled silently);
* ``changed_length``: not the manifest's number of samples;
* ``non_finite``: NaN or infinite samples;
* ``noise``: spectral flatness above :data:`data_scripts.segment.MAX_FLATNESS`, i.e. white
  noise, what random bytes behind a valid header decode to.

A check that passed is remembered in the feature cache folder under the corpus
:func:`fingerprint` (the manifest's bytes and every clip's size and modification time), so the
runs of a sweep pay for it once; changing, replacing or touching any clip checks it again.
The same per-clip ``(size, mtime_ns)`` go into the feature cache key (:mod:`lab.cache`), so an
overwritten clip is read again. Measured on the recorded corpus (6,027 clips): the fingerprint
``stat`` calls take about 0.02 s, a SHA-256 of the audio about 0.3 s (docs/data.md).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from data_scripts.manifest import MANIFEST_NAME, ClipRow, read_manifest
from data_scripts.recording import BadFile, decode
from data_scripts.segment import MAX_FLATNESS, flatness
from data_scripts.splits import SPLITS
from lab.config import ConfigError, RunConfig
from lab.dataset import unknown_words

SHOWN = 3  # bad clips named in the one-line error


def clip_stats(root: Path, rows: Iterable[ClipRow]) -> bytes:
    """``path size mtime_ns`` of each clip, one line each (``path missing`` when absent)."""
    lines = []
    for r in rows:
        try:
            st = os.stat(root / r.path)
            lines.append(f"{r.path} {st.st_size} {st.st_mtime_ns}")
        except OSError:
            lines.append(f"{r.path} missing")
    return "\n".join(lines).encode()


def fingerprint(root: Path, rows: list[ClipRow]) -> str:
    """SHA-256 of the manifest's bytes and :func:`clip_stats` of every row."""
    h = hashlib.sha256((root / MANIFEST_NAME).read_bytes())
    h.update(clip_stats(root, rows))
    return h.hexdigest()[:32]


def clip_problem(path: Path, row: ClipRow) -> tuple[str, str] | None:
    """``(reason, detail)`` when the clip is unusable (module docstring), else None; reading
    it is :func:`data_scripts.recording.decode`, the corpus builder's."""
    try:
        got = decode(path)
    except FileNotFoundError:
        return "missing", "no such file"
    except OSError as e:
        return "unreadable", e.strerror or str(e)
    if isinstance(got, BadFile):
        return got.reason, got.detail
    if got.rate != row.sample_rate:
        return "wrong_rate", f"{got.rate} Hz, listed as {row.sample_rate} Hz"
    if got.audio.shape[0] != row.num_frames:
        return "changed_length", f"{got.audio.shape[0]} samples, listed as {row.num_frames}"
    x = got.audio.mean(axis=1)
    flat = flatness(x, got.rate) if len(x) >= 256 and np.any(x) else 0.0
    if flat > MAX_FLATNESS:
        return "noise", f"flat spectrum ({flat:.2f}): random bytes, not speech"
    return None


def corpus_problems(root: Path, rows: list[ClipRow]) -> dict[str, list[tuple[str, str]]]:
    """Every unusable clip of ``rows``, by reason: ``{reason: [(path, detail), ...]}``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        problem = clip_problem(root / r.path, r)
        if problem is not None:
            out.setdefault(problem[0], []).append((r.path, problem[1]))
    return out


def _require_manifest(root: Path) -> None:
    if (root / MANIFEST_NAME).is_file():
        return
    why = "the folder has no " + MANIFEST_NAME if root.is_dir() else "no such folder"
    raise ConfigError(
        f"no corpus at {root} (data.root, --data): {why}. Make the recorded corpus with `make "
        f"data` (into data/recorded), the TTS one with `make data CORPUS=tts`, or your own with "
        f"`python -m data_scripts.make_corpus YOUR_FOLDER --out {root}`")


def check_corpus(root: Path, cache_dir: Path | None = None) -> None:
    """A :class:`ConfigError` when ``root`` is not a corpus or lists unusable clips (module
    docstring); a pass is remembered under ``cache_dir`` by the corpus fingerprint."""
    _require_manifest(root)
    try:
        rows = read_manifest(root)
    except ValueError as e:
        raise ConfigError(f"corpus {root}: {e}") from None
    marker = None
    if cache_dir is not None:
        marker = Path(cache_dir) / "checked" / f"{fingerprint(root, rows)}.json"
        if marker.is_file():
            return
    bad = corpus_problems(root, rows)
    if bad:
        n = sum(len(v) for v in bad.values())
        parts = [f"{reason} {len(items)} ("
                 + "; ".join(f"{p}: {d}" for p, d in items[:SHOWN])
                 + ("; ..." if len(items) > SHOWN else "") + ")" for reason, items in bad.items()]
        raise ConfigError(
            f"corpus {root} has {n} unusable clip{'s' if n > 1 else ''} of {len(rows)}: "
            + ", ".join(parts) + ". Replace or remove them (and their manifest.csv rows), or "
            "rebuild the corpus with data_scripts.make_corpus, which leaves bad files out")
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"root": str(root), "clips": len(rows)}) + "\n")
        except OSError:
            pass  # a read-only cache: the check runs again next time


def check_run_corpora(config: RunConfig) -> None:
    """:func:`check_corpus` of the run's corpus and of ``eval.cross_root`` when set."""
    cache = Path(config.data.cache_dir)
    for root in (config.data.root, config.eval.cross_root):
        if root:
            check_corpus(Path(root), cache)


def check_selection(root: Path, words: tuple[str, ...]) -> None:
    """A :class:`ConfigError` when ``data.words`` names a word the corpus does not have, or
    leaves a split the run needs (training, validation, testing) without clips. The CLIs check
    it before anything starts; a run given such a selection anyway fails when it loads its
    data (FAILED with the reason), like any run of a sweep."""
    rows = read_manifest(root)
    available = sorted({r.word for r in rows})
    if words and set(words) - set(available):
        raise ConfigError(f"{unknown_words(words, available)}: {root}")
    chosen = set(words or available)
    empty = [s for s in SPLITS if not any(r.split == s and r.word in chosen for r in rows)]
    if empty:
        raise ConfigError(f"corpus {root} has no clips of the selected words in its "
                          f"{' and '.join(empty)} split{'s' if len(empty) > 1 else ''}: a run "
                          f"trains, validates and tests; choose other data.words or rebuild the "
                          f"corpus's splits")
