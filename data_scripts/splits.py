"""The official Speech Commands split rule, and speaker ids that give every split speakers.

Rule (TensorFlow ``speech_commands/input_data.py``, ``which_set``; Warden 2018): the name is the
file's basename with everything from ``_nohash_`` removed (the speaker id), and

    p = (int(sha1(name), 16) mod 2^27) * 100 / (2^27 - 1)

goes to ``validation`` if ``p < 10``, to ``testing`` if ``p < 20``, else to ``training``. Clips of
one speaker always land in one split, so the splits are speaker-disjoint.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath
from typing import Literal

import numpy as np

Split = Literal["training", "validation", "testing"]
SPLITS: tuple[Split, ...] = ("training", "validation", "testing")
UNSEEN = "unseen"  # whole voices never used in training or validation (data_scripts.make_corpus)
ALL_SPLITS: tuple[str, ...] = (*SPLITS, UNSEEN)
MAX_NUM_WAVS_PER_CLASS = 2**27 - 1
VALIDATION_PERCENT = 10.0
TESTING_PERCENT = 10.0


def hash_name(path: str | PurePath) -> str:
    """The part of a clip's basename that the rule hashes: the speaker id."""
    return re.sub(r"_nohash_.*$", "", PurePath(path).name)


def split_percentage(name: str) -> float:
    """``p`` of the rule for a hash name, in ``[0, 100]``."""
    digest = int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16)
    return (digest % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)


def which_set(path: str | PurePath, validation_percent: float = VALIDATION_PERCENT,
              testing_percent: float = TESTING_PERCENT) -> Split:
    """The split of a clip by the official hash rule."""
    p = split_percentage(hash_name(path))
    if p < validation_percent:
        return "validation"
    if p < validation_percent + testing_percent:
        return "testing"
    return "training"


def speaker_quota(n_speakers: int) -> dict[Split, int]:
    """Speakers per split: about 10 % / 10 % / 80 %, at least one in each."""
    if n_speakers < 3:
        raise ValueError(f"need at least 3 speakers so that every split has one, got {n_speakers}")
    n_val = max(1, round(n_speakers * VALIDATION_PERCENT / 100))
    n_test = max(1, round(n_speakers * TESTING_PERCENT / 100))
    return {"training": n_speakers - n_val - n_test, "validation": n_val, "testing": n_test}


def draw_speaker_ids(n_speakers: int, rng: np.random.Generator) -> list[str]:
    """``n_speakers`` distinct 8-hex-digit ids (like the dataset's) filling :func:`speaker_quota`.

    Ids are drawn at random and kept while their split (by the hash rule) still has room, so the
    official rule, applied to the files later, gives every split its speakers.
    """
    quota = speaker_quota(n_speakers)
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n_speakers:
        sid = f"{int(rng.integers(0, 2**32)):08x}"
        split = which_set(sid)
        if sid in seen or quota[split] == 0:
            continue
        seen.add(sid)
        quota[split] -= 1
        ids.append(sid)
    return ids


SPEAKER_SPLIT_MIN_VOICES = 10  # below this, splits are by recording (few voices: see below)


def _rule(p: float) -> Split:
    if p < VALIDATION_PERCENT:
        return "validation"
    if p < VALIDATION_PERCENT + TESTING_PERCENT:
        return "testing"
    return "training"


def hash_assign(names: list[str]) -> dict[str, Split]:
    """The official rule's split for each name (hashed whole), nudged so that with at least
    three names no split is empty: an empty one takes the name of the largest split whose ``p``
    lies nearest its interval."""
    p = {n: split_percentage(n) for n in names}
    out: dict[str, Split] = {n: _rule(p[n]) for n in names}
    if len(names) < 3:
        return out
    centre: tuple[tuple[Split, float], ...] = (
        ("validation", VALIDATION_PERCENT / 2),
        ("testing", VALIDATION_PERCENT + TESTING_PERCENT / 2))
    for split, c in centre:
        if split in out.values():
            continue
        counts = {s: sum(v == s for v in out.values()) for s in SPLITS}
        donor = max((s for s in SPLITS if counts[s] > 1), key=lambda s: counts[s])
        name = min((n for n in names if out[n] == donor), key=lambda n: abs(p[n] - c))
        out[name] = split
    return out


def unseen_voices(voices: list[str], count: int) -> list[str]:
    """``count`` voices to hold out, the same for the same voices: those of largest ``p``."""
    return sorted(sorted(voices, key=split_percentage, reverse=True)[:count])


def corpus_splits(recordings: list[tuple[str, str]], unseen: list[str], split_by: str
                  ) -> tuple[dict[tuple[str, str], str], str]:
    """The split of every ``(voice, recording)`` and a sentence saying how it was made.

    Voices in ``unseen`` go whole to :data:`UNSEEN`. The others: ``split_by="speaker"`` hashes
    the voice (speaker-disjoint, the official rule; needs three voices), ``"recording"`` hashes
    ``voice/recording`` (recording-disjoint: for corpora with a few voices, each voice then
    appears in training, validation and testing with different recordings), ``"auto"`` is
    speaker with at least :data:`SPEAKER_SPLIT_MIN_VOICES` voices left, else recording. A
    recording is one key, so the same recording never lands in two splits.
    """
    rest = sorted({v for v, _ in recordings} - set(unseen))
    if split_by == "auto":
        split_by = "speaker" if len(rest) >= SPEAKER_SPLIT_MIN_VOICES else "recording"
    out: dict[tuple[str, str], str] = {}
    if split_by == "speaker":
        if len(rest) < 3:
            raise ValueError(f"a speaker-disjoint split needs 3 voices outside the unseen ones, "
                             f"got {len(rest)}: use --split-by recording")
        by_voice = hash_assign(rest)
        for v, r in recordings:
            out[v, r] = UNSEEN if v in unseen else by_voice[v]
        how = f"speaker-disjoint (hash rule on {len(rest)} voices)"
    elif split_by == "recording":
        keys = sorted({f"{v}/{r}" for v, r in recordings if v not in unseen})
        by_rec = hash_assign(keys)
        for v, r in recordings:
            out[v, r] = UNSEEN if v in unseen else by_rec[f"{v}/{r}"]
        how = (f"recording-disjoint (hash rule on {len(keys)} recordings of {len(rest)} "
               f"voices)")
    else:
        raise ValueError(f"split_by must be auto, speaker or recording, got {split_by!r}")
    if unseen:
        how += f"; unseen voices: {', '.join(unseen)}"
    return out, how
