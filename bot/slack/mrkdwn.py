"""The one escape for customer text placed into Slack mrkdwn, and its way back to a phone.

`escape` is what every customer (or other non-admin) string passes through before it goes
into a Block Kit text or a message, so an SMS cannot carry a disguised link, a channel-wide
ping or a user mention. `to_plain_text` turns what an agent typed in Slack into what the
customer's phone should show.
"""

import re
from collections.abc import Callable

# Anything Slack treats specially sits between < and >; the text inside has its own & < >
# escaped, so a raw < or > inside never occurs.
_ANGLE = re.compile(r"<([^<>]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(?://)?")
_BROADCASTS = {"here", "channel", "everyone"}
# The bidirectional embedding, override and isolate controls (the "Trojan Source" set,
# CVE-2021-42574). Invisible, yet they reorder what follows: "\u202eexe.pdf" reads as
# "fdp.exe", and an unclosed one spills over the rest of the block. An agent must read
# what the customer typed in the order typed, so each is shown by name instead.
# Marks (LRM, RLM) and the zero-width joiners stay: they reorder nothing, and Hebrew,
# Arabic, Persian and emoji sequences need them.
_BIDI_CONTROLS = (*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)))
# One table, applied in one pass: an & the table adds is never escaped again, and text cut
# into pieces and escaped piece by piece comes out the same as escaped whole.
_SHOWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                        **{c: f"\u27e8U+{ord(c):04X}\u27e9" for c in _BIDI_CONTROLS}})


def escape(text: str) -> str:
    # &, < and >, as Slack's "Escaping text" guidance says: with no < there can be no
    # <url|label>, <!channel> or <@U…>. And bidi controls shown as "⟨U+202E⟩".
    # A bare "@channel" typed by a customer stays plain text: Slack only turns it into a
    # ping when a message is posted with link_names, which this app never sets.
    return text.translate(_SHOWN)


def to_plain_text(slack_text: str, user_name: Callable[[str], str]) -> str:
    """What a phone should show for the text of a Slack `message` event.

    user_name maps a user id (U123) to the name the customer should read.
    """
    out: list[str] = []
    pos = 0
    for match in _ANGLE.finditer(slack_text):
        out.append(_unescape(slack_text[pos : match.start()]))
        out.append(_render(match.group(1), user_name))
        pos = match.end()
    out.append(_unescape(slack_text[pos:]))
    return "".join(out)


def mentioned_user_ids(slack_text: str) -> list[str]:
    """User ids mentioned as <@U…>, first mention first, each once."""
    return list(dict.fromkeys(_USER_MENTION.findall(slack_text)))


def _unescape(text: str) -> str:
    # One pass does what "&lt; and &gt; first, &amp; last" does: an &amp;lt; comes back
    # as the "&lt;" the agent typed, not as "<".
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _render(inner: str, user_name: Callable[[str], str]) -> str:
    target, _, label = inner.partition("|")
    label = _unescape(label)
    if target.startswith("@"):
        # The name comes from our directory, not from Slack's text, so it is not unescaped.
        return user_name(target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return _render_special(target[1:], label)
    return _render_link(_unescape(target), label)


def _render_special(command: str, label: str) -> str:
    if command in _BROADCASTS:
        return "@" + command
    name, _, ident = command.partition("^")
    if name == "subteam":
        return label or "@" + ident
    # <!date^…|fallback> and anything newer: Slack's fallback text is meant for
    # clients that cannot render the thing, which a phone is.
    return label or name


def _render_link(url: str, label: str) -> str:
    # A phone shows where a link really goes: "bank.com (https://evil.example)".
    # Slack writes auto-linked bare addresses as <http://example.com|example.com> and
    # <mailto:a@b.c|a@b.c>; those say the same thing twice, so say it once.
    if not label or label == url:
        return url
    if label == _SCHEME.sub("", url):
        return label
    return f"{label} ({url})"
