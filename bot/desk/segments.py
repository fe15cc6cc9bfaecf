"""How many SMS a text costs, and where a phone will see it split.

The agent sees the count before sending (carriers bill per segment), and the parts are
what a provider would send. Encoding follows 3GPP TS 23.038: GSM-7 while every character
is in the basic set or the extension table, otherwise UCS-2 (really UTF-16, which is what
handsets and providers use for characters outside the Basic Multilingual Plane).
"""

from dataclasses import dataclass

import regex

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The 3GPP 23.038 default alphabet, minus 0x1B: that slot is the escape into the
# extension table, not a character a customer can type.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these is sent as ESC + char, so it costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_PER_PART = 153  # 7 septets go to the concatenation header (UDH)
UCS2_SINGLE = 70
UCS2_PER_PART = 67  # likewise, 3 UTF-16 code units go to the header

# encoding -> (capacity of a single message, capacity of each part of a concatenated one)
LIMITS = {GSM7: (GSM7_SINGLE, GSM7_PER_PART), UCS2: (UCS2_SINGLE, UCS2_PER_PART)}


@dataclass(frozen=True)
class SegmentReport:
    encoding: str  # GSM7 or UCS2
    segments: int
    parts: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"encoding": self.encoding, "segments": self.segments, "parts": list(self.parts)}


def count_segments(text: str) -> SegmentReport:
    if not text:
        # Nothing is sent for an empty reply, so nothing is billed: zero segments, no parts.
        return SegmentReport(encoding=GSM7, segments=0, parts=())

    encoding = GSM7 if all(_is_gsm7(ch) for ch in text) else UCS2
    single, per_part = LIMITS[encoding]
    if cost(text, encoding) <= single:
        return SegmentReport(encoding=encoding, segments=1, parts=(text,))

    parts = _pack(_units(text, encoding, per_part), encoding, per_part)
    return SegmentReport(encoding=encoding, segments=len(parts), parts=tuple(parts))


def _is_gsm7(ch: str) -> bool:
    return ch in GSM7_BASIC or ch in GSM7_EXTENSION


def _char_cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def cost(text: str, encoding: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) that text takes in that encoding."""
    return sum(_char_cost(ch, encoding) for ch in text)


def _units(text: str, encoding: str, per_part: int) -> list[str]:
    """The indivisible pieces of text: grapheme clusters, so a phone never shows half an
    emoji, half a flag or an accent torn from its letter.

    A cluster bigger than a whole part (e.g. a letter with a hundred combining marks, a
    known "Zalgo" trick) cannot fit anywhere, so it alone is cut into code points. A code
    point costs at most 2, so each still fits, and since the parts are Python strings a
    surrogate pair or an ESC+char pair can never be cut.
    """
    units: list[str] = []
    for cluster in regex.findall(r"\X", text):
        if cost(cluster, encoding) <= per_part:
            units.append(cluster)
        else:
            units.extend(cluster)
    return units


def _pack(units: list[str], encoding: str, per_part: int) -> list[str]:
    # Filling each part as full as it will go, in order, gives the fewest parts for
    # pieces that must stay in order and whole.
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for unit in units:
        unit_cost = cost(unit, encoding)
        if used + unit_cost > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(unit)
        used += unit_cost
    if current:
        parts.append("".join(current))
    return parts
