"""A note to one person that names other people: the words, with each person kept as an id.

The domain knows who took a transfer or holds an interaction, not how Slack shows a person;
the Slack side turns each named person into a mention when it posts the note."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notice:
    text: str  # "{holder}" marks where the person people["holder"] is named
    people: dict[str, str] = field(default_factory=dict)  # placeholder -> Slack user id


def naming(text: str, **people: str) -> Notice:
    return Notice(text, dict(people))
