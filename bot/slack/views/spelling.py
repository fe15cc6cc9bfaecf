"""The spelling check as an agent sees it: the prompt of a held reply (only they see it), and
the per-word choice the prompt, the Home tab and the Reply… and New SMS modals share."""

from __future__ import annotations

from collections.abc import Sequence

from bot.desk.interactions.spelling import WordFlag, WordPick
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip

MAX_WORDS_SHOWN = 20  # one block each; Slack allows 50 per message
MAX_OPTION_VALUE = 150  # Slack's limit on an option's value
DRAFT = "draft"  # the reference of a modal's draft (a held reply's is its message id)
SNIPPET = 24  # characters of the text shown on each side of a flagged word

PICK_LABELS = {
    WordPick.IGNORE: "Ignore (keep it here)",
    WordPick.IGNORE_ALL: "Ignore All (this conversation)",
    WordPick.ADD_TO_DICTIONARY: "Add to My Dictionary",
}


def word_value(ref: str, start: int, pick: WordPick, suggestion: str = "") -> str:
    """An option's value: which reply (a message id, or DRAFT), which word, what to do."""
    return f"{ref}|{start}|{pick.value}|{suggestion}"


def parse_word_value(value: str) -> tuple[str, int, WordPick, str] | None:
    """(ref, start, pick, suggestion) of an option's value; None for one this app did not
    write (a forged or damaged payload)."""
    parts = (value or "").split("|", 3)
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    try:
        pick = WordPick(parts[2])
    except ValueError:
        return None
    return parts[0], int(parts[1]), pick, parts[3]


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": clip(text, MAX_OPTION_TEXT)}, "value": value}


def _group(label: str, options: list[dict]) -> dict:
    return {"label": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)},
            "options": options}


def word_select(flag: WordFlag, *, action_id: str, ref: str, can_change: bool = True,
                show_choice: bool = True) -> dict:
    """A select of what the word can become: each of its suggestions, Ignore (this
    occurrence), Ignore All (this conversation), Add to My Dictionary.

    can_change=False (a reply already sent): only what helps the next ones, Ignore All and
    Add. show_choice: the option that applies now is shown selected (a held reply sent
    corrected takes the word's first suggestion unless another is chosen)."""
    changes = [_option(s, word_value(ref, flag.start, WordPick.USE, s))
               for s in flag.suggestions if can_change]
    changes = [o for o in changes if len(o["value"]) <= MAX_OPTION_VALUE]
    picks = [WordPick.IGNORE, WordPick.IGNORE_ALL, WordPick.ADD_TO_DICTIONARY] \
        if can_change else [WordPick.IGNORE_ALL, WordPick.ADD_TO_DICTIONARY]
    keeps = [_option(PICK_LABELS[pick], word_value(ref, flag.start, pick)) for pick in picks]
    groups = ([_group("Change to", changes)] if changes else []) \
        + [_group(f"Keep {flag.word}", keeps)]
    select: dict = {"type": "static_select", "action_id": action_id, "option_groups": groups,
                    "placeholder": {"type": "plain_text", "text": "Choose…"}}
    if show_choice and can_change:
        current = keeps[0] if flag.choice == flag.word else next(
            (o for o in changes if o["value"].endswith("|" + (flag.choice or flag.replacement))),
            None)
        if current is not None:
            select["initial_option"] = current
    return select


def snippet(text: str, flag: WordFlag) -> str:
    """The flagged word in its place (mrkdwn, escaped), so two of the same are told apart."""
    end = flag.start + len(flag.word)
    if text[flag.start:end] != flag.word:
        return f"*{escape(flag.word)}*"
    before = text[max(0, flag.start - SNIPPET):flag.start]
    after = text[end:end + SNIPPET]
    lead = "…" if flag.start > SNIPPET else ""
    tail = "…" if end + SNIPPET < len(text) else ""
    return (f"{lead}{escape(before)}*{escape(flag.word)}*{escape(after)}{tail}"
            .replace("\n", " "))


def word_blocks(text: str, flags: Sequence[WordFlag], *, action_id: str, ref: str,
                block_prefix: str, can_change: bool = True, show_choice: bool = True,
                limit: int = MAX_WORDS_SHOWN) -> list[dict]:
    """One section per flagged word (at most `limit`): where it is, and its select."""
    blocks = [{"type": "section", "block_id": f"{block_prefix}.{flag.start}",
               "text": {"type": "mrkdwn", "text": clip(snippet(text, flag), 2900)},
               "accessory": word_select(flag, action_id=action_id, ref=ref,
                                        can_change=can_change, show_choice=show_choice)}
              for flag in flags[:limit]]
    if len(flags) > limit:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{len(flags) - limit} more flagged words are not listed: sent corrected, each "
            "takes its first suggestion.")}]})
    return blocks


def decision_buttons(message_id: int, flags: Sequence[WordFlag]) -> list[dict]:
    """Send corrected (as chosen), Send anyway (as written), Cancel."""
    value = str(message_id)
    buttons = []
    if any(flag.replacement != flag.word for flag in flags):
        buttons.append({"type": "button", "action_id": ids.SPELL_SEND_CORRECTED,
                        "value": value, "style": "primary",
                        "text": {"type": "plain_text", "text": "Send corrected"}})
    buttons.append({"type": "button", "action_id": ids.SPELL_SEND_ANYWAY, "value": value,
                    "text": {"type": "plain_text",
                             "text": "Send anyway" if flags else "Send"}})
    buttons.append({"type": "button", "action_id": ids.SPELL_CANCEL, "value": value,
                    "style": "danger", "text": {"type": "plain_text", "text": "Cancel"}})
    return buttons


def _words(count: int) -> str:
    return f"{count} word{'s' if count != 1 else ''}"


def build_spelling_prompt(message_id: int, text: str, flags: Sequence[WordFlag], *,
                          held: bool) -> dict:
    """The prompt of a reply with flagged words: held (choose per word, then send), or sent
    already (only Ignore All and Add, for the next replies)."""
    if not flags:
        headline = "No flagged words left. Send the reply?"
    elif held:
        headline = (f"{_words(len(flags))} may be misspelled, so your reply is held, not sent "
                    "yet. Choose what each becomes (its first suggestion unless you pick "
                    "another), then send.")
    else:
        headline = f"Sent. {_words(len(flags))} may be misspelled."
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn",
                                                       "text": f":pencil2: {headline}"}}]
    blocks += word_blocks(text, flags, action_id=ids.SPELL_WORD, ref=str(message_id),
                          block_prefix=f"spelling.{message_id}", can_change=held)
    if held:
        blocks.append({"type": "actions", "block_id": f"spelling.{message_id}.decide",
                       "elements": decision_buttons(message_id, flags)})
    words = ", ".join(f.word for f in flags[:MAX_WORDS_SHOWN])
    fallback = headline + (f" Flagged: {escape(words)}." if words else "")
    return {"text": fallback, "blocks": blocks}
