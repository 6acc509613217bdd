"""A classical codec as a tracked run, with the metric names of every other run.

One run = one codec setting (:class:`lab.codecs.Codec`) on the clips the trained runs of the same
config score (:mod:`lab.eval_sets`): ``test/*`` (:func:`lab.metrics.summarize`), and ``unseen/*``
and ``cross/*`` where the corpus has unseen voices or ``eval.cross_root`` is set, ``prompt/*`` on
``eval.prompts`` whole prompts (each coded whole); ``rate/nominal_bps`` (the codec's setting) and
``rate/measured_bps`` (the coded payload's bits per second, mean over clips), the
``data/*`` corpus metrics (:func:`lab.data.corpus_metrics`), and the first ``eval.examples``
clips as ``examples/<i>_reference.wav`` / ``<i>_recon.wav`` (the trained runs' layout). Params:
``model.domain=codec``, ``model.bottleneck=<codec>``, ``codec.name``, ``codec.setting``, the
``data.*`` and ``eval.test_clips`` keys, ``run_key``; tags as for training runs. A run FINISHED
with the same key is skipped. The run key hashes the codec and the data selection.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import multiprocessing as mp
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lab.artifacts import write_examples
from lab.codecs import Codec, roundtrip
from lab.config import RunConfig, from_dict, leaves, param_values, to_dict
from lab.corpus import check_run_corpora
from lab.data import corpus_metrics
from lab.eval_sets import eval_sets, prompt_waves, waves
from lab.metrics import clip_metrics, summarize
from lab.progress import progress as progress_bar
from lab.tracking import Tracker
from lab.train import RunResult, git_state

log = logging.getLogger(__name__)


def codec_key(codec: Codec, config: RunConfig) -> str:
    data = {k: v for k, v in leaves(config.data).items() if k != "cache_dir"}
    extra = {"cross_root": str(Path(config.eval.cross_root).resolve())} if (
        config.eval.cross_root) else {}
    if config.eval.prompts:
        extra["prompts"] = str(config.eval.prompts)
    blob = json.dumps({"codec": [codec.name, codec.setting], "data": data, **extra,
                       "test_clips": config.eval.test_clips,
                       "sample_rate": config.features.sample_rate}, sort_keys=True, default=list)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def codec_run(codec: Codec, config: RunConfig, tracker: Tracker,
              progress: bool = True) -> RunResult:
    key, name = codec_key(codec, config), codec.label
    done = tracker.finished(key)
    if done is not None:
        return RunResult(key, name, "SKIPPED", run_id=done)
    params: dict[str, object] = param_values(config.data, "data.")
    params.update({"model.domain": "codec", "model.bottleneck": codec.name,
                   "codec.name": codec.name, "codec.setting": codec.setting,
                   "eval.test_clips": config.eval.test_clips,
                   "eval.cross_root": config.eval.cross_root, "eval.prompts": config.eval.prompts,
                   "run_key": key})
    check_run_corpora(config)  # before the run exists in the store
    tags = tracker.run_tags(key, config.tracking.profile, git_state(), config.tracking.command)
    tracker.start(name, tags, params)
    result = RunResult(key, name, "FAILED", run_id=tracker.run_id or "")
    try:
        sr = config.features.sample_rate
        metrics: dict[str, float] = {}
        scored: dict[str, int] = {}
        examples: list[tuple[torch.Tensor, torch.Tensor]] = []
        rates: list[float] = []
        for s in eval_sets(config):  # the clips (prompts) the trained runs score, set by set
            clips = []
            items = prompt_waves(s, config) if s.whole else list(waves(s, config))
            for wave_t in progress_bar(items, desc=f"{name} {s.prefix}",
                                       unit="prompt" if s.whole else "clip",
                                       disable=not progress, leave=False):
                wave = wave_t.double().numpy()
                decoded, bps = roundtrip(wave, sr, codec)
                pair = (torch.from_numpy(wave), torch.from_numpy(decoded))
                clips.append(clip_metrics(*pair, sr, s.metrics))
                if s.prefix == "test":
                    rates.append(bps)
                    if len(examples) < config.eval.examples:  # the trained runs' first clips
                        examples.append(pair)
            metrics.update(summarize(clips, s.prefix, s.metrics))
            scored[s.prefix] = len(clips)
        metrics["rate/nominal_bps"] = codec.nominal_bps
        metrics["rate/measured_bps"] = float(np.mean(rates))
        metrics.update(corpus_metrics(config, **scored))
        tracker.log(metrics, 0)
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_examples(examples, Path(tmp) / "examples", sr):
                tracker.artifact(path, "examples")
    except Exception as err:
        result.reason = f"{type(err).__name__}: {err}"
        log.error("codec run %s failed: %s\n%s", name, result.reason, traceback.format_exc())
        tracker.finish("FAILED", result.reason)
        return result
    tracker.finish("FINISHED")
    result.status, result.metrics = "FINISHED", metrics
    return result


def _codec_in_worker(name: str, setting: str, config: dict[str, Any]) -> RunResult:
    """One codec run in a worker process (its own tracker on the shared store)."""
    cfg = from_dict(config)
    t = cfg.tracking
    torch.set_num_threads(1)
    return codec_run(Codec(name, setting), cfg, Tracker(t.uri, t.runs_dir, t.experiment, t.wandb),
                     progress=False)


def codec_runs(codecs: Sequence[Codec], config: RunConfig, jobs: int = 1,
               progress: bool = True) -> list[RunResult]:
    """:func:`codec_run` of each codec, ``jobs`` at once (worker processes; a codec's clips
    are coded one by one, so two codecs at a time use two cores), in ``codecs``' order."""
    t = config.tracking
    if jobs <= 1 or len(codecs) <= 1:
        tracker = Tracker(t.uri, t.runs_dir, t.experiment, t.wandb)
        return [codec_run(c, config, tracker, progress) for c in codecs]
    Tracker(t.uri, t.runs_dir, t.experiment, t.wandb)  # the store and experiment, made once
    data = to_dict(config)
    with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(_codec_in_worker, c.name, c.setting, data) for c in codecs]
        bar = progress_bar(cf.as_completed(futures), total=len(futures), desc="codecs",
                           unit="run", disable=not progress)
        for _ in bar:
            pass
        return [f.result() for f in futures]
