"""The transcript's colours ([transcript] colors): the bar beside each kind of line in an
interaction's thread, so customer, system and note lines read apart at a glance."""

from __future__ import annotations

from dataclasses import dataclass

# Slack's own green, a neutral grey and Slack's yellow: apart for most colour vision.
DEFAULT_CUSTOMER = "#2EB67D"
DEFAULT_SYSTEM = "#A0A4A8"
DEFAULT_NOTE = "#ECB22E"


@dataclass(frozen=True)
class TranscriptColors:
    """Each a hex colour, "#RRGGBB"."""

    customer: str = DEFAULT_CUSTOMER
    system: str = DEFAULT_SYSTEM
    note: str = DEFAULT_NOTE
