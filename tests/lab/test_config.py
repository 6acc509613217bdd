"""RunConfig overrides (every field type, dotted paths, errors that name the key and what is
allowed), the dict round trip, run keys and run names."""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, Literal

import pytest

from lab.config import (
    NOT_IN_KEY,
    ConfigError,
    ModelConfig,
    RunConfig,
    apply_overrides,
    from_dict,
    leaves,
    run_key,
    run_name,
    suggest,
    to_dict,
)
from lab.features import SEED_MEL
from vq.registry import BOTTLENECKS


def test_overrides_of_every_type() -> None:
    base = RunConfig()
    c = apply_overrides(base, [
        "seed=7",  # int, top level
        "optim.lr=3e-3",  # float
        "vq.commitment=1",  # float from an integer literal
        "optim.steps=12",  # int, nested
        "tracking.wandb=offline",  # Literal
        "model.domain=real",
        "tracking.experiment=my ablation",  # str, spaces kept inside
        "data.words=yes, no ,,left",  # tuple of str as a comma-separated list
        "features.mel_norm=slaney",  # Optional Literal
        "features.f_max=7600.5",
        "data.normalize=false",  # bool
    ])
    assert c.seed == 7 and isinstance(c.seed, int)
    assert c.optim.lr == 3e-3 and c.vq.commitment == 1.0 and isinstance(c.vq.commitment, float)
    assert c.optim.steps == 12 and c.tracking.wandb == "offline" and c.model.domain == "real"
    assert c.tracking.experiment == "my ablation"
    assert c.data.words == ("yes", "no", "left")
    assert c.features.mel_norm == "slaney" and c.features.f_max == 7600.5
    assert c.data.normalize is False
    # everything else untouched, and the base config is not modified (frozen tree)
    changed = {k for k, v in leaves(c).items() if leaves(base)[k] != v}
    assert changed == {"seed", "optim.lr", "vq.commitment", "optim.steps", "tracking.wandb",
                       "model.domain", "tracking.experiment", "data.words", "features.mel_norm",
                       "features.f_max", "data.normalize"}
    assert base == RunConfig()
    # None for an optional field, and back
    assert apply_overrides(c, ["features.mel_norm=none"]).features.mel_norm is None
    assert apply_overrides(c, ["features.mel_norm=null"]).features.mel_norm is None
    # empty tuple, empty string
    assert apply_overrides(c, ["data.words="]).data.words == ()
    assert apply_overrides(c, ["tracking.uri="]).tracking.uri == ""
    assert apply_overrides(c, ["model.preset=seed_vqvae", "model.preset="]).model.preset == ""
    # later overrides win; spaces around key and value are ignored
    assert apply_overrides(base, ["seed=1", " seed = 2 "]).seed == 2


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("True", True), ("1", True), ("yes", True), ("on", True),
    ("false", False), ("FALSE", False), ("0", False), ("no", False), ("off", False)])
def test_bool_spellings(text: str, value: bool) -> None:
    assert apply_overrides(RunConfig(), [f"data.normalize={text}"]).data.normalize is value
    with pytest.raises(ConfigError, match=r"bad value 'maybe' for data\.normalize: expected bool"):
        apply_overrides(RunConfig(), ["data.normalize=maybe"])


@pytest.mark.parametrize(("typo", "meant"), [
    ("model.widht", "model.width"), ("optim.lrr", "optim.lr"), ("sed", "seed"),
    ("vq.codebooksize", "vq.codebook_size"), ("features.nfft", "features.n_fft"),
    ("widht", "model.width"), ("lr", "optim.lr")])  # a missing section: by the last part
def test_unknown_key_suggests_the_nearest_valid_key(typo: str, meant: str) -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides(RunConfig(), [f"{typo}=1"])
    assert str(err.value).startswith(f"unknown config key {typo!r}; did you mean {meant}? ")
    assert "--list-keys" in str(err.value)


def test_every_key_is_suggested_for_a_one_letter_slip() -> None:
    keys = list(leaves(RunConfig()))
    for key in keys:
        for typo in (key[:-1], key + "s" if not key.endswith("s") else key[:-1] + "z"):
            assert key in suggest(typo, keys), typo
    assert suggest("foo.bar", keys) == []


