"""How a corpus folder names its voices: the layouts :mod:`data_scripts.make_corpus` reads.

A layout maps a recording's path, relative to the source folder, to ``(voice, label)``; the
label is the spoken word where the layout has one (Speech Commands), else the recording's id.

=================  =============================================  ==================
layout             path                                           voice
=================  =============================================  ==================
librispeech        ``<speaker>/<chapter>/<speaker>-<chapter>-<n>``  ``<speaker>``
vctk               ``wav*/p<NNN>/<file>`` (``txt``-less copies)   ``p<NNN>``
speech-commands    ``<word>/<speaker>_nohash_<n>.wav``            ``<speaker>``
flat               anything: ``--voice-regex`` (group ``voice``   as the regex says, else
                   or the first group) on the path, else the      the top folder, else
                   first folder                                   ``default``
=================  =============================================  ==================

``auto`` takes the first of librispeech, vctk and speech-commands whose pattern matches at
least 90 % of the recordings, else flat, and says which and why (:func:`detect`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

LAYOUTS = ("auto", "librispeech", "vctk", "speech-commands", "flat")
AUTO_MATCH = 0.9
_LIBRI = re.compile(r"^(\d+)/(\d+)/\1-\2-\d+\.[^/]+$")
_VCTK = re.compile(r"(?:^|/)wav[^/]*/([ps]\d+)/[^/]+$")
_SC = re.compile(r"^([^/]+)/([0-9a-fA-F]+)_nohash_\d+\.[^/]+$")


class LayoutError(ValueError):
    """A path the chosen layout cannot read, or a bad ``--voice-regex``."""


@dataclass(frozen=True)
class Identity:
    voice: str
    label: str


Reader = Callable[[PurePosixPath], Identity | None]


def _recording_id(rel: PurePosixPath) -> str:
    return rel.stem


def librispeech(rel: PurePosixPath) -> Identity | None:
    m = _LIBRI.match(rel.as_posix())
    return Identity(m.group(1), _recording_id(rel)) if m else None


def vctk(rel: PurePosixPath) -> Identity | None:
    m = _VCTK.search(rel.as_posix())
    return Identity(m.group(1), _recording_id(rel)) if m else None


def speech_commands(rel: PurePosixPath) -> Identity | None:
    m = _SC.match(rel.as_posix())
    return Identity(m.group(2), m.group(1)) if m else None


def flat(voice_regex: str | None = None) -> Reader:
    """The flat layout: the voice from ``voice_regex`` (named group ``voice`` or group 1, searched
    in the relative path), else the first folder, else ``default``."""
    pattern = None
    if voice_regex:
        try:
            pattern = re.compile(voice_regex)
        except re.error as e:
            raise LayoutError(f"--voice-regex {voice_regex!r}: {e}") from None
        if pattern.groups == 0:
            raise LayoutError(f"--voice-regex {voice_regex!r} has no group to take the voice from")

    def read(rel: PurePosixPath) -> Identity | None:
        if pattern is not None:
            m = pattern.search(rel.as_posix())
            if m is None:
                return None
            voice = m.group("voice") if "voice" in pattern.groupindex else m.group(1)
            return Identity(voice, _recording_id(rel)) if voice else None
        voice = rel.parts[0] if len(rel.parts) > 1 else "default"
        return Identity(voice, _recording_id(rel))

    return read


PATTERNED: dict[str, Reader] = {"librispeech": librispeech, "vctk": vctk,
                                "speech-commands": speech_commands}


def detect(paths: Sequence[PurePosixPath]) -> tuple[str, str]:
    """``(layout, why)`` for ``auto``: the first patterned layout matching >= 90 % of ``paths``."""
    for name, reader in PATTERNED.items():
        hits = sum(reader(p) is not None for p in paths)
        if paths and hits >= AUTO_MATCH * len(paths):
            return name, f"{hits} of {len(paths)} recordings match the {name} layout"
    return "flat", "no patterned layout matches 90 % of the recordings; one voice per top folder"


def reader_for(layout: str, voice_regex: str | None = None) -> Reader:
    if layout == "flat":
        return flat(voice_regex)
    if layout not in PATTERNED:
        raise LayoutError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    return PATTERNED[layout]
