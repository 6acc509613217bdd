"""The clip sets every model and codec is scored on, each under its own metric prefix.

==========  ==========================================  ===================================
prefix      clips                                       answers
==========  ==========================================  ===================================
``test``    the corpus's ``testing`` split              in-domain quality
``unseen``  the corpus's ``unseen`` split, when it has  quality on voices never trained or
            one (:mod:`data_scripts.make_corpus`)       tuned on
``cross``   ``eval.cross_root``'s ``testing`` split     quality on another corpus (recorded
            (when set, e.g. ``data/tts``)               speech for a TTS-trained model, back)
``prompt``  ``eval.prompts`` whole prompts of the       quality on whole recordings, as a
            ``testing`` split (:mod:`lab.prompts`),     user's files are scored (chunked
            when its manifest names the recordings      overlap-add, one item per prompt)
==========  ==========================================  ===================================

Each set of clips takes ``data.max_eval_clips`` clips evenly spread over its manifest rows, then
``eval.test_clips`` of those (0: all), as the test split always did, so a trained run and a codec
baseline score exactly the same clips (and the same prompts). The ``data.words`` filter applies to
the run's own corpus only; the cross corpus is scored whole (its words are other words). The test
split is scored on every metric; the others on :data:`lab.metrics.GENERALIZATION_METRICS`
(SI-SDR, SNR, PESQ-WB, STOI), the columns the generalization table and verdicts read, at about
40 % of the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from data_scripts.manifest import read_manifest
from data_scripts.splits import UNSEEN
from lab.config import RunConfig
from lab.data import split_dataset, spread
from lab.dataset import ManifestDataset
from lab.metrics import ALL_METRICS, GENERALIZATION_METRICS
from lab.prompts import find_prompts, read_prompt, select


@dataclass(frozen=True)
class EvalSet:
    """One set of the module docstring: where its clips are and what they are scored on."""

    prefix: str  # test | unseen | cross
    root: Path
    split: str
    words: tuple[str, ...] | None  # None: every word
    metrics: tuple[str, ...] = ALL_METRICS  # what each clip is scored on
    whole: bool = False  # items are whole prompts (:mod:`lab.prompts`), not clips


def eval_sets(config: RunConfig) -> list[EvalSet]:
    """``test``, then ``unseen`` if the corpus has that split, ``cross`` if configured, and
    ``prompt`` if ``eval.prompts`` > 0 and the test split has prompts."""
    root, words = Path(config.data.root), config.data.words or None
    sets = [EvalSet("test", root, "testing", words)]
    if any(r.split == UNSEEN for r in read_manifest(root)):
        sets.append(EvalSet("unseen", root, UNSEEN, words, GENERALIZATION_METRICS))
    if config.eval.cross_root:
        sets.append(EvalSet("cross", Path(config.eval.cross_root), "testing", None,
                            GENERALIZATION_METRICS))
    if config.eval.prompts and find_prompts(root, "testing", words):
        sets.append(EvalSet("prompt", root, "testing", words, GENERALIZATION_METRICS, True))
    return sets


def dataset(s: EvalSet, config: RunConfig) -> ManifestDataset:
    """The set's clips (before ``eval.test_clips``) at the features' rate, 1 clip long."""
    return split_dataset(config, s.split, config.data.max_eval_clips, s.root, s.words)


def waves(s: EvalSet, config: RunConfig) -> Tensor:
    """The scored clips, ``(N, L)`` (a set of clips)."""
    if s.whole:
        raise ValueError(f"the {s.prefix} set holds whole prompts: use prompt_waves")
    ds = dataset(s, config)
    return torch.stack([ds[int(i)][0] for i in spread(len(ds), config.eval.test_clips)])


def prompt_waves(s: EvalSet, config: RunConfig) -> list[Tensor]:
    """The scored prompts of a ``whole`` set, each ``(L,)`` at the features' rate."""
    chosen = select(find_prompts(s.root, s.split, s.words), config.eval.prompts)
    return [read_prompt(s.root, p, config.features.sample_rate) for p in chosen]
