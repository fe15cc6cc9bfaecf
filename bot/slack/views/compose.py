"""The compose modal ("Reply…"): a standard-response picker, the text, its SMS cost live.

Slack keeps what a person typed in an input across `views.update` as long as the input's
block_id stays the same, and then ignores `initial_value`. So the text block's id carries a
revision: a live segment-count update keeps it (the typing is untouched), inserting a
response bumps it (the new text replaces the old). The picker's block is bumped too, so the
same response can be picked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.interactions.spelling import Occurrence, WordFlag
from bot.desk.phone import display
from bot.desk.segments import GSM7, LIMITS, count_segments
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip, contact_label, escaped_chunks, interaction_id_of, when
from bot.slack.views.spelling import DRAFT, word_blocks

TEXT_BLOCK = "compose.text"
RESPONSE_BLOCK = "compose.response"
TEXT_LIMIT = 1600  # replies.COMPOSED_LIMIT; the count turns into a warning past it


@dataclass(frozen=True)
class ComposeData:
    interaction_id: int
    contact_name: str | None
    contact_phone: str
    text: str = ""
    revision: int = 0
    unfilled: tuple[str, ...] = ()  # {fields} still in the text, as typed
    # Spelling check: the words flagged in the text (each with its choices), whether the
    # agent has already been shown them for exactly this text (a second Send then sends
    # it), and the occurrences they chose to Ignore.
    flags: tuple[WordFlag, ...] = ()
    confirmed_text: str | None = None
    ignored: tuple[Occurrence, ...] = ()


def text_block_id(revision: int) -> str:
    return f"{TEXT_BLOCK}.{revision}"


def revision_of(block_id: str | None) -> int:
    tail = (block_id or "").rpartition(".")[2]
    return int(tail) if tail.isdigit() else 0


def current_text(view: dict) -> tuple[str | None, str]:
    """(block_id, text) of the reply as the modal's state holds it."""
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        element = actions.get(ids.COMPOSE_TEXT)
        if element is not None:
            return block_id, element.get("value") or ""
    return None, ""


def segment_line(text: str) -> str:
    """What the text costs, as the agent sees it under the box."""
    if not text.strip():
        return "Type the reply, or pick a standard response to insert it."
    length = len(text)
    if length > TEXT_LIMIT:
        return (f":warning: {length} characters: an SMS reply can be at most {TEXT_LIMIT}. "
                "Shorten it to send.")
    report = count_segments(text)
    single, per_part = LIMITS[report.encoding]
    why = "" if report.encoding == GSM7 else " (emoji or special characters)"
    if report.segments == 1:
        return (f"*1 SMS* · {report.encoding}{why} · {length} characters "
                f"(up to {single} fit in one)")
    return (f"*{report.segments} SMS segments* · {report.encoding}{why} · {length} characters "
            f"({per_part} per segment)")


