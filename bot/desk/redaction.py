"""Masking what customers should not have texted: card numbers, and the admin's own patterns.

Pure: text and rules in, masked text and what was masked out. Card numbers are Luhn-valid runs
of 13-19 digits (spaces or dashes allowed between digit groups), shown as "•••• 4242" so an
agent can still say "the card ending 4242"; each `[privacy] redact_patterns` regex match is
shown as "••••". Applied to customer text before it is escaped for Slack, and, with
`redact_in_storage`, to the body stored at receipt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MASK = "••••"
# A maximal run of digits with at most one space or dash between two digits. A leading "+"
# makes it a phone number in international form (E.164 allows up to 15 digits, some of
# which are Luhn-valid by chance), which is never a card.
_DIGIT_RUN = re.compile(r"(?<![\d+])(?<![\d][ -])\d(?:[ -]?\d)*")
CARD_DIGITS = range(13, 20)
_MASKED_CARD = re.compile(re.escape(MASK) + r" \d{4}\b")


@dataclass(frozen=True)
class Rules:
    cards: bool
    patterns: tuple[re.Pattern[str], ...]

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
    # The settings loader has already refused patterns that do not compile.
    return Rules(cards, tuple(re.compile(p) for p in patterns))


def rules_for(settings) -> Rules:
    return rules(bool(settings.redact_cards), tuple(settings.redact_patterns))


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
        text = pattern.sub(mask, text)
    if not cards and not matched:
        # Masked at receipt already (redact_in_storage): the agent is still told.
        return Redacted(text, len(_MASKED_CARD.findall(text)),
                        text.count(MASK) - len(_MASKED_CARD.findall(text)))
    return Redacted(text, len(cards), len(matched))


def shown(text: str, settings) -> str:
    """Customer text as agents may see it under these settings."""
    return redact(text, rules_for(settings)).text
