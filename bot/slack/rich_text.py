"""What an agent typed, as a phone should show it: read from the message's rich_text blocks.

Slack rewrites typed text before an app sees it (`:)` becomes `:slightly_smiling_face:`,
`*today*` keeps its asterisks as bold markup, an address becomes `<http://…|…>`, `@bob`
becomes `<@U…>`). The rich_text blocks beside `text` say what was meant: emoji with their
code points, text with its styles, links with their address, mentions by id. A phone shows
none of Slack's markup, so styles vanish, lists keep their bullets and numbers as plain
text, quotes and code are plain lines, and a custom emoji (which has no code point) cannot
be sent at all: it is left out and named, so the agent can be asked first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Slack's skin tones 2-6 are the Fitzpatrick modifiers U+1F3FB..U+1F3FF.
_FIRST_SKIN_TONE = 0x1F3FB
_SKIN_TONES = range(0x1F3FB, 0x1F400)
BULLETS = ("•", "◦", "▪")  # by list indent, as Slack draws them


@dataclass(frozen=True)
class AgentText:
    text: str  # what the phone receives
    custom_emoji: tuple[str, ...] = ()  # :names: left out: a phone cannot show them


@dataclass(frozen=True)
class Names:
    """How people, groups and channels mentioned in a reply are named to a customer."""

    user: Callable[[str], str] = lambda _user_id: "a colleague"
    usergroup: Callable[[str], str] = lambda _group_id: "our team"
    channel: Callable[[str], str] = lambda _channel_id: "our team"


def has_rich_text(blocks: list | None) -> bool:
    return any(isinstance(b, dict) and b.get("type") == "rich_text" for b in blocks or ())


def mentioned_user_ids(blocks: list | None) -> list[str]:
    """Users named in the blocks, each once, in order (to look their names up first)."""
    found: list[str] = []
    for element in _inline_elements(blocks or []):
        if element.get("type") == "user" and element.get("user_id") not in found:
            found.append(str(element.get("user_id")))
    return found


def render(blocks: list, names: Names = Names()) -> AgentText:
    """The SMS text of a message's rich_text blocks (the caller falls back to `text`, with
    its own conversion, only when there are none)."""
    custom: list[str] = []
    parts = [_block(element, names, custom)
             for block in blocks if isinstance(block, dict) and block.get("type") == "rich_text"
             for element in block.get("elements") or ()]
    text = "\n".join(part for part in parts if part is not None)
    # A left-out emoji or broadcast may leave two spaces, or a space before the line's end.
    text = re.sub(r"(?<=\S)[ \t]{2,}", " ", text)  # indents of list lines stay
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    return AgentText(text, tuple(dict.fromkeys(custom)))


def _block(element: dict, names: Names, custom: list[str]) -> str | None:
    kind = element.get("type")
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return _inline(element.get("elements") or (), names, custom)
    if kind == "rich_text_list":
        return _list(element, names, custom)
    return None  # a kind Slack may add later: nothing the phone could show


def _list(element: dict, names: Names, custom: list[str]) -> str:
    indent = int(element.get("indent") or 0)
    ordered = element.get("style") == "ordered"
    first = int(element.get("offset") or 0) + 1
    lines = []
    for number, item in enumerate(element.get("elements") or (), start=first):
        marker = f"{number}." if ordered else BULLETS[indent % len(BULLETS)]
        lines.append(f"{'  ' * indent}{marker} {_block(item, names, custom) or ''}".rstrip())
    return "\n".join(lines)


def _inline(elements, names: Names, custom: list[str]) -> str:
    return "".join(_element(e, names, custom) for e in elements if isinstance(e, dict))


def _element(element: dict, names: Names, custom: list[str]) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "emoji":
        return _emoji(element, custom)
    if kind == "link":
        return _link(str(element.get("url") or ""), element.get("text"))
    if kind == "user":
        return names.user(str(element.get("user_id") or ""))
    if kind == "usergroup":
        return names.usergroup(str(element.get("usergroup_id") or ""))
    if kind == "channel":
        return names.channel(str(element.get("channel_id") or ""))
    if kind == "date":
        return str(element.get("fallback") or "")
    if kind == "color":
        return str(element.get("value") or "")
    return ""  # broadcast (@here, @channel) means nothing to a customer; so does a team


def _emoji(element: dict, custom: list[str]) -> str:
    code = str(element.get("unicode") or "")
    try:
        points = [int(part, 16) for part in code.split("-") if part]
    except ValueError:
        points = []
    if not points:
        custom.append(str(element.get("name") or "emoji"))
        return ""
    tone = element.get("skin_tone")
    if isinstance(tone, int) and 2 <= tone <= 6 and not any(p in _SKIN_TONES for p in points):
        points.insert(1, _FIRST_SKIN_TONE + tone - 2)
    return "".join(chr(point) for point in points)


def _link(url: str, text: object) -> str:
    shown = str(text or "").strip()
    bare = re.sub(r"^(mailto|tel):", "", url)
    if not shown or shown in (url, bare) or url.rstrip("/") == shown.rstrip("/"):
        return bare if url.startswith(("mailto:", "tel:")) else url
    return f"{shown} ({bare if url.startswith(('mailto:', 'tel:')) else url})"


def _inline_elements(blocks: list):
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "rich_text":
            continue
        stack = list(block.get("elements") or ())
        while stack:
            element = stack.pop(0)
            if not isinstance(element, dict):
                continue
            if element.get("type", "").startswith("rich_text_"):
                stack[:0] = list(element.get("elements") or ())
            else:
                yield element
