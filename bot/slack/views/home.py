"""The app's Home tab: the agent's SMS state, what they hold, what waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.interactions.agents import AgentDesk
from bot.desk.interactions.claiming import WaitingTexts
from bot.desk.interactions.supervision import QueueSummary
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.claiming import waiting_blocks
from bot.slack.views.common import SECTION_LIMIT, escaped_chunks
from bot.slack.views.held import HeldReplyData, home_blocks
from bot.slack.views.supervision import home_queue_lines


def build_home(desk: AgentDesk, *, simulator_url: str | None, labels: dict[int, str],
               links: dict[int, str], queues: tuple[QueueSummary, ...] | None = None,
               now: datetime | None = None, spelling: SpellingChoice | None = None,
               contacts: bool = True, new_sms: bool = False, admin: bool = False,
               held: tuple[HeldReplyData, ...] = (),
               waiting: WaitingTexts | None = None) -> dict:
    """A `home` view. `labels` names each interaction's contact; `links` its thread;
    `queues` is the overview only supervisors and admins get (None for agents); `contacts`
    and `new_sms` say whether this person may search the directory and send a New SMS;
    `admin` whether they may change the desk's settings (/sms-admin); `held` the replies
    waiting for this agent's decision; `waiting` the texts waiting in their queues (an
    agent's: None for anyone else), listed with Claim."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "SMS desk"}},
    ]
    if simulator_url is not None:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            ":warning: *Simulator mode: no real SMS are being sent.* Play the customer's "
            f"phone at {simulator_url}")}})
    if desk.ready:
        state, button = ":large_green_circle: You are *Ready* for SMS.", (
            ids.SET_NOT_READY, "Go Not Ready")
    else:
        reason = f" ({escape(desk.not_ready_reason)})" if desk.not_ready_reason else ""
        state, button = f":red_circle: You are *Not Ready* for SMS{reason}.", (
            ids.SET_READY, "Go Ready")
    blocks.append({
        "type": "section",
        "text": {"type": "mrkdwn", "text": state},
        "accessory": {"type": "button", "action_id": button[0],
                      "text": {"type": "plain_text", "text": button[1]},
                      **({"style": "primary"} if not desk.ready else {})},
    })
    blocks.append({"type": "divider"})
    blocks += in_progress_blocks(desk, labels, links)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"Waiting in the queue: *{desk.waiting}*"}]})
    if waiting is not None:
        blocks += waiting_blocks(waiting, WAITING_BLOCKS)
    blocks += home_blocks(held)
    tools = []
    if contacts:
        tools.append({"type": "button", "action_id": ids.HOME_FIND_CONTACT, "value": "home",
                      "text": {"type": "plain_text", "text": "Find a contact"}})
    if new_sms:
        tools.append({"type": "button", "action_id": ids.HOME_NEW_SMS, "value": "home",
                      "text": {"type": "plain_text", "text": "New SMS"}})
    if admin:
        tools.append({"type": "button", "action_id": ids.HOME_ADMIN, "value": "home",
                      "text": {"type": "plain_text", "text": "Admin"}})
    if tools:
        blocks.append({"type": "actions", "block_id": "home.contacts", "elements": tools})
    if queues is not None and now is not None:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": home_queue_lines(queues, now)}})
    if spelling is not None:
        blocks += spelling_blocks(spelling)
    return {"type": "home", "blocks": blocks}


# The waiting texts' share of the Home tab's 100 blocks: a title, ten texts, a note.
WAITING_BLOCKS = 12
SHOWN_IN_PROGRESS = 40  # lines; the rest are counted (a Home tab holds 100 blocks in all)


def in_progress_blocks(desk: AgentDesk, labels: dict[int, str],
                       links: dict[int, str]) -> list[dict]:
    """What the agent holds, a line each, in as many sections as the lines need: one
    section holds 3,000 characters, about 27 lines with real names and thread links."""
    title = "*Your interactions in progress*"
    if not desk.in_progress:
        return [{"type": "section", "text": {"type": "mrkdwn",
                                             "text": f"{title}\nNone right now."}}]
    lines = []
    for interaction in desk.in_progress[:SHOWN_IN_PROGRESS]:
        # A name can have 200 characters, five times that once escaped.
        label = escaped_chunks(labels.get(interaction.id, "contact"), 120)[0]
        link = links.get(interaction.id)
        shown = f"<{link}|{label}>" if link and len(link) <= 1000 else label
        lines.append(f"• {interaction.media} with {shown} ({interaction.state})")
    more = len(desk.in_progress) - SHOWN_IN_PROGRESS
    if more > 0:
        lines.append(f"…and {more} more, not listed here (each is still in its thread).")
    texts = [title]
    for line in lines:
        if len(texts[-1]) + 1 + len(line) > SECTION_LIMIT:
            texts.append(line)
        else:
            texts[-1] += "\n" + line
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in texts]


@dataclass(frozen=True)
class SpellingChoice:
    enabled: bool
    language: str
    languages: tuple[tuple[str, str], ...]  # (code, name) of every dictionary shipped


def spelling_blocks(choice: SpellingChoice) -> list[dict]:
    """The agent's own spelling check: on or off, and which language's dictionary."""
    state = "on" if choice.enabled else "off"
    toggle = {"type": "button", "action_id": ids.SPELLING_TOGGLE,
              "value": "off" if choice.enabled else "on",
              "text": {"type": "plain_text",
                       "text": "Turn off" if choice.enabled else "Turn on"}}
    options = [{"text": {"type": "plain_text", "text": name[:MAX_OPTION_TEXT]}, "value": code}
               for code, name in choice.languages[:MAX_SELECT_OPTIONS]]
    current = next((o for o in options if o["value"] == choice.language), None)
    select = {"type": "static_select", "action_id": ids.SPELLING_LANGUAGE,
              "options": options, "placeholder": {"type": "plain_text", "text": "Language"}}
    if current:
        select["initial_option"] = current
    return [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f"*Spelling check before send* is {state}."},
         "accessory": toggle},
        {"type": "section", "block_id": "spelling",
         "text": {"type": "mrkdwn", "text": "Dictionary language"}, "accessory": select},
    ]
