"""The reactions on an agent's reply that say how its SMS is doing, and the fewest
reactions.add/remove calls that take the reply from the marks it shows to the mark its
delivery state wants (bot/slack/views/transcript.py: DELIVERY_REACTIONS).

Reactions are among Slack's scarcest budgets (about 50 calls a minute for a whole
workspace), so a mark is never taken off only to say "and then": 📤 (sent) and ✅
(delivered) are ticks, and ✅ joins 📤 the way a second tick joins the first. Every other
mark (✏️ held, ⏳ waiting to go, 🔄 retrying, ❌ not delivered) is a passing state, taken off
when the next one is drawn. A state that came and went before its mark was drawn is never
drawn: the job draws what the reply is now, so a reply whose delivery is known before its
📤 was drawn gets ✅ alone (one call), and one happy reply costs two.

What a reply shows is stored on it (Message.delivery_shown) as the reaction names, oldest
first, separated by spaces; a row written before ticks joined holds one name, which reads
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

SENT_MARK = "outbox_tray"
DELIVERED_MARK = "white_check_mark"
# In the order they join one another.
TICKS = (SENT_MARK, DELIVERED_MARK)


@dataclass(frozen=True)
class MarkChange:
    """The calls to make, in order (removals first), and what the reply shows after them."""

    remove: tuple[str, ...]
    add: str | None
    shown: tuple[str, ...]

    @property
    def calls(self) -> int:
        return len(self.remove) + (self.add is not None)


def shown_marks(stored: str | None) -> tuple[str, ...]:
    """Message.delivery_shown read back as the marks on the reply, oldest first."""
    return tuple((stored or "").split())


def stored_marks(shown: tuple[str, ...]) -> str | None:
    """The marks as Message.delivery_shown keeps them (None: the reply shows none)."""
    return " ".join(shown) or None


def change_marks(shown: tuple[str, ...], wanted: str | None) -> MarkChange:
    """From the marks a reply shows to the one its delivery state wants (None: no mark).
    The ticks before a wanted tick stay; everything else comes off."""
    kept = tuple(mark for mark in shown if _tick_before(mark, wanted))
    target = kept + ((wanted,) if wanted is not None else ())
    return MarkChange(
        remove=tuple(mark for mark in shown if mark not in target),
        add=wanted if wanted is not None and wanted not in shown else None,
        shown=target,
    )


def _tick_before(mark: str, wanted: str | None) -> bool:
    return (mark in TICKS and wanted in TICKS
            and TICKS.index(mark) < TICKS.index(wanted))
