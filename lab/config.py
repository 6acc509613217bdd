"""One base config for every run, overridden from the command line as ``key=value``.

A :class:`RunConfig` is a tree of frozen dataclasses (data, features, model, vq, vae, loss,
optim, eval, tracking); every leaf has a dotted path (``model.domain``, ``vq.codebook_size``,
``features.representation``, ``seed``, ...). :func:`apply_overrides` parses ``key=value`` strings
against the fields' type hints (int, float, bool, str, ``Literal`` choices, tuples of strings as
comma-separated lists, ``None`` for optional fields) and rebuilds the frozen tree; an unknown key
or a bad value raises :class:`ConfigError` naming the key and what is allowed, before any work
starts.

:func:`run_key` hashes the resolved config (seed included; tracking destination and device
excluded: they say where a run is logged and computed, not what it is), so a run has one
identity across executors, reruns and ablations.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lab.features import FeatureConfig
from lab.losses import LossConfig

Domain = Literal["real", "complex"]
BottleneckKind = Literal["none", "vae", "vq"]
Twin = Literal["none", "params", "flops"]
WandbMode = Literal["off", "offline", "online"]


class ConfigError(ValueError):
    """A bad config key or value (raised before any work starts)."""


@dataclass(frozen=True)
class DataConfig:
    """Which clips: a corpus made by ``data_scripts`` (its ``manifest.csv``)."""

    root: str = "data/commands"  # the corpus folder (its manifest.csv), made by `make data`
    words: tuple[str, ...] = ()  # empty: every word of the corpus
    max_train_clips: int = 0  # 0: all
    max_eval_clips: int = 0  # per split (validation, test); 0: all
    cache_dir: str = "data/cache"  # computed features, shared by the runs of a sweep
    normalize: bool = True  # per-frequency statistics of the training split (False: the seed's way)


@dataclass(frozen=True)
class ModelConfig:
    """The autoencoder (:class:`vq.autoencoder.AutoencoderConfig`'s sizes).

    ``twin``: ``params`` or ``flops`` turns the complex model described here into its parameter-
    or FLOP-matched real twin on planar input (:mod:`vq.twins`). ``preset``: a named config of
    :data:`vq.presets.PRESETS` whose sizes replace these (e.g. ``seed_vqvae``).
    """

    domain: Domain = "complex"  # complex-valued layers, or real ones
    arch: Literal["frames", "conv2d"] = "frames"  # frequency as channels, or 2-D convolutions
    groups: int = 8  # frames: latent vectors per latent frame
    bottleneck: BottleneckKind = "vq"  # none: plain autoencoder; vae; vq: vector quantizer
    width: int = 64  # channels of the first stage
    latent_dim: int = 2  # size of one latent vector (one code)
    stages: int = 0  # frames: time downsampling stages (conv2d: both axes, >= 1)
    growth: int = 2  # channel factor per stage
    res_blocks: int = 2  # residual blocks per stage
    norm: Literal["whiten", "naive"] = "whiten"  # complex batch norm: Trabelsi or per part
    twin: Twin = "none"  # params | flops: the matched real twin on planar input
    preset: Literal["", "seed_vqvae"] = ""  # a named model whose sizes replace these


@dataclass(frozen=True)
class VQConfig:
    codebook_size: int = 256  # K codes (log2 K bits per latent vector)
    commitment: float = 0.25  # weight of the commitment loss
    ema_decay: float = 0.99  # codebook update by exponential moving average, in (0, 1)

    def __post_init__(self) -> None:
        if self.codebook_size < 2:
            raise ValueError(f"codebook_size must be >= 2, got {self.codebook_size}")
        if not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {self.ema_decay}")
        if not self.commitment >= 0:
            raise ValueError(f"commitment must be >= 0, got {self.commitment}")


@dataclass(frozen=True)
class VAEConfig:
    beta: float = 1.0  # weight of the KL term


@dataclass(frozen=True)
class OptimConfig:
    optimizer: Literal["adam", "adamw"] = "adam"
    lr: float = 2e-4  # peak learning rate
    weight_decay: float = 0.0
    batch_size: int = 16  # training clips per step
    steps: int = 2000  # training steps
    warmup_steps: int = 0  # linear warm-up of the learning rate
    schedule: Literal["constant", "cosine"] = "cosine"  # of the rate after the warm-up
    grad_clip: float = 1.0  # max global gradient norm; 0: off

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if self.steps < 1 or self.batch_size < 1 or self.warmup_steps < 0:
            raise ValueError("need steps >= 1, batch_size >= 1 and warmup_steps >= 0")
        if not (math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise ValueError(f"grad_clip must be >= 0 (0: off), got {self.grad_clip}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")


@dataclass(frozen=True)
class EvalConfig:
    val_every: int = 200  # steps; also how often a checkpoint is written
    log_every: int = 10  # steps per logged training point (means over the interval)
    val_clips: int = 64  # validation clips per check (0: all)
    test_clips: int = 0  # 0: the whole test split
    examples: int = 3  # reconstructed clips logged as WAV and figures
    batch_size: int = 16  # clips per evaluation batch

    def __post_init__(self) -> None:
        if min(self.val_every, self.log_every, self.batch_size) < 1:
            raise ValueError("need val_every, log_every and batch_size >= 1")
        if min(self.val_clips, self.test_clips, self.examples) < 0:
            raise ValueError("val_clips, test_clips and examples must be >= 0")


@dataclass(frozen=True)
class TrackingConfig:
    uri: str = ""  # empty: sqlite:///<abs runs dir>/mlflow.db
    runs_dir: str = "runs"  # the embedded store, artifacts, checkpoints (--runs-dir)
    experiment: str = "default"  # the ablation's name
    run_name: str = ""  # empty: made from the config (e.g. complex-vq256-s0)
    wandb: WandbMode = "off"  # mirror to Weights & Biases (online: WANDB_API_KEY)
    profile: str = ""  # the profile that made the config (a tag)
    command: str = ""  # the command line that launched the run (a tag; not part of the run key)


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0  # of the model's initialization and the batch order
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: CUDA when present
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    vq: VQConfig = field(default_factory=VQConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be in [0, 2^31), got {self.seed}")


NOT_IN_KEY = ("tracking", "device")  # where a run is logged and computed, not what it is


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def leaves(config: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a config tree by dotted path."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        path = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            out.update(leaves(value, path + "."))
        else:
            out[path] = value
    return out


def param_values(config: Any, prefix: str = "") -> dict[str, Any]:
    """:func:`leaves` as tracking params: tuples as comma-separated strings (as overrides spell
    them)."""
    return {k: ",".join(v) if isinstance(v, tuple) else v
            for k, v in leaves(config, prefix).items()}


def describe(tp: Any) -> str:
    """A field type as a user reads it (``int``, ``one of 'real', 'complex'``, ...)."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(describe(a) for a in typing.get_args(tp))
    if origin is tuple:
        return "a comma-separated list"
    if tp is type(None):
        return "none"
    return getattr(tp, "__name__", str(tp))


def _parse(tp: Any, text: str) -> Any:
    """``text`` as a value of type ``tp``; ValueError when it is not one."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        for arg in typing.get_args(tp):
            try:
                return _parse(arg, text)
            except ValueError:
                continue
        raise ValueError
    if tp is type(None):
        if text.lower() in ("none", "null", ""):
            return None
        raise ValueError
    if origin is Literal:
        for choice in typing.get_args(tp):
            if str(choice) == text:
                return choice
        raise ValueError
    if origin is tuple:
        return tuple(s.strip() for s in text.split(",") if s.strip())
    if tp is bool:
        if text.lower() in ("true", "1", "yes", "on"):
            return True
        if text.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError
    if tp is int:
        return int(text)
    if tp is float:
        return float(text)
    if tp is str:
        return text
    raise ValueError


def _tree(config: Any) -> dict[str, Any]:
    """A config as nested dicts of field values (sections become dicts, leaves stay as is)."""
    return {f.name: (_tree(v) if dataclasses.is_dataclass(v := getattr(config, f.name)) else v)
            for f in dataclasses.fields(config)}


def _nearest(word: str, words: list[str], cutoff: float = 0.75) -> list[str]:
    """The words of ``words`` most similar to ``word`` (difflib's ratio at least ``cutoff``,
    and within 0.02 of the best one's)."""
    scored = sorted(((difflib.SequenceMatcher(None, word, w).ratio(), w) for w in words),
                    reverse=True)
    if not scored or scored[0][0] < cutoff:
        return []
    return [w for r, w in scored if r >= max(cutoff, scored[0][0] - 0.02)]


def suggest(key: str, keys: list[str]) -> list[str]:
    """The keys nearest to a mistyped dotted ``key``, best first: by the whole path
    (``model.widht`` -> ``model.width``), else by its last part (``widht`` -> ``model.width``);
    empty when none is close."""
    near = _nearest(key, keys)
    if near:
        return near[:3]
    by_last: dict[str, list[str]] = {}
    for k in keys:
        by_last.setdefault(k.rpartition(".")[2], []).append(k)
    return [k for t in _nearest(key.rpartition(".")[2], list(by_last)) for k in by_last[t]][:3]


def unknown_key(full: str, config: Any) -> ConfigError:
    """The error for an unknown dotted key: the nearest valid keys, else the keys of its
    section (or every key), and where to see them all."""
    keys = list(leaves(config))
    near = suggest(full, keys)
    section = full.partition(".")[0]
    mine = sorted(k for k in keys if k.startswith(section + "."))
    if near:
        hint = f"did you mean {' or '.join(near)}?"
    elif mine:
        hint = f"the keys of {section}: {', '.join(mine)}"
    else:
        sections = sorted({k.partition('.')[0] for k in keys if "." in k})
        hint = (f"the sections are {', '.join(sections)}; the other keys "
                f"{', '.join(k for k in keys if '.' not in k)}")
    return ConfigError(f"unknown config key {full!r}; {hint} (--list-keys prints every key "
                       f"with its default)")


def _set(tree: dict[str, Any], cls: type, path: list[str], text: str, full: str,
         config: Any) -> None:
    hints = _hints(cls)
    name = path[0]
    if name not in hints:
        raise unknown_key(full, config)
    tp = hints[name]
    if dataclasses.is_dataclass(tp):
        if len(path) == 1:
            raise ConfigError(f"{full!r} is a section; set one of its keys, e.g. "
                              f"{full}.{dataclasses.fields(tp)[0].name}=...")
        _set(tree[name], tp, path[1:], text, full, config)  # type: ignore[arg-type]
        return
    if len(path) > 1:
        leaf = full.rsplit(".", len(path) - 1)[0]
        raise ConfigError(f"unknown config key {full!r}: {leaf} is a key, not a section "
                          f"(set {leaf}=...)")
    try:
        tree[name] = _parse(tp, text)
    except ValueError:
        raise ConfigError(f"bad value {text!r} for {full}: expected {describe(tp)}") from None


def _build(cls: type, tree: dict[str, Any], section: str, keys: list[str]) -> Any:
    """The frozen dataclass ``cls`` from ``tree``; each section is validated once, complete."""
    hints = _hints(cls)
    kwargs = {k: (_build(hints[k], v, f"{section}{k}.", keys)
                  if dataclasses.is_dataclass(hints[k]) else v) for k, v in tree.items()}
    try:
        return cls(**kwargs)
    except ValueError as err:  # a dataclass's own validation
        mine = [k for k in keys if k.startswith(section)] if section else keys
        where = f" (set: {', '.join(mine)})" if mine else ""
        raise ConfigError(f"bad config {section.rstrip('.') or 'values'}{where}: {err}") from None


def apply_overrides(config: RunConfig, overrides: list[str] | tuple[str, ...]) -> RunConfig:
    """``config`` with every ``key=value`` applied (later ones win), then validated as a whole
    (so ``features.n_fft=64 features.hop_length=32`` works in either order)."""
    tree = _tree(config)
    keys: list[str] = []
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"overrides are key=value, got {item!r}")
        _set(tree, RunConfig, key.strip().split("."), text.strip(), key.strip(), config)
        keys.append(key.strip())
    out: RunConfig = _build(RunConfig, tree, "", keys)
    return out


def to_dict(config: Any) -> dict[str, Any]:
    """The config tree as plain JSON-able dicts (tuples become lists)."""
    out: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(config)))
    return out


