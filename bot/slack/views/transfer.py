"""Modals for moving an interaction on: instant transfer and consultation."""

from __future__ import annotations

from bot.desk.interactions.consultations import Colleague
from bot.desk.interactions.transfers import MAX_REASON, QUEUE_TARGET, other_queue_target
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip, interaction_modal

TARGET_BLOCK, TARGET_ACTION = "target", "target"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
COLLEAGUE_BLOCK, COLLEAGUE_ACTION = "colleague", "colleague"
OTHER_PERSON_BLOCK, OTHER_PERSON_ACTION = "other_person", "other_person"


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": clip(text, MAX_OPTION_TEXT)}, "value": value}


def _select(action_id: str, groups: list[tuple[str, list[dict]]], placeholder: str) -> dict:
    """A static select of these (label, options) groups, leaving out empty ones; one group
    is drawn as a plain list."""
    groups = [(label, options[:MAX_SELECT_OPTIONS]) for label, options in groups if options]
    element: dict = {"type": "static_select", "action_id": action_id,
                     "placeholder": {"type": "plain_text", "text": placeholder}}
    if len(groups) == 1:
        element["options"] = groups[0][1]
    else:
        element["option_groups"] = [
            {"label": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)},
             "options": options} for label, options in groups]
    return element


def _note(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def build_transfer_modal(interaction_id: int, queue_name: str, ready: list[tuple[str, str]],
                         other_queues: list[str]) -> dict:
    """`ready` is (user id, name) of the Ready colleagues with room in the interaction's
    queue, `queue_name`; `other_queues` the names of the desk's other queues."""
    colleagues = [_option(name, user_id) for user_id, name in ready[:MAX_SELECT_OPTIONS - 1]]
    if colleagues:
        colleagues.insert(0, _option(f"Next Ready colleague in {queue_name}", QUEUE_TARGET))
    queues = [_option(f"Queue {name}", other_queue_target(name)) for name in other_queues]
    if not colleagues and not queues:
        return interaction_modal(ids.TRANSFER_VIEW, interaction_id, "Transfer", [_note(
            f"Nobody else in queue {escape(queue_name)} is Ready with room right now. Try again "
            "when a colleague goes Ready.")])
    blocks: list[dict] = [
        {"type": "input", "block_id": TARGET_BLOCK,
         "label": {"type": "plain_text", "text": "Transfer to"},
         "element": _select(TARGET_ACTION, [(f"Queue {queue_name}", colleagues),
                                            ("Other queues", queues)],
                            "Colleague or queue")},
        {"type": "input", "block_id": REASON_BLOCK, "optional": True,
         "label": {"type": "plain_text", "text": "Reason (they see it on the preview)"},
         "element": {"type": "plain_text_input", "action_id": REASON_ACTION,
                     "max_length": MAX_REASON}},
    ]
    says = []
    if colleagues:
        says.append("A colleague gets it as a transfer: it stays yours until they accept.")
    else:
        says.append(f"Nobody else in queue {escape(queue_name)} is Ready with room right now.")
    if queues:
        says.append("Another queue: it joins that queue's line for its agents, and is no "
                    "longer yours.")
    blocks.append(_note(" ".join(says)))
    return interaction_modal(ids.TRANSFER_VIEW, interaction_id, "Transfer", blocks,
                             submit="Transfer")


def _colleague_option(colleague: Colleague, name: str) -> dict:
    return _option(f"{name} (Ready)" if colleague.ready else name, colleague.user_id)


def build_consult_modal(interaction_id: int, queue_name: str,
                        in_queue: list[tuple[Colleague, str]],
                        others: list[tuple[Colleague, str]]) -> dict:
    """`in_queue` and `others`: (colleague, name) of the agents of the interaction's queue
    and of the rest of the desk, in the order to list them. Anyone else in the workspace can
    be picked from a second field."""
    anyone = {"type": "users_select", "action_id": OTHER_PERSON_ACTION,
              "placeholder": {"type": "plain_text", "text": "Anyone in the workspace"}}
    blocks: list[dict] = []
    if in_queue or others:
        blocks.append({"type": "input", "block_id": COLLEAGUE_BLOCK, "optional": True,
                       "label": {"type": "plain_text", "text": "Colleague"},
                       "element": _select(COLLEAGUE_ACTION, [
                           (f"Queue {queue_name}", [_colleague_option(c, n) for c, n in in_queue]),
                           ("Other agents", [_colleague_option(c, n) for c, n in others])],
                           "An agent of the desk")})
        blocks.append({"type": "input", "block_id": OTHER_PERSON_BLOCK, "optional": True,
                       "label": {"type": "plain_text", "text": "Or someone else"},
                       "element": anyone})
    else:
        blocks.append({"type": "input", "block_id": OTHER_PERSON_BLOCK,
                       "label": {"type": "plain_text", "text": "Colleague"}, "element": anyone})
    blocks.append(_note("Opens a conversation with them and the transcript so far. Nothing "
                        "said there reaches the customer."))
    return interaction_modal(ids.CONSULT_VIEW, interaction_id, "Consult a colleague", blocks,
                             submit="Start")


def chosen_colleague(view: dict) -> tuple[str | None, dict[str, str]]:
    """Who was picked in the consult modal, or None and the field errors to show."""
    values = view.get("state", {}).get("values", {})
    agent = ((values.get(COLLEAGUE_BLOCK, {}).get(COLLEAGUE_ACTION, {})
              .get("selected_option") or {}).get("value"))
    someone = values.get(OTHER_PERSON_BLOCK, {}).get(OTHER_PERSON_ACTION, {}).get(
        "selected_user")
    if agent and someone and agent != someone:
        return None, {OTHER_PERSON_BLOCK: "Pick one person: an agent above, or someone here."}
    if agent or someone:
        return agent or someone, {}
    lists_agents = any(b.get("block_id") == COLLEAGUE_BLOCK for b in view.get("blocks", []))
    return None, {COLLEAGUE_BLOCK if lists_agents else OTHER_PERSON_BLOCK: "Pick a colleague."}


def colleague_error(view: dict, error: str) -> dict[str, str]:
    """The field to show a refusal of the pick beside: the one that was used."""
    values = view.get("state", {}).get("values", {})
    used_other = values.get(OTHER_PERSON_BLOCK, {}).get(OTHER_PERSON_ACTION, {}).get(
        "selected_user")
    return {OTHER_PERSON_BLOCK if used_other else COLLEAGUE_BLOCK: error}


def build_consultation_message(interaction_id: int, from_user: str, colleague: str,
                               contact: str, thread_link: str | None,
                               transcript_quote: str) -> dict:
    where = f" <{thread_link}|Open the interaction>" if thread_link else ""
    text = (f"<@{from_user}> would like to consult <@{colleague}> about an SMS interaction "
            f"with {contact}.{where} Nothing said here reaches the customer.")
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": "*Transcript so far*\n" + transcript_quote}},
            {"type": "actions", "elements": [{
                "type": "button", "action_id": ids.TRANSFER_TO_CONSULTED,
                "value": f"{interaction_id}:{colleague}",
                "text": {"type": "plain_text", "text": "Transfer to them"}}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
             f"Only <@{from_user}> can use the button: it offers the interaction to "
             f"<@{colleague}>."}]},
        ],
    }
