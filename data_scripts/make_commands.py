"""Synthesize an offline Speech-Commands-style corpus from several speech engines.

Output, in the layout of Google Speech Commands (Warden 2018)::

    OUT/<word>/<speaker>_nohash_<n>.wav   16-bit PCM, 16 kHz, mono, exactly 1 s
    OUT/validation_list.txt, testing_list.txt   by the official hash rule (data_scripts.splits)
    OUT/_background_noise_/*.wav          white, pink and brown noise, 30 s each
    OUT/speakers.json                     each speaker's engine, voice and parameters
    OUT/manifest.csv                      one row per clip (data_scripts.manifest)

Each speaker is one engine voice with its own rate, pitch and vocal-tract factor; each clip
jitters rate and pitch, is placed in 1 s with a +-100 ms shift, goes through a band-limited
"microphone" (half of the clips) and a small room (30 %), gets white/pink/brown noise at
15-40 dB SNR and a peak level of -18 to -1 dBFS (docs/data.md). A clip is a pure function of
(seed, speaker, word, repetition), so the same seed and package versions give byte-identical
files whatever the number of jobs.

Example: ``python -m data_scripts.make_commands --out data/commands --speakers 100``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from data_scripts import effects
from data_scripts.engines import ENGINES, EngineMissingError, check_engines, synthesize
from data_scripts.manifest import ClipRow, write_manifest
from data_scripts.splits import SPLITS, draw_speaker_ids, which_set
from data_scripts.voices import Speaker, draw_speaker

SAMPLE_RATE = 16000
CORE_WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
NOISE_COLORS = ("white", "pink", "brown")


@dataclass(frozen=True)
class Job:
    """All clips of one speaker."""

    out: Path
    speaker: Speaker
    index: int
    words: tuple[str, ...]
    repetitions: int
    seed: int


def _clip_rng(job: Job, word_index: int, rep: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([job.seed, job.index, word_index, rep, stage])


def render(raw: effects.Audio, sr: int, speaker: Speaker, rng: np.random.Generator
           ) -> effects.Audio:
    """A clean engine word -> a 1 s, 16 kHz clip with room, microphone, noise and level."""
    x = effects.resample(raw, sr * speaker.vocal_tract, SAMPLE_RATE)
    speech = effects.trim_silence(x)
    shift = int(rng.uniform(-0.1, 0.1) * SAMPLE_RATE)
    y = effects.place(speech, SAMPLE_RATE, shift)
    if rng.random() < 0.3:
        y = effects.room(y, SAMPLE_RATE, rng)
    if rng.random() < 0.5:
        y = effects.microphone(y, SAMPLE_RATE, rng)
    y = effects.add_noise(y, rng.uniform(15.0, 40.0), str(rng.choice(NOISE_COLORS)), rng,
                          speech=speech)
    return effects.set_peak(y, rng.uniform(-18.0, -1.0))


def run_job(job: Job) -> list[ClipRow]:
    """Synthesize, render and write every clip of one speaker."""
    spk = job.speaker
    keys = [(w, word, r) for w, word in enumerate(job.words) for r in range(job.repetitions)]
    items = [spk.utterance(word, _clip_rng(job, w, r, 0)) for w, word, r in keys]
    raws = synthesize(spk.engine, spk.voice, items, spk.base_rate, spk.base_pitch)
    rows = []
    for (w, word, r), (raw, sr) in zip(keys, raws, strict=True):
        if raw.size == 0:
            raise RuntimeError(f"{spk.engine} voice {spk.voice} produced no audio for {word!r}")
        clip = render(raw, sr, spk, _clip_rng(job, w, r, 1))
        rel = f"{word}/{spk.id}_nohash_{r}.wav"
        path = job.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, np.clip(clip, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
        rows.append(ClipRow(rel, word, spk.id, r, which_set(rel), SAMPLE_RATE, len(clip),
                            spk.engine))
    return rows


def write_background_noise(out: Path, seed: int, seconds: int = 30) -> None:
    folder = out / "_background_noise_"
    folder.mkdir(parents=True, exist_ok=True)
    for k, color in enumerate(NOISE_COLORS):
        rng = np.random.default_rng([seed, 10**6, k])
        noise = effects.colored_noise(seconds * SAMPLE_RATE, color, rng)
        sf.write(folder / f"{color}_noise.wav", effects.set_peak(noise, -6.0), SAMPLE_RATE,
                 subtype="PCM_16")


def write_lists(out: Path, rows: list[ClipRow]) -> None:
    for split, name in (("validation", "validation_list.txt"), ("testing", "testing_list.txt")):
        paths = sorted(r.path for r in rows if r.split == split)
        (out / name).write_text("".join(p + "\n" for p in paths))


def summary(rows: list[ClipRow], speakers: list[Speaker], seconds: float) -> str:
    words = sorted({r.word for r in rows})
    counts = Counter((r.word, r.split) for r in rows)
    lines = [f"{'word':<10}" + "".join(f"{s:>12}" for s in SPLITS)]
    for word in words:
        lines.append(f"{word:<10}" + "".join(f"{counts[word, s]:>12}" for s in SPLITS))
    per_split = Counter(r.split for r in rows)
    spk_split = Counter(which_set(s.id) for s in speakers)
    lines.append(f"{'total':<10}" + "".join(f"{per_split[s]:>12}" for s in SPLITS))
    lines.append(f"{'speakers':<10}" + "".join(f"{spk_split[s]:>12}" for s in SPLITS))
    engines = Counter(s.engine for s in speakers)
    audio = sum(r.num_frames for r in rows) / SAMPLE_RATE
    lines.append(f"{len(rows)} clips, {audio / 60:.1f} min of audio, made in {seconds:.1f} s; "
                 "engines (speakers): " + ", ".join(f"{e} {n}" for e, n in sorted(engines.items())))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m data_scripts.make_commands", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    ap.add_argument("--words", default=",".join(CORE_WORDS),
                    help="comma-separated words (default: the ten core commands)")
    ap.add_argument("--digits", action="store_true", help="add the ten digits zero..nine")
    ap.add_argument("--speakers", type=int, default=100, help="number of speakers (default 100)")
    ap.add_argument("--repetitions", type=int, default=3,
                    help="utterances of each word per speaker (default 3)")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help=f"comma-separated engines (default all: {','.join(ENGINES)})")
    ap.add_argument("--allow-missing-engines", action="store_true",
                    help="use the installed engines only, instead of failing")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--jobs", type=int, default=max(1, mp.cpu_count()),
                    help="worker processes (default: one per CPU)")
    ap.add_argument("--force", action="store_true",
                    help="replace OUT if it holds a corpus made by this command")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    words = [w.strip() for w in args.words.split(",") if w.strip()]
    if args.digits:
        words += [d for d in DIGITS if d not in words]
    if not words or len(set(words)) != len(words):
        ap.error(f"--words must be distinct non-empty words, got {args.words!r}")
    bad = [w for w in words if not w.isalpha()]
    if bad:
        ap.error(f"words must be letters only (they name folders): {bad}")
    if args.speakers < 3:
        ap.error("--speakers must be at least 3 (every split needs a speaker)")
    if args.repetitions < 1 or args.jobs < 1:
        ap.error("--repetitions and --jobs must be at least 1")
    args.word_list = tuple(words)
    return args


def prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"error: {out} exists and is not empty (use --force to replace a "
                             "corpus made by this command)")
        if not (out / "speakers.json").is_file():
            raise SystemExit(f"error: {out} does not look like a corpus made by this command "
                             "(no speakers.json); refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        engines = check_engines(tuple(e.strip() for e in args.engines.split(",")),
                                args.allow_missing_engines)
    except (EngineMissingError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    prepare_out(args.out, args.force)
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    ids = draw_speaker_ids(args.speakers, rng)
    speakers = [draw_speaker(sid, i, engines, np.random.default_rng([args.seed, i, 10**6]))
                for i, sid in enumerate(ids)]
    jobs = [Job(args.out, s, i, args.word_list, args.repetitions, args.seed)
            for i, s in enumerate(speakers)]
    rows: list[ClipRow] = []
    total = len(jobs) * len(args.word_list) * args.repetitions
    with tqdm(total=total, unit="clip", disable=args.quiet, desc="synthesizing") as bar:
        if args.jobs == 1:
            results = map(run_job, jobs)
            for r in results:
                rows += r
                bar.update(len(r))
        else:
            with mp.get_context("spawn").Pool(args.jobs) as pool:
                for r in pool.imap_unordered(run_job, jobs):
                    rows += r
                    bar.update(len(r))
    write_background_noise(args.out, args.seed)
    write_lists(args.out, rows)
    (args.out / "speakers.json").write_text(
        json.dumps([s.to_json() for s in speakers], indent=1) + "\n")
    write_manifest(args.out, rows)
    print(summary(rows, speakers, time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
