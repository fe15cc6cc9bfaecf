"""Admin-supplied links for case fields: a field's value turned into an address and its text."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class CaseLink:
    """An admin's link for one case field: `{value}` in `url` is the field's value, URL-quoted;
    in `text` it is the value as shown. Only these links ever get anchor text in Slack."""

    field: str
    text: str
    url: str

    def href(self, value: str) -> str:
        return self.url.replace("{value}", quote(value, safe=""))

    def anchor(self, value: str) -> str:
        return self.text.replace("{value}", value)
