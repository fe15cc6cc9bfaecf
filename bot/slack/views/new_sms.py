"""The New SMS modal: recipient (typed, or fixed when it comes from a contact), the business
number it goes out from, a standard response, the text and what it costs.

Like the compose modal, the text block's id carries a revision so inserting a response
replaces what Slack holds for the input, while the live count keeps what is being typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.desk.interactions.spelling import Occurrence, WordFlag
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip, contact_label, notice_modal
from bot.slack.views.compose import segment_line, spelling_blocks, spelling_token

TO_BLOCK = "new_sms.to"
FROM_BLOCK = "new_sms.from"
RESPONSE_BLOCK = "new_sms.response"
TEXT_BLOCK = "new_sms.text"


@dataclass(frozen=True)
class NewSmsData:
    sending_numbers: tuple[str, ...]
    from_number: str | None = None
    to: str = ""  # typed recipient (number or name), pre-filled from /sms
    contact_id: int | None = None  # fixed recipient, from the contact view or a card
    contact_name: str | None = None
    contact_numbers: tuple[str, ...] = ()  # the fixed contact's numbers, primary first
    text: str = ""
    revision: int = 0
    unfilled: tuple[str, ...] = ()
    # The spelling check, as in the Reply… modal (bot/slack/views/compose.py): the flagged
    # words, the text already shown flagged (a second Send sends it), the occurrences
    # Ignored, and the words to Ignore All in the interaction it will start.
    flags: tuple[WordFlag, ...] = ()
    confirmed_text: str | None = None
    ignored: tuple[Occurrence, ...] = ()
    ignored_words: tuple[str, ...] = ()


IGNORED_ROOM = 1000  # characters of words each list may keep (private_metadata holds 3000)


def _newest(words: list[str]) -> int:
    """How many of the last `words` fit IGNORED_ROOM."""
    room, count = IGNORED_ROOM, 0
    for word in reversed(words):
        room -= len(word) + 8  # the word's quotes, a count, brackets, commas
        if room < 0:
            break
        count += 1
    return count


def _list(raw: object) -> list:
    return raw if isinstance(raw, list) else []


def _occurrences(raw: object) -> tuple[Occurrence, ...]:
    """The Ignored occurrences in private_metadata, but anything this app did not write."""
    return tuple((item[0], item[1]) for item in _list(raw)
                 if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                 and isinstance(item[1], int))


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": clip(text, MAX_OPTION_TEXT)}, "value": value}


def _recipient_blocks(d: NewSmsData) -> list[dict]:
    if d.contact_id is None:
        element: dict = {"type": "plain_text_input", "action_id": ids.NEW_SMS_TO,
                         "placeholder": {"type": "plain_text",
                                         "text": "+1 415 555 0100, or a contact's name"}}
        if d.to:
            element["initial_value"] = clip(d.to, 150)
        return [{"type": "input", "block_id": TO_BLOCK,
                 "label": {"type": "plain_text", "text": "To"},
                 "hint": {"type": "plain_text", "text": "A mobile number in any format, or the "
                                                        "full name of a directory contact."},
                 "element": element}]
    who = escape(contact_label(d.contact_name, d.contact_numbers[0]))
    if len(d.contact_numbers) == 1:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": (
            f"To *{who}* · {escape(display(d.contact_numbers[0]))}")}}]
    options = [_option(display(n), n) for n in d.contact_numbers[:100]]
    label = f"To {clip(contact_label(d.contact_name, d.contact_numbers[0]), 100)}"
    return [{"type": "input", "block_id": TO_BLOCK,
             "label": {"type": "plain_text", "text": label},
             "element": {"type": "static_select", "action_id": ids.NEW_SMS_TO,
                         "options": options, "initial_option": options[0]}}]


def _from_blocks(d: NewSmsData) -> list[dict]:
    chosen = d.from_number or d.sending_numbers[0]
    if len(d.sending_numbers) == 1:
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text":
                 f"From the desk's number {escape(display(chosen))}"}]}]
    options = [_option(display(n), n) for n in d.sending_numbers[:100]]
    initial = next((o for o in options if o["value"] == chosen), options[0])
    return [{"type": "input", "block_id": FROM_BLOCK,
             "label": {"type": "plain_text", "text": "From"},
             "element": {"type": "static_select", "action_id": ids.NEW_SMS_FROM,
                         "options": options, "initial_option": initial}}]


def build_new_sms(d: NewSmsData) -> dict:
    text_input: dict = {
        "type": "plain_text_input", "action_id": ids.NEW_SMS_TEXT, "multiline": True,
        "placeholder": {"type": "plain_text", "text": "The SMS to the customer"},
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    }
    if d.text:
        text_input["initial_value"] = d.text
    blocks = [
        *_recipient_blocks(d),
        *_from_blocks(d),
        {"type": "input", "block_id": f"{RESPONSE_BLOCK}.{d.revision}", "optional": True,
         "dispatch_action": True,
         "label": {"type": "plain_text", "text": "Standard response"},
         "hint": {"type": "plain_text", "text": "Inserted below what you typed."},
         "element": {"type": "external_select", "action_id": ids.NEW_SMS_RESPONSE,
                     "min_query_length": 0,
                     "placeholder": {"type": "plain_text",
                                     "text": "Search by name, category or text"}}},
        {"type": "input", "block_id": f"{TEXT_BLOCK}.{d.revision}", "dispatch_action": True,
         "label": {"type": "plain_text", "text": "Message"}, "element": text_input},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": segment_line(d.text)}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
         "Page mode: one message, then the interaction closes. The customer's answer comes "
         "back as a new interaction. Pictures cannot be sent."}]},
    ]
    if d.unfilled:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f":warning: Not filled in: {clip(escape(', '.join(d.unfilled)), 1500)}. The "
            "customer would read it exactly like that: edit it before sending.")}]})
    blocks += spelling_blocks(d.text, d.flags, ids.NEW_SMS_SPELL_WORD,
                              f"new_sms.spelling.{d.revision}")
    metadata: dict = {"contact_id": d.contact_id, "contact_name": d.contact_name,
                      "numbers": list(d.contact_numbers), "from": d.from_number}
    if d.confirmed_text is not None:
        metadata["confirmed"] = spelling_token(d.confirmed_text)
    if d.ignored:
        kept = _newest([word for word, _ in d.ignored])
        metadata["ignored"] = [[word, n] for word, n in d.ignored[len(d.ignored) - kept:]]
    if d.ignored_words:
        kept = _newest(list(d.ignored_words))
        metadata["ignore_all"] = list(d.ignored_words[len(d.ignored_words) - kept:])
    return {
        "type": "modal",
        "callback_id": ids.NEW_SMS_VIEW,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": "New SMS"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


@dataclass(frozen=True)
class NewSmsState:
    """What the person filled in, read back from a submission or an action in the modal."""

    data: NewSmsData
    text_block: str
    to: str  # typed recipient, or the chosen number of a fixed contact
    confirmed_token: str = ""  # the spelling token of the text last shown flagged

    @property
    def confirmed(self) -> bool:
        """The agent has seen this very text's flagged words: Send sends it."""
        return self.confirmed_token == spelling_token(self.data.text)