def build_compose(c: ComposeData) -> dict:
    who = contact_label(c.contact_name, c.contact_phone)
    to = f"*{escape(who)}*"
    if c.contact_name:
        to += f" · {escape(display(c.contact_phone))}"
    text_input: dict = {
        "type": "plain_text_input",
        "action_id": ids.COMPOSE_TEXT,
        "multiline": True,
        "placeholder": {"type": "plain_text", "text": "The SMS to the customer"},
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    }
    if c.text:
        text_input["initial_value"] = c.text
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"To {to}"}},
        {
            "type": "input",
            "block_id": f"{RESPONSE_BLOCK}.{c.revision}",
            "optional": True,
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Standard response"},
            "hint": {"type": "plain_text", "text": "Inserted below what you typed, with the "
                                                   "customer's and your name filled in."},
            "element": {
                "type": "external_select",
                "action_id": ids.RESPONSE_SEARCH,
                "min_query_length": 0,
                "placeholder": {"type": "plain_text",
                                "text": "Search by name, category or text"},
            },
        },
        {
            "type": "input",
            "block_id": text_block_id(c.revision),
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Message"},
            "element": text_input,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": segment_line(c.text)}]},
    ]
    if c.unfilled:
        shown = escape(", ".join(c.unfilled))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f":warning: Not filled in: {clip(shown, 1500)}. The customer would "
                       "read it exactly like that: edit it before sending."}]})
    blocks += spelling_blocks(c.text, c.flags, ids.COMPOSE_SPELL_WORD,
                              f"compose.spelling.{c.revision}")
    return {
        "type": "modal",
        "callback_id": ids.COMPOSE_VIEW,
        "private_metadata": str(c.interaction_id) + (
            f"|{spelling_token(c.confirmed_text) if c.confirmed_text is not None else ''}"
            f"|{ignored_text(c.ignored)}" if c.confirmed_text is not None or c.ignored
            else ""),
        "title": {"type": "plain_text", "text": "Reply by SMS"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def response_options(entries) -> dict:
    """block_suggestion answer: the matching responses grouped by category (ack(**this))."""
    groups: dict[str, list[dict]] = {}
    for entry in list(entries)[:MAX_SELECT_OPTIONS]:
        groups.setdefault(entry.category, []).append({
            "text": {"type": "plain_text", "text": clip(entry.name, MAX_OPTION_TEXT)},
            "value": str(entry.id),
        })
    if not groups:
        return {"options": []}
    return {"option_groups": [
        {"label": {"type": "plain_text", "text": clip(category, MAX_OPTION_TEXT)},
         "options": options}
        for category, options in groups.items()
    ]}


def build_composed_line(agent_name: str | None, user_id: str, body: str,
                        at: datetime, via: str = "Reply…") -> dict:
    """The reply in the thread, posted under the agent's name: the text exactly as it goes to
    the phone (escaped, so it shows literally), and where it came from."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                          for chunk in escaped_chunks(body)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f":outbox_tray: Sent via {via} by <@{user_id}> · {when(at)}"}]})
    line = {"text": escape(clip(body, 3000)), "blocks": blocks}
    if agent_name:
        line["username"] = clip(agent_name, 80)
    return line


MAX_WORDS_LISTED = 10  # per-word choices under the text; the rest wait for the next ones


def spelling_blocks(text: str, flags: tuple[WordFlag, ...], action_id: str,
                    block_prefix: str) -> list[dict]:
    """The draft's flagged words, each with the prompt's choices (acted on at once: a
    suggestion changes the text, Ignore / Ignore All / Add take the word off the list)."""
    if not flags:
        return []
    count = f"{len(flags)} word{'s' if len(flags) != 1 else ''}"
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f":pencil2: Possibly misspelled: {count}. Choose what each becomes, or leave it: "
        "a second Send sends the text as it is.")}]},
        *word_blocks(text, flags, action_id=action_id, ref=DRAFT, block_prefix=block_prefix,
                     show_choice=False, limit=MAX_WORDS_LISTED)]


def spelling_token(text: str) -> str:
    """Marks which text the agent already saw flagged, so Send twice means send anyway."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


IGNORED_ROOM = 2800  # characters of private_metadata (Slack keeps 3000) for them


def ignored_text(ignored: tuple[Occurrence, ...]) -> str:
    """Ignored occurrences as private_metadata carries them: "word:n,word:n", the newest
    kept when they outgrow the room. A flagged word has no comma, colon or bar in it
    (bot/spelling/tokens.py)."""
    kept: list[str] = []
    room = IGNORED_ROOM
    for word, n in reversed(ignored):
        item = f"{word}:{n}"
        if len(item) + 1 > room:
            break
        kept.insert(0, item)
        room -= len(item) + 1
    return ",".join(kept)


def ignored_from(text: str) -> tuple[Occurrence, ...]:
    found = []
    for item in text.split(","):
        word, _, n = item.rpartition(":")
        if word and n.isdigit():
            found.append((word, int(n)))
    return tuple(found)


def _metadata(view: dict) -> list[str]:
    """A compose modal's private_metadata: "<id>" or "<id>|<spelling token>|<ignored>"."""
    return (str(view.get("private_metadata") or "").split("|") + ["", ""])[:3]


def interaction_of(view: dict) -> int | None:
    """The interaction a compose modal belongs to, or None when its private_metadata is
    not what this app writes (a forged or damaged payload)."""
    return interaction_id_of({"private_metadata": _metadata(view)[0]})


def confirmed(view: dict, text: str) -> bool:
    return _metadata(view)[1] == spelling_token(text)


def ignored_of(view: dict) -> tuple[Occurrence, ...]:
    """The occurrences the agent chose to Ignore in this draft."""
    return ignored_from(_metadata(view)[2])