def test_unknown_key_without_a_near_one_lists_its_section_or_the_sections() -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides(RunConfig(), ["optim.learning_rate=1e-3"])
    msg = str(err.value)
    assert "'optim.learning_rate'" in msg and "the keys of optim:" in msg
    for key in ("lr", "batch_size", "grad_clip"):
        assert re.search(rf"\boptim\.{key}\b", msg)
    with pytest.raises(ConfigError) as err:
        apply_overrides(RunConfig(), ["foo.bar=1"])
    assert "the sections are data, eval, features, fsq, loss, model, optim" in str(err.value)
    # a path below a leaf is unknown too
    with pytest.raises(ConfigError, match=r"unknown config key 'model\.domain\.x'"):
        apply_overrides(RunConfig(), ["model.domain.x=1"])


@pytest.mark.parametrize(("item", "expected"), [
    ("optim.lr=abc", r"bad value 'abc' for optim\.lr: expected float"),
    ("optim.steps=1.5", r"bad value '1\.5' for optim\.steps: expected int"),
    ("seed=", r"bad value '' for seed: expected int"),
    ("model.domain=quaternion",
     r"bad value 'quaternion' for model\.domain: expected one of 'real', 'complex'"),
    ("optim.schedule=linear", r"optim\.schedule: expected one of 'constant', 'cosine'"),
    ("features.mel_norm=htk", r"features\.mel_norm: expected one of 'slaney' or none"),
    ("features.representation=wavelet", r"features\.representation: expected one of 'stft'"),
])
def test_bad_value_names_the_key_and_what_is_allowed(item: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        apply_overrides(RunConfig(), [item])


def test_section_without_a_leaf_and_malformed_items() -> None:
    with pytest.raises(ConfigError, match=r"'model' is a section; set one of its keys, e\.g\. "
                                          r"model\.domain="):
        apply_overrides(RunConfig(), ["model=complex"])
    for item in ("seed", "=3", " =3"):
        with pytest.raises(ConfigError, match="overrides are key=value"):
            apply_overrides(RunConfig(), [item])


def test_dataclass_validation_becomes_config_error() -> None:
    with pytest.raises(ConfigError, match=r"bad config features \(set: features\.hop_length\): "
                                          r"need 0 < hop_length <= n_fft"):
        apply_overrides(RunConfig(), ["features.hop_length=0"])
    with pytest.raises(ConfigError, match=r"features\.griffin_lim_iters\): griffin_lim_iters must"):
        apply_overrides(RunConfig(), ["features.griffin_lim_iters=0"])
    # ConfigError is a ValueError: callers that catch ValueError still do
    assert issubclass(ConfigError, ValueError)


def test_seed_mel_features_from_overrides() -> None:
    c = apply_overrides(RunConfig(), ["features.representation=mel", "features.n_fft=1024",
                                      "features.hop_length=512"])
    assert c.features == SEED_MEL


def test_dict_round_trip() -> None:
    c = apply_overrides(RunConfig(), [
        "seed=3", "data.words=yes,no", "features.mel_norm=slaney", "model.domain=real",
        "features.representation=log_magnitude", "optim.lr=1.5e-05", "tracking.wandb=offline",
        "model.preset=seed_vqvae", "tracking.uri=http://127.0.0.1:5000", "vae.beta=0.01",
        "data.normalize=false"])
    d = to_dict(c)
    assert d["data"]["words"] == ["yes", "no"] and d["features"]["mel_norm"] == "slaney"
    assert from_dict(d) == c
    assert from_dict(to_dict(RunConfig())) == RunConfig()
    none_norm = apply_overrides(c, ["features.mel_norm=none", "data.words="])
    assert from_dict(to_dict(none_norm)) == none_norm
    with pytest.raises(ConfigError, match=r"unknown config key 'model\.depth'"):
        from_dict({"model": {"depth": 3}})


def test_validation_sees_the_final_config() -> None:
    c = apply_overrides(RunConfig(), ["features.hop_length=32", "features.n_fft=64"])
    assert (c.features.n_fft, c.features.hop_length) == (64, 32)
    assert from_dict(to_dict(c)) == c
    assert apply_overrides(RunConfig(), ["features.n_fft=64", "features.hop_length=32"]) == c


def test_run_key_identity() -> None:
    base = RunConfig()
    key = run_key(base)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert run_key(RunConfig()) == key
    assert set(NOT_IN_KEY) == {"tracking", "device"}
    # where a run is logged and computed is not what it is
    for item in ("tracking.uri=http://127.0.0.1:5000", "tracking.runs_dir=/elsewhere",
                 "tracking.experiment=ablation", "tracking.run_name=x", "tracking.wandb=offline",
                 "tracking.profile=smoke", "device=cpu", "device=cuda"):
        assert run_key(apply_overrides(base, [item])) == key, item
    # the seed and every bottleneck, feature, data and training setting are
    changes = [apply_overrides(base, [item]) for item in (
        "seed=1", "optim.lr=1e-3", "optim.steps=10", "data.words=yes", "features.n_fft=1024",
        "vq.codebook_size=512", "vq.commitment=0.5", "vq.ema_decay=0.999", "vae.beta=0.5",
        "eval.examples=1", "data.normalize=false")]
    # and every model field
    for name, tp in typing.get_type_hints(ModelConfig).items():
        changed = dataclasses.replace(base.model, **{name: other(tp, getattr(base.model, name))})
        changes.append(dataclasses.replace(base, model=changed))
    keys = {run_key(c) for c in changes}
    assert key not in keys and len(keys) == len(changes)


def other(tp: Any, value: Any) -> Any:
    """A valid value of type ``tp`` other than ``value``."""
    if typing.get_origin(tp) is Literal:
        return next(a for a in typing.get_args(tp) if a != value)
    if tp is bool:
        return not value
    if tp in (int, float):
        return tp(value + 1)
    if tp is str and value in BOTTLENECKS:  # model.bottleneck: a name of the registry
        return next(name for name in BOTTLENECKS if name != value)
    raise AssertionError(f"no other value for {tp}")


@pytest.mark.parametrize(("overrides", "name"), [
    ([], "complex-vq256-s0"),
    (["seed=3", "vq.codebook_size=512"], "complex-vq512-s3"),
    (["model.twin=params", "features.representation=planar"], "real-params-vq256-s0"),
    (["model.twin=flops", "features.representation=planar", "model.bottleneck=vae",
      "vae.beta=0.01", "seed=1"], "real-flops-vae-b0.01-s1"),
    (["model.domain=real", "features.representation=log_magnitude"],
     "real-logmagnitude-vq256-s0"),
    (["model.domain=real", "features.representation=log_mel", "model.bottleneck=none"],
     "real-logmel-ae-s0"),
    (["model.domain=real", "features.representation=planar", "model.bottleneck=vae"],
     "real-vae-b1-s0"),
    (["model.preset=seed_vqvae", "features.representation=mel"], "seed_vqvae-mel-s0"),
    (["model.preset=seed_vqvae", "features.representation=mel", "data.normalize=false"],
     "seed_vqvae-mel-unnorm-s0"),
    (["model.bottleneck=rvq", "vq.codebooks=4", "vq.codebook_size=64"], "complex-rvq4x64-s0"),
    (["tracking.run_name=mine", "seed=5"], "mine"),
])
def test_run_name(overrides: list[str], name: str) -> None:
    assert run_name(apply_overrides(RunConfig(), overrides)) == name


def test_bottleneck_sections_are_the_bottlenecks_configs() -> None:
    from lab.config import bottleneck_config
    from vq.quantizer import VQConfig
    from vq.residual import RVQConfig

    c = apply_overrides(RunConfig(), ["model.bottleneck=rvq", "vq.codebooks=3",
                                      "vq.quantizer_dropout=true", "vq.codebook_size=16"])
    assert type(c.vq) is RVQConfig
    assert bottleneck_config(c) == RVQConfig(codebook_size=16, codebooks=3,
                                             quantizer_dropout=True)
    assert bottleneck_config(RunConfig()) == VQConfig()  # vq reads the VQ keys only
    assert from_dict(to_dict(c)) == c
    # a key of the chosen bottleneck's section that it does not read must keep its default
    with pytest.raises(ConfigError, match=r"vq\.codebooks=4 is not read by model\.bottleneck="
                                          r"vq; it needs model\.bottleneck=rvq"):
        apply_overrides(RunConfig(), ["vq.codebooks=4"])
    # other sections are not read at all (a profile sets vq keys for every run)
    vae = apply_overrides(RunConfig(), ["model.bottleneck=vae", "vq.codebooks=4"])
    assert vae.vq.codebooks == 4  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="bottleneck must be one of none, vae, vq, rvq"):
        apply_overrides(RunConfig(), ["model.bottleneck=gumbel"])
    with pytest.raises(ConfigError, match=r"bad value 'x' for vq\.codebooks: expected int"):
        apply_overrides(RunConfig(), ["vq.codebooks=x"])
