"""One base config for every run, overridden from the command line as ``key=value``.

A :class:`RunConfig` is a tree of frozen dataclasses (data, features, model, vq, vae, loss,
optim, eval, tracking); every leaf has a dotted path (``model.domain``, ``vq.codebook_size``,
``features.representation``, ``seed``, ...). The bottleneck sections (``vq``, ``vae``) are the
bottlenecks' own config dataclasses (:mod:`vq.registry`: each section holds the most derived
config of the bottlenecks that share it, so ``vq`` has the RVQ keys too); a key of the chosen
``model.bottleneck``'s section that it does not read, set away from its default, is an error.

:func:`apply_overrides` parses ``key=value`` strings against the fields' type hints (int,
float, bool, str, ``Literal`` choices, tuples of strings as comma-separated lists, ``None`` for
optional fields; the sections' classes as they are, not as annotated) and rebuilds the frozen
tree; an unknown key or a bad value raises :class:`ConfigError` naming the key and what is
allowed, before any work starts.

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
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lab.features import FeatureConfig
from lab.losses import LossConfig
from vq.fsq import FSQConfig
from vq.quantizer import VQConfig
from vq.registry import BOTTLENECKS, section_config, spec
from vq.vae import VAEConfig

Domain = Literal["real", "complex"]
Twin = Literal["none", "params", "flops"]
WandbMode = Literal["off", "offline", "online"]


class ConfigError(ValueError):
    """A bad config key or value (raised before any work starts)."""


@dataclass(frozen=True)
class DataConfig:
    """Which clips: a corpus made by ``data_scripts`` (its ``manifest.csv``)."""

    root: str = "data/recorded"  # the corpus folder (its manifest.csv), made by `make data`
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
    bottleneck: str = "vq"  # none: plain autoencoder; vae; vq: vector quantizer; rvq: residual
    width: int = 64  # channels of the first stage
    latent_dim: int = 2  # size of one latent vector (one code)
    stages: int = 0  # frames: time downsampling stages (conv2d: both axes, >= 1)
    growth: int = 2  # channel factor per stage
    res_blocks: int = 2  # residual blocks per stage
    norm: Literal["whiten", "naive"] = "whiten"  # complex batch norm: Trabelsi or per part
    twin: Twin = "none"  # params | flops: the matched real twin on planar input
    preset: Literal["", "seed_vqvae"] = ""  # a named model whose sizes replace these

    def __post_init__(self) -> None:
        spec(self.bottleneck)  # ValueError naming the known bottlenecks


@dataclass(frozen=True)
class OptimConfig:
    optimizer: Literal["adam", "adamw"] = "adam"
    lr: float = 2e-4  # peak learning rate
    weight_decay: float = 0.0
    batch_size: int = 16  # training clips per step
    steps: int = 2000  # training steps (the cap when patience > 0)
    patience: int = 0  # stop after this many validations without improvement (0: never)
    min_delta: float = 0.005  # an improvement: the best validation loss falls by this fraction
    warmup_steps: int = 0  # linear warm-up of the learning rate
    # of the rate after the warm-up; plateau: halved after `patience` validations without
    # improvement, the run stopped at the plateau after `lr_cuts` halvings
    schedule: Literal["constant", "cosine", "plateau"] = "cosine"
    lr_cuts: int = 3  # the plateau schedule's halvings of the rate before it stops the run
    grad_clip: float = 1.0  # max global gradient norm; 0: off

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if self.steps < 1 or self.batch_size < 1 or self.warmup_steps < 0:
            raise ValueError("need steps >= 1, batch_size >= 1 and warmup_steps >= 0")
        if not (math.isfinite(self.grad_clip) and self.grad_clip >= 0):
            raise ValueError(f"grad_clip must be >= 0 (0: off), got {self.grad_clip}")
        if self.patience < 0 or not (math.isfinite(self.min_delta) and self.min_delta >= 0):
            raise ValueError(f"need patience >= 0 and min_delta >= 0, got {self.patience}, "
                             f"{self.min_delta}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.lr_cuts < 0 or (self.schedule == "plateau" and self.patience < 1):
            raise ValueError(f"the plateau schedule needs patience >= 1 and lr_cuts >= 0, got "
                             f"patience {self.patience}, lr_cuts {self.lr_cuts}")


@dataclass(frozen=True)
class EvalConfig:
    val_every: int = 200  # steps; also how often a checkpoint is written
    log_every: int = 10  # steps per logged training point (means over the interval)
    val_clips: int = 64  # validation clips per check (0: all)
    test_clips: int = 0  # 0: the whole test split
    examples: int = 3  # reconstructed clips logged as WAV and figures
    batch_size: int = 16  # clips per evaluation batch
    cross_root: str = ""  # another corpus whose testing split is scored as cross/* (data/tts)
    prompts: int = 16  # whole prompts of the testing split scored as prompt/* (0: none)

    def __post_init__(self) -> None:
        if min(self.val_every, self.log_every, self.batch_size) < 1:
            raise ValueError("need val_every, log_every and batch_size >= 1")
        if min(self.val_clips, self.test_clips, self.examples, self.prompts) < 0:
            raise ValueError("val_clips, test_clips, examples and prompts must be >= 0")


# one folder name, never "." or "..": it starts with a letter or digit and holds no "/"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+-]{0,99}")


@dataclass(frozen=True)
class TrackingConfig:
    uri: str = ""  # empty: sqlite:///<abs runs dir>/mlflow.db
    runs_dir: str = "runs"  # the embedded store, artifacts, checkpoints (--runs-dir)
    experiment: str = "default"  # the ablation's name
    run_name: str = ""  # empty: made from the config (e.g. complex-vq256-s0)
    wandb: WandbMode = "off"  # mirror to Weights & Biases (online: WANDB_API_KEY)
    profile: str = ""  # the profile that made the config (a tag)
    command: str = ""  # the command line that launched the run (a tag; not part of the run key)

    def __post_init__(self) -> None:
        for key in ("experiment", "run_name", "profile"):  # they become folder and file names
            value = getattr(self, key)
            if (value or key == "experiment") and not SAFE_NAME.fullmatch(value):
                raise ValueError(
                    f"tracking.{key}={value!r}: a name becomes a folder (artifacts, Ray trials), "
                    f"so it must be 1-100 letters, digits, spaces, '.', '_', '+' or '-', "
                    f"starting with a letter or digit (no '/', no '..')")


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0  # of the model's initialization and the batch order
    device: Literal["auto", "cpu", "cuda"] = "auto"  # auto: CUDA when present
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    vq: VQConfig = field(default_factory=section_config("vq"))
    vae: VAEConfig = field(default_factory=section_config("vae"))
    fsq: FSQConfig = field(default_factory=section_config("fsq"))
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be in [0, 2^31), got {self.seed}")
        _check_unread_keys(self)


def _check_unread_keys(config: RunConfig) -> None:
    """A key of the chosen bottleneck's section that it does not read must keep its default
    (``vq.codebooks=4`` with ``model.bottleneck=vq`` would silently be plain VQ). The other
    sections are not read at all and may hold anything (a profile sets ``vq.*`` for every run)."""
    chosen = spec(config.model.bottleneck)
    if not chosen.section:
        return
    section = getattr(config, chosen.section)
    read = {f.name for f in dataclasses.fields(chosen.config)}
    default = type(section)()
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if f.name not in read and value != getattr(default, f.name):
            users = [s.name for s in BOTTLENECKS.values() if s.section == chosen.section
                     and f.name in {g.name for g in dataclasses.fields(s.config)}]
            raise ValueError(f"{chosen.section}.{f.name}={value} is not read by "
                             f"model.bottleneck={chosen.name}; it needs "
                             f"model.bottleneck={' or '.join(users)}")


def bottleneck_config(config: RunConfig) -> Any:
    """The config of the run's bottleneck (``model.bottleneck``), from its section: e.g. a
    :class:`~vq.quantizer.VQConfig` of the ``vq`` keys for ``vq``."""
    chosen = spec(config.model.bottleneck)
    if not chosen.section:
        return chosen.config()
    section = getattr(config, chosen.section)
    return chosen.config(**{f.name: getattr(section, f.name)
                            for f in dataclasses.fields(chosen.config)})


NOT_IN_KEY = ("tracking", "device")  # where a run is logged and computed, not what it is
# how cvnn's convolutions are computed, which sets the counted FLOPs a FLOP-matched twin's width
# is chosen from; part of such a twin's run key (1-D convolutions in the block form since 2)
FLOPS_COUNTED = 2
# keys added after runs were made, with the value those runs had: left out of the run key at
# that value, so the keys of such runs stay what they were
# (a section whose keys are all left out goes too)
LATER_KEYS: dict[str, object] = {"eval.cross_root": "", "eval.prompts": 0, "loss.snr": 0.0,
                                 "optim.patience": 0, "optim.min_delta": 0.005,
                                 "optim.lr_cuts": 3, "vae.free_bits": 0.0,
                                 "fsq.levels": ["4", "4", "4", "4"]}


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


def _set(tree: dict[str, Any], node: Any, path: list[str], text: str, full: str,
         config: Any) -> None:
    """Parse ``text`` into ``tree`` at ``path``; ``node`` is the config (section) the tree was
    made from, whose runtime classes give the types."""
    hints = _hints(type(node))
    name = path[0]
    if name not in hints or name not in {f.name for f in dataclasses.fields(node)}:
        raise unknown_key(full, config)
    tp = hints[name]
    child = getattr(node, name)
    if dataclasses.is_dataclass(child):
        if len(path) == 1:
            raise ConfigError(f"{full!r} is a section; set one of its keys, e.g. "
                              f"{full}.{dataclasses.fields(child)[0].name}=...")
        _set(tree[name], child, path[1:], text, full, config)
        return
    if len(path) > 1:
        leaf = full.rsplit(".", len(path) - 1)[0]
        raise ConfigError(f"unknown config key {full!r}: {leaf} is a key, not a section "
                          f"(set {leaf}=...)")
    try:
        tree[name] = _parse(tp, text)
    except ValueError:
        raise ConfigError(f"bad value {text!r} for {full}: expected {describe(tp)}") from None


def _build(node: Any, tree: dict[str, Any], section: str, keys: list[str]) -> Any:
    """A frozen dataclass of ``node``'s class from ``tree``; each section is validated once,
    complete."""
    kwargs = {k: (_build(getattr(node, k), v, f"{section}{k}.", keys)
                  if dataclasses.is_dataclass(getattr(node, k)) else v) for k, v in tree.items()}
    try:
        return type(node)(**kwargs)
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
        _set(tree, config, key.strip().split("."), text.strip(), key.strip(), config)
        keys.append(key.strip())
    out: RunConfig = _build(config, tree, "", keys)
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
    corpus path counts as an absolute path and the feature cache's location not at all; a key of
    :data:`LATER_KEYS` at the value runs had before it existed is left out; a FLOP-matched
    twin's key holds :data:`FLOPS_COUNTED`."""
    data = {k: v for k, v in to_dict(config).items() if k not in NOT_IN_KEY}
    data["data"]["root"] = str(Path(config.data.root).resolve())
    if config.eval.cross_root:
        data["eval"]["cross_root"] = str(Path(config.eval.cross_root).resolve())
    if config.model.twin == "flops":  # its width comes from FLOPs counted on the implementation
        data["model"]["flops_counted"] = FLOPS_COUNTED
    for dotted, old in LATER_KEYS.items():
        section, name = dotted.split(".")
        if data[section][name] == old:
            del data[section][name]
            if not data[section]:
                del data[section]
    del data["data"]["cache_dir"]
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_name(config: RunConfig) -> str:
    """A readable name, e.g. ``complex-vq256-s0``, ``real-flops-vae-b0.01-s1``,
    ``complex-rvq4x64-s0`` (the bottleneck's part is its spec's label)."""
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
        parts.append(spec(m.bottleneck).label(bottleneck_config(config)))
    parts.append(f"s{config.seed}")
    return "-".join(parts)
