"""Voices from paths in each layout, and what ``auto`` detects."""

from __future__ import annotations

from pathlib import PurePosixPath as P

import pytest

from data_scripts import layouts
from data_scripts.layouts import Identity


def test_each_layout_reads_voice_and_label() -> None:
    assert layouts.librispeech(P("84/121123/84-121123-0001.flac")) == Identity(
        "84", "84-121123-0001")
    assert layouts.librispeech(P("84/121123/85-121123-0001.flac")) is None  # speaker mismatch
    assert layouts.vctk(P("wav48_silence_trimmed/p225/p225_001_mic1.flac")) == Identity(
        "p225", "p225_001_mic1")
    assert layouts.vctk(P("VCTK-Corpus/wav48/p376/p376_295.wav")) == Identity(
        "p376", "p376_295")
    assert layouts.speech_commands(P("yes/0a7c2a8d_nohash_1.wav")) == Identity("0a7c2a8d", "yes")
    flat = layouts.flat()
    assert flat(P("alice/take1.wav")) == Identity("alice", "take1")
    assert flat(P("take1.wav")) == Identity("default", "take1")
    by_regex = layouts.flat(r"^(?P<voice>[a-z]+)_\d+")
    assert by_regex(P("sub/x.wav")) is None
    assert by_regex(P("dan_03.wav")) == Identity("dan", "dan_03")


def test_auto_detects_the_layout_that_matches_nine_tenths() -> None:
    libri = [P(f"{s}/7/{s}-7-{n:04d}.flac") for s in (1, 2) for n in range(5)]
    assert layouts.detect(libri)[0] == "librispeech"
    assert layouts.detect([*libri, P("README.wav")])[0] == "librispeech"  # 10 of 11
    assert layouts.detect([P("wav48/p225/p225_001.wav"), P("wav48/p226/p226_002.wav")])[0] == (
        "vctk")
    assert layouts.detect([P("yes/ab12_nohash_0.wav"), P("no/cd34_nohash_2.wav")])[0] == (
        "speech-commands")
    name, why = layouts.detect([P("alice/a.wav"), P("bob/b.mp3")])
    assert name == "flat" and "one voice per top folder" in why


def test_bad_regex_and_layout_are_named() -> None:
    with pytest.raises(layouts.LayoutError, match="no group"):
        layouts.flat(r"\d+")
    with pytest.raises(layouts.LayoutError, match="voice-regex"):
        layouts.flat(r"(unclosed")
    with pytest.raises(layouts.LayoutError, match="unknown layout"):
        layouts.reader_for("timit")
