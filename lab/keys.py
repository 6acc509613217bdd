"""Every config key with its default, type and meaning: what ``--list-keys`` prints.

A key's meaning is the comment after its field in the dataclass's source (``width: int = 64  #
channels``), when it has one; its type is said as the overrides parse it (int, float, one of
..., a comma-separated list). The profiles' values are shown where they differ from the default.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import re
import tokenize
import typing
from dataclasses import dataclass
from typing import Any

from lab.config import RunConfig, apply_overrides, describe, leaves
from lab.profiles import PROFILES

_FIELD = re.compile(r"^    (\w+)\s*:")  # a field of a class body (4 spaces in)


@dataclass(frozen=True)
class Key:
    path: str  # dotted, as overrides spell it
    default: Any
    type: str
    meaning: str


def field_comments(cls: type) -> dict[str, str]:
    """``{field: the comment on its line}`` for a dataclass defined in a source file, its base
    classes' fields included (a subclass's comment wins)."""
    out: dict[str, str] = {}
    for klass in cls.__mro__:
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and (m := _FIELD.match(tok.line)):
                out.setdefault(m.group(1), tok.string.lstrip("#").strip())
    return out


def config_keys(config: Any = None, prefix: str = "") -> list[Key]:
    """The leaves of a config tree (default :class:`RunConfig`), in field order."""
    config = RunConfig() if config is None else config
    hints = typing.get_type_hints(type(config))
    comments = field_comments(type(config))
    out: list[Key] = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out += config_keys(value, f"{prefix}{f.name}.")
        else:
            out.append(Key(prefix + f.name, value, describe(hints[f.name]),
                           comments.get(f.name, "")))
    return out


def spell(value: Any) -> str:
    """A value as an override would spell it (``none``, ``true``, ``a,b``, ``""``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or '""'
    return str(value) if value != "" else '""'


def format_keys() -> str:
    """One line per key: ``key = default  [type]  meaning  (profile values)``."""
    profiles = {name: leaves(apply_overrides(RunConfig(), list(p.overrides)))
                for name, p in PROFILES.items()}
    keys = config_keys()
    width = max(len(f"{k.path} = {spell(k.default)}") for k in keys)
    lines = ["Config keys (set them as key=value; a profile's value replaces the default, "
             "your key=value replaces both):"]
    for k in keys:
        head = f"{k.path} = {spell(k.default)}"
        changed = [f"{name} {spell(v[k.path])}" for name, v in profiles.items()
                   if v[k.path] != k.default and not k.path.startswith("tracking.profile")]
        tail = "".join([f"  {k.meaning}" if k.meaning else "",
                        f"  (profiles: {', '.join(changed)})" if changed else ""])
        lines.append(f"  {head:<{width}}  [{k.type}]{tail}")
    return "\n".join(lines)
