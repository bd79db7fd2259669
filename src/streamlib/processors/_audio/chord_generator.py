"""ChordGenerator: a named chord (root note and chord type) as sine tones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import ClassVar

from pydantic import field_validator

from ...core import live_field
from .tone_source import ToneSettings, ToneSource

__all__ = ["CHORD_INTERVALS", "ChordGenerator", "note_frequency"]

CHORD_INTERVALS: dict[str, tuple[int, ...]] = {
    "major": (0, 4, 7),
    "minor": (0, 3, 7),
    "diminished": (0, 3, 6),
    "augmented": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "major7": (0, 4, 7, 11),
    "minor7": (0, 3, 7, 10),
    "dominant7": (0, 4, 7, 10),
}
"""Semitones above the root of each chord type."""

_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")
_STEPS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def note_frequency(note: str, semitones: int = 0) -> float:
    """Equal-tempered frequency (A4 = 440 Hz) of ``note`` ("C4", "F#3", "Bb2") plus ``semitones``.

    >>> round(note_frequency("A4"), 2), round(note_frequency("C4"), 2)
    (440.0, 261.63)
    """
    match = _NOTE.match(note.strip())
    if match is None:
        raise ValueError(f"{note!r} is not a note; write a letter, an optional # or b, an octave")
    letter, accidental, octave = match.groups()
    midi = 12 * (int(octave) + 1) + _STEPS[letter.lower()]
    midi += {"#": 1, "b": -1, "": 0}[accidental] + semitones
    return float(440.0 * 2.0 ** ((midi - 69) / 12.0))


class ChordGeneratorConfig(ToneSettings):
    renamed_fields: ClassVar[Mapping[str, str]] = {"quality": "chord_type"}
    root: str = live_field("C4", description="Root note: a letter, optional # or b, octave.")
    chord_type: str = live_field("major", description="Chord type, e.g. major or minor7.")

    @field_validator("root")
    @classmethod
    def _note(cls, value: str) -> str:
        note_frequency(value)
        return value

    @field_validator("chord_type")
    @classmethod
    def _known_chord_type(cls, value: str) -> str:
        if value not in CHORD_INTERVALS:
            raise ValueError(f"use one of {', '.join(CHORD_INTERVALS)}")
        return value

    @cached_property  # read every block by ToneSource; the config is immutable
    def frequencies(self) -> tuple[float, ...]:
        """The chord's tones in Hz (what ToneSource plays)."""
        return tuple(note_frequency(self.root, step) for step in CHORD_INTERVALS[self.chord_type])


class ChordGenerator(ToneSource):
    """A chord by name (``root`` note and ``chord_type``) as summed sine tones.

    Equal temperament with A4 = 440 Hz; chord types: major, minor, diminished,
    augmented, sus2, sus4, major7, minor7, dominant7. Root and chord type may
    change while running. Phase is continuous, pacing (``realtime``) and limits
    (``duration_s``, ``frames``) are as in ToneSource.

    Example pipeline entry::

        chord: {type: ChordGenerator, config: {root: C4, chord_type: major, amplitude: 0.3}}
    """

    tags = ("audio", "source", "music")

    # ToneSource reads the ToneSettings both configs share and ``frequencies``: a field of
    # ToneSourceConfig, a property of this config. So the processor keeps ToneSource's type.
    Config = ChordGeneratorConfig
