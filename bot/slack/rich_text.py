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
from dataclasses import dataclass, field

from bot.desk.thread_reply import PhoneText

# Slack's skin tones 2-6 are the Fitzpatrick modifiers U+1F3FB..U+1F3FF.
_FIRST_SKIN_TONE = 0x1F3FB
_SKIN_TONES = range(0x1F3FB, 0x1F400)
BULLETS = ("•", "◦", "▪")  # by list indent, as Slack draws them
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?://)?")


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


@dataclass
class _Found:
    """What rendering came across besides the text."""

    custom_emoji: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def render(blocks: list, names: Names = Names()) -> PhoneText:
    """The SMS text of a message's rich_text blocks (the caller falls back to `text`, with
    its own conversion, only when there are none)."""
    found = _Found()
    parts = [part for block in blocks
             if isinstance(block, dict) and block.get("type") == "rich_text"
             for element in block.get("elements") or ()
             if (part := _block(element, names, found)) is not None]
    text = ""
    for part in parts:
        # Slack ends a section with its line break when a list or quote follows.
        text += part if not text or text.endswith("\n") or part.startswith("\n") \
            else "\n" + part
    # A left-out emoji or broadcast may leave two spaces, or a space before the line's end.
    text = re.sub(r"(?<=\S)[ \t]{2,}", " ", text)  # indents of list lines stay
    text = re.sub(r"[ \t]+\n", "\n", text).strip()
    return PhoneText(text, tuple(dict.fromkeys(found.custom_emoji)),
                     tuple(dict.fromkeys(found.names)))


def _block(element: dict, names: Names, found: _Found) -> str | None:
    kind = element.get("type")
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return _inline(element.get("elements") or (), names, found)
    if kind == "rich_text_list":
        return _list(element, names, found)
    return None  # a kind Slack may add later: nothing the phone could show


def _list(element: dict, names: Names, found: _Found) -> str:
    indent = int(element.get("indent") or 0)
    ordered = element.get("style") == "ordered"
    first = int(element.get("offset") or 0) + 1
    lines = []
    for number, item in enumerate(element.get("elements") or (), start=first):
        marker = f"{number}." if ordered else BULLETS[indent % len(BULLETS)]
        item_text = (_block(item, names, found) or "").rstrip("\n")
        lines.append(f"{'  ' * indent}{marker} {item_text}".rstrip())
    return "\n".join(lines)


def _inline(elements, names: Names, found: _Found) -> str:
    return "".join(_element(e, names, found) for e in elements if isinstance(e, dict))


def _element(element: dict, names: Names, found: _Found) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text") or "")
    if kind == "emoji":
        return _emoji(element, found)
    if kind == "link":
        return _link(str(element.get("url") or ""), element.get("text"))
    if kind == "user":
        name = names.user(str(element.get("user_id") or ""))
        found.names.append(name)
        return name
    if kind == "usergroup":
        return names.usergroup(str(element.get("usergroup_id") or ""))
    if kind == "channel":
        return names.channel(str(element.get("channel_id") or ""))
    if kind == "date":
        return str(element.get("fallback") or "")
    if kind == "color":
        return str(element.get("value") or "")
    return ""  # broadcast (@here, @channel) means nothing to a customer; so does a team


def _emoji(element: dict, found: _Found) -> str:
    code = str(element.get("unicode") or "")
    try:
        points = [int(part, 16) for part in code.split("-") if part]
    except ValueError:
        points = []
    if not points:
        found.custom_emoji.append(str(element.get("name") or "emoji"))
        return ""
    tone = element.get("skin_tone")
    if isinstance(tone, int) and 2 <= tone <= 6 and not any(p in _SKIN_TONES for p in points):
        points.insert(1, _FIRST_SKIN_TONE + tone - 2)
    return "".join(chr(point) for point in points)


def _link(url: str, text: object) -> str:
    # A phone shows where a link really goes: "bank.com (https://evil.example)". An address
    # typed as such (example.com, help@example.com) Slack links with the typed text: once.
    shown = str(text or "").strip()
    bare = _SCHEME.sub("", url)
    address = bare if url.startswith(("mailto:", "tel:")) else url
    if not shown or shown.rstrip("/") in (url.rstrip("/"), bare.rstrip("/")):
        return shown or address
    return f"{shown} ({address})"


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
