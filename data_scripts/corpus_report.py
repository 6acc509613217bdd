"""What :mod:`data_scripts.make_corpus` says about a corpus: the printed summary, the corpus
README, and the name of its JSON report (``corpus_report.json``: every count, every bad file's
path and reason, the timing)."""

from __future__ import annotations

from pathlib import Path

from data_scripts.recording import DECODER_FIX

REPORT_NAME = "corpus_report.json"
SHOWN_PATHS = 10  # bad files listed per reason in the printed summary (all in the report)


def lookup(table: dict[str, str], voice: str) -> str:
    """``table[voice]``, else ``table["*"]`` (every voice), else empty."""
    return table.get(voice, table.get("*", ""))


def bad_line(bad: dict[str, list[dict[str, str]]]) -> str:
    return ", ".join(f"{k} {len(v)}" for k, v in bad.items()) or "none"


def summary(report: dict[str, object], out: Path) -> str:
    """What a user reads at the end: the layout, the clips per split, every bad file's path."""
    clips, drops = report["clips"], report["dropped_clips"]
    bad, paths = report["bad_files"], report["bad_file_paths"]
    assert isinstance(clips, dict) and isinstance(drops, dict)
    assert isinstance(bad, dict) and isinstance(paths, dict)
    lines = [
        f"layout: {report['layout']} ({report['layout_reason']})",
        f"read {report['recordings']} recordings ({report['audio_seconds_read']} s of audio) in "
        f"{report['elapsed_seconds']} s: {report['audio_seconds_per_second']} audio-s/s on "
        f"{report['jobs']} jobs",
        f"kept {sum(clips.values())} clips of {report['voices'] and len(report['voices'])} "  # type: ignore[arg-type]
        "voices: " + ", ".join(f"{s} {n}" for s, n in clips.items()),
        f"splits: {report['split_method']}",
        "dropped clips: " + ", ".join(f"{k} {v}" for k, v in drops.items()),
        "bad files: " + ", ".join(f"{k} {v}" for k, v in bad.items()),
    ]
    for reason, items in paths.items():
        shown = [f"  {reason}: {i['path']} ({i['detail']})" for i in items[:SHOWN_PATHS]]
        lines += shown
        if len(items) > SHOWN_PATHS:
            lines.append(f"  {reason}: ... {len(items) - SHOWN_PATHS} more in {REPORT_NAME}")
    if paths.get("no_decoder"):
        lines.append(f"to read them: {DECODER_FIX}")
    lines.append(f"corpus: {out} (report: {out / REPORT_NAME})")
    return "\n".join(lines)


def write_readme(root: Path, report: dict[str, object], languages: dict[str, str],
                 licences: dict[str, str]) -> None:
    """``root/README.md``: the source, the clips and splits, and per voice its language and
    licence."""
    voices = report["voices"]
    assert isinstance(voices, dict)
    rows = "\n".join(f"| {v} | {n} | {lookup(languages, v) or '-'} | "
                     f"{lookup(licences, v) or 'not given'} |" for v, n in voices.items())
    (root / "README.md").write_text(
        f"# Corpus made by data_scripts.make_corpus\n\nSource: `{report['source']}` "
        f"(layout {report['layout']}). Clips: {report['clips']} ({report['clip_seconds_kept']} s "
        f"of {report['clip_seconds']} s clips at {report['rate']} Hz, loudness-normalized to "
        f"-26 dBFS active level). Splits: {report['split_method']}.\n\n"
        f"| voice | clips | language | licence / provenance |\n|---|---|---|---|\n{rows}\n\n"
        f"Counts of bad files and dropped clips: `{REPORT_NAME}`; one row per clip with its "
        "source file and offset: `manifest.csv`.\n")