def from_dict(data: dict[str, Any]) -> RunConfig:
    """Inverse of :func:`to_dict` (unknown keys are rejected like overrides)."""
    items = [f"{k}={','.join(v) if isinstance(v, list) else ('none' if v is None else v)}"
             for k, v in _flatten(data).items()]
    return apply_overrides(RunConfig(), items)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def run_key(config: RunConfig) -> str:
    """16 hex digits of the SHA-256 of the resolved config without tracking and device; the
    corpus path counts as an absolute path and the feature cache's location not at all."""
    data = {k: v for k, v in to_dict(config).items() if k not in NOT_IN_KEY}
    data["data"]["root"] = str(Path(config.data.root).resolve())
    del data["data"]["cache_dir"]
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_name(config: RunConfig) -> str:
    """A readable name, e.g. ``complex-vq256-s0``, ``real-flops-vae-b0.01-s1``."""
    if config.tracking.run_name:
        return config.tracking.run_name
    m = config.model
    head = m.preset or (m.domain if m.twin == "none" else f"real-{m.twin}")
    parts = [head]
    if config.features.representation not in ("stft", "planar"):
        parts.append(config.features.representation.replace("_", ""))
    if not config.data.normalize:
        parts.append("unnorm")
    if not m.preset:
        parts.append({"vq": f"vq{config.vq.codebook_size}", "vae": f"vae-b{config.vae.beta:g}",
                      "none": "ae"}[m.bottleneck])
    parts.append(f"s{config.seed}")
    return "-".join(parts)
