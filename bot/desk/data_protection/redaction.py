"""Masking what customers should not have texted: card numbers, and the admin's own patterns.

Pure: text and rules in, masked text and what was masked out. Card numbers are Luhn-valid runs
of 13-19 digits (spaces or dashes allowed between digit groups), shown as "•••• 4242" so an
agent can still say "the card ending 4242"; each `[privacy] redact_patterns` regex match is
shown as "••••". Applied to customer text before it is escaped for Slack, and, with
`redact_in_storage`, to the body stored at receipt.

Admin patterns run on the `regex` engine with a time limit: this runs inside the webhook's
transaction, and a backtracking pattern can take seconds of CPU per SMS. The settings refuse
the usual culprit, a repeat inside a repeat (`unsafe_pattern`); any other pattern that still
runs past the limit masks the whole text (fail safe: better an agent asks than a secret shows)
and logs a warning naming the pattern, never the text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# The parser `re` itself uses: no second regex grammar. Private modules, so typeshed has no
# stubs for them; what they return is walked as Any below.
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:  # the settings import this module (to check patterns): no cycle at run time
    from bot.config import Settings

log = logging.getLogger(__name__)

MASK = "••••"
# Per pattern and text. A sane pattern takes microseconds on a 1600-character SMS.
PATTERN_SECONDS = 0.1
# A maximal run of digits with at most one space or dash between two digits. A leading "+"
# makes it a phone number in international form (E.164 allows up to 15 digits, some of
# which are Luhn-valid by chance), which is never a card.
_DIGIT_RUN = re.compile(r"(?<![\d+])(?<![\d][ -])\d(?:[ -]?\d)*")
CARD_DIGITS = range(13, 20)
_MASKED_CARD = re.compile(re.escape(MASK) + r" \d{4}\b")


@dataclass(frozen=True)
class Rules:
    cards: bool
    patterns: tuple[regex.Pattern, ...]

    @property
    def active(self) -> bool:
        return self.cards or bool(self.patterns)


@dataclass(frozen=True)
class Redacted:
    text: str
    cards: int  # card numbers masked
    patterns: int  # pattern matches masked

    @property
    def note(self) -> str | None:
        """What the agent reads under the message, or None when nothing was masked."""
        parts = []
        if self.cards:
            parts.append("A card number was masked" if self.cards == 1
                         else f"{self.cards} card numbers were masked")
        if self.patterns:
            parts.append("sensitive text was masked" if parts
                         else "Sensitive text was masked")
        return " and ".join(parts) + " (privacy settings)." if parts else None


@lru_cache(maxsize=64)
def rules(cards: bool, patterns: tuple[str, ...]) -> Rules:
    # The settings loader has already refused patterns that do not compile (with `re`, whose
    # syntax `regex` accepts unchanged in its default version 0).
    return Rules(cards, tuple(regex.compile(p) for p in patterns))


def rules_for(settings: Settings) -> Rules:
    return rules(bool(settings.redact_cards), tuple(settings.redact_patterns))


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def unsafe_pattern(pattern: str) -> bool:
    """True when a repeat that can vary in length sits inside another repeat, as in
    `(\\w+\\s?)+$`: on a text it fails to match, a backtracking engine tries every way of
    splitting the text between the two, which doubles with each character. Fixed counts
    (`(\\d{3}-){2}`) and optional parts (`\\s?`) are fine. Call on a pattern `re` compiles."""
    return _nested(sre_parse.parse(pattern), inside_repeat=False)


def _nested(items: Iterable[tuple[Any, Any]], inside_repeat: bool) -> bool:
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            varies = high > 1 and high != low
            if varies and inside_repeat:
                return True
            if _nested(body, inside_repeat or high > 1):
                return True
        elif op == sre.SUBPATTERN:
            if _nested(av[-1], inside_repeat):
                return True
        elif op == sre.BRANCH:
            if any(_nested(branch, inside_repeat) for branch in av[1]):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if _nested(av[1], inside_repeat):
                return True
        elif op == sre.ATOMIC_GROUP:
            if _nested(av, inside_repeat):
                return True
        elif op == sre.GROUPREF_EXISTS:
            if any(part is not None and _nested(part, inside_repeat) for part in av[1:]):
                return True
    return False


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_or_run(match: re.Match[str], found: list[int]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    if len(digits) in CARD_DIGITS and luhn_valid(digits):
        found.append(1)
        return f"{MASK} {digits[-4:]}"
    return match.group(0)


def redact(text: str, rules: Rules) -> Redacted:
    if not text:
        return Redacted(text, 0, 0)
    cards: list[int] = []
    if rules.cards:
        text = _DIGIT_RUN.sub(lambda m: _card_or_run(m, cards), text)
    matched: list[int] = []

    def mask(match: re.Match[str]) -> str:
        # A pattern that can match nothing ("x*") must not sprinkle masks between letters.
        if not match.group(0):
            return ""
        matched.append(1)
        return MASK

    for pattern in rules.patterns:
        try:
            text = pattern.sub(mask, text, timeout=PATTERN_SECONDS)
        except TimeoutError:
            log.warning("redact pattern %r ran over %ss on one message: the whole text is "
                        "masked; rewrite the pattern so it cannot backtrack",
                        pattern.pattern, PATTERN_SECONDS)
            return Redacted(MASK, 0, 1)
    if not cards and not matched:
        # Masked at receipt already (redact_in_storage): the agent is still told.
        return Redacted(text, len(_MASKED_CARD.findall(text)),
                        text.count(MASK) - len(_MASKED_CARD.findall(text)))
    return Redacted(text, len(cards), len(matched))


def shown(text: str, settings: Settings) -> str:
    """Customer text as agents may see it under these settings."""
    return redact(text, rules_for(settings)).text