def read_state(view: dict, sending_numbers: tuple[str, ...]) -> NewSmsState:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    to, from_number, text, text_block, revision = "", meta.get("from"), "", f"{TEXT_BLOCK}.0", 0
    for block_id, actions in values.items():
        for action_id, element in actions.items():
            picked = (element.get("selected_option") or {}).get("value")
            if action_id == ids.NEW_SMS_TO:
                to = picked or element.get("value") or ""
            elif action_id == ids.NEW_SMS_FROM and picked:
                from_number = picked
            elif action_id == ids.NEW_SMS_TEXT:
                text, text_block = element.get("value") or "", block_id
                tail = block_id.rpartition(".")[2]
                revision = int(tail) if tail.isdigit() else 0
    sending = sending_numbers
    data = NewSmsData(sending_numbers=sending, from_number=from_number or
                      (sending[0] if sending else None), to=to,
                      contact_id=meta.get("contact_id"), contact_name=meta.get("contact_name"),
                      contact_numbers=tuple(meta.get("numbers") or ()), text=text,
                      revision=revision,
                      ignored=_occurrences(meta.get("ignored")),
                      ignored_words=tuple(w for w in _list(meta.get("ignore_all"))
                                          if isinstance(w, str)))
    return NewSmsState(data, text_block, to, str(meta.get("confirmed") or ""))


def build_not_allowed(reason: str) -> dict:
    """For the shortcut, which has no channel to answer in: a modal that only explains."""
    return notice_modal("New SMS", reason, callback_id=ids.NEW_SMS_REFUSED)
