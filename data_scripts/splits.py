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
