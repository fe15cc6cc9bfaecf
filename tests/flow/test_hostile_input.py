"""Bad input from every side, over HTTP against the fakes: forged or broken Twilio webhooks,
forged Slack requests, clicks and modal submissions on interactions that are not the sender's,
customer text built to trick Slack's mrkdwn, and pictures built to hurt. Each is refused or
made harmless, changes nothing it must not, and the desk carries on.

What test_webhooks.py, test_flow_thread.py, test_flow_notes_dispositions.py,
test_flow_case.py, test_flow_workspaces.py and test_flow_mms.py already prove is not repeated.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from urllib.parse import urlencode

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.interactions.transfers import QUEUE_TARGET
from bot.slack import ids
from bot.slack.views import case as case_view
from bot.slack.views import compose as compose_view
from bot.slack.views.disposition import CODE_ACTION, CODE_BLOCK
from bot.slack.views.note import NOTE_ACTION, NOTE_BLOCK
from bot.slack.views.transfer import REASON_ACTION, REASON_BLOCK, TARGET_ACTION, TARGET_BLOCK
from bot.sms.twilio import expected_signature
from storage.models import Agent, Contact, Interaction, Media, Message, Offer, TimelineEvent
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    SIGNING_SECRET,
    act_in_view,
    action_value,
    card_texts,
    has_button,
    line_blocks,
    start_desk,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

CUSTOMER, OTHER_CUSTOMER = "+14155550100", "+14155550111"
A, B = "UAGENT1", "UAGENT2"
INBOUND = "/sms/twilio/inbound"
# Generous: a busy 2-core CI machine runs PostgreSQL, the app and the fakes side by side.
WAIT = 15


@pytest.fixture
def desk(database_url, request: pytest.FixtureRequest):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=60,
                        case_editable=("Priority",))
    provider = (request.getfixturevalue("provider") if "provider" in request.fixturenames
                else "twilio")
    running = start_desk(database_url, settings=settings, sms_provider=provider)
    yield running
    running.close()


def _rows(desk) -> dict[str, int]:
    with desk.db.transaction() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Message, Interaction, Contact)}


NOTHING = {"messages": 0, "interactions": 0, "contacts": 0}


# --- Twilio webhooks (every provider's forgeries: test_webhooks.py) -------------------------

def _params(**overrides: str) -> dict[str, str]:
    return {"MessageSid": "SM" + "d" * 32, "From": CUSTOMER, "To": BUSINESS_NUMBER,
            "Body": "hello", "NumMedia": "0", **overrides}


def _signed(desk, params: dict[str, str], token: str | None = None) -> str:
    return expected_signature(token or desk.twilio.auth_token, desk.url + INBOUND,
                              {k: [v] for k, v in params.items()})


def _post_form(desk, body: bytes | str, signature: str | None) -> object:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return desk.http.post(desk.url + INBOUND, content=body, headers=headers)


def test_a_webhook_unsigned_or_signed_with_another_token_is_refused_and_stores_nothing(desk):
    params = _params()
    for signature in (None, "", _signed(desk, params, token="0" * 32), "not base64 at all"):
        answer = _post_form(desk, urlencode(params), signature)
        assert answer.status_code == 403, signature
        assert "X-Twilio-Signature" in answer.text
    status = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"}
    answer = desk._twilio_post("/sms/twilio/status", status, sign=False)
    assert answer.status_code == 403
    assert _rows(desk) == NOTHING


def test_a_body_that_is_not_utf8_is_refused_with_the_reason_and_stores_nothing(desk):
    # What a lenient parser would make of these bytes, signed as if Twilio had sent that:
    # the refusal must come from the bytes, not from a signature that happens not to match.
    for raw, as_decoded in ((b"caf%FF", "caf%FF"), (b"caf\xff", "caf\ufffd"),
                            (b"%C3%28", "\ufffd(")):
        params = _params(Body=as_decoded)
        prefix = urlencode({k: v for k, v in params.items() if k != "Body"}).encode()
        answer = _post_form(desk, prefix + b"&Body=" + raw, _signed(desk, params))
        assert answer.status_code == 400, raw
        assert "not valid UTF-8" in answer.text
    # A correct body around the same character is taken: the check is on encoding only.
    assert desk.customer_texts(CUSTOMER, "café \ufffd").status_code == 200
    with desk.db.transaction() as s:
        assert s.scalars(select(Message.body)).all() == ["café \ufffd"]


def test_a_webhook_without_a_body_field_is_refused_naming_it(desk):
    params = _params()
    del params["Body"]
    answer = desk._twilio_post(INBOUND, params)
    assert answer.status_code == 400 and "Body" in answer.text
    answer = desk._twilio_post(INBOUND, _params(From=""))
    assert answer.status_code == 400 and "From" in answer.text
    assert _rows(desk) == NOTHING


def test_a_huge_chunked_body_and_a_multipart_body_are_refused(desk):
    def chunks():
        yield b"MessageSid=SM1&From=%2B14155550100&To=%2B15005550006&Body="
        for _ in range(64):
            yield b"x" * 16384  # 1 MB in all, four times the limit

    answer = desk.http.post(desk.url + INBOUND, content=chunks(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"})
    assert answer.status_code == 413 and "Too Large" in answer.text
    # Flask would parse multipart into the same form fields; Twilio never sends it.
    answer = desk.http.post(desk.url + INBOUND, files={"Body": ("b.txt", b"hi")},
                            data=_params(), headers={"X-Twilio-Signature": "x"})
    assert answer.status_code == 415
    assert _rows(desk) == NOTHING
    assert desk._twilio_post(INBOUND, _params()).status_code == 200  # and the desk is fine


# --- Slack requests -------------------------------------------------------------------------

def _interactive_body(desk, user_id: str, kind: str, team_id: str | None = None,
                      **fields) -> str:
    team_id = team_id or desk.team_id
    payload = {"type": kind, "team": {"id": team_id, "domain": "test"},
               "user": {"id": user_id, "team_id": team_id, "name": user_id.lower()},
               "api_app_id": "A0SMSDESK", "token": "legacy",
               "trigger_id": desk.slack.new_trigger_id(), **fields}
    return urlencode({"payload": json.dumps(payload)})


def _click_body(desk, user_id: str, action_id: str, value: str) -> str:
    return _interactive_body(
        desk, user_id, "block_actions",
        container={"type": "message", "message_ts": "1.0", "channel_id": "D0"},
        channel={"id": "D0"},
        actions=[{"type": "button", "action_id": action_id, "value": value, "block_id": "b",
                  "action_ts": str(time.time())}])


def _slack_request(desk, body: str, *, secret: str = SIGNING_SECRET, age: float = 0,
                   signed: bool = True):
    timestamp = str(int(time.time() - age))
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Request-Timestamp": timestamp}
    if signed:
        base = f"v0:{timestamp}:{body}".encode()
        headers["X-Slack-Signature"] = "v0=" + hmac.new(secret.encode(), base,
                                                        hashlib.sha256).hexdigest()
    return desk.http.post(desk.url + "/slack/events", content=body, headers=headers)


def _offer_and_interaction(desk) -> tuple[str, str]:
    with desk.db.transaction() as s:
        offer = s.scalars(select(Offer)).one()
        return offer.state, s.get(Interaction, offer.interaction_id).state


def test_a_slack_request_badly_signed_or_stale_is_refused_and_changes_nothing(desk):
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello")
    offer = action_value(desk.wait_for_preview(A), ids.ACCEPT_OFFER)
    accept = _click_body(desk, A, ids.ACCEPT_OFFER, offer)
    forged = [
        _slack_request(desk, accept, secret="not-the-signing-secret"),
        _slack_request(desk, accept, signed=False),
        _slack_request(desk, accept, age=6 * 60),  # correctly signed, six minutes old
        _slack_request(desk, accept, age=-6 * 60),  # ... or six minutes in the future
    ]
    # A good signature replayed over a changed body.
    timestamp = str(int(time.time()))
    good = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:{accept}".encode(),
                            hashlib.sha256).hexdigest()
    forged.append(desk.http.post(desk.url + "/slack/events",
                                 content=_click_body(desk, B, ids.ACCEPT_OFFER, offer),
                                 headers={"Content-Type": "application/x-www-form-urlencoded",
                                          "X-Slack-Request-Timestamp": timestamp,
                                          "X-Slack-Signature": good}))
    assert [answer.status_code for answer in forged] == [401] * len(forged)
    desk.wait_idle()
    assert _offer_and_interaction(desk) == ("pending", "offered")
    assert desk.cards() == []

    # The same click, signed now: taken (it was the signature that was refused).
    assert _slack_request(desk, _click_body(desk, A, ids.ACCEPT_OFFER, offer)).status_code == 200
    desk.slack.wait_for(lambda s: desk.cards(), WAIT, "no card after the real Accept")
    assert _offer_and_interaction(desk) == ("accepted", "accepted")


def test_accept_on_an_offer_made_to_someone_else_takes_nothing(desk):
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello")
    offer = action_value(desk.wait_for_preview(A), ids.ACCEPT_OFFER)
    desk.slash(B, ids.COMMAND_READY)
    assert desk.click(B, ids.ACCEPT_OFFER, offer).status_code == 200
    assert desk.click(B, ids.REJECT_OFFER, offer).status_code == 200
    desk.wait_idle()
    assert _offer_and_interaction(desk) == ("pending", "offered")
    assert desk.cards() == [] and desk.previews_for(B) == []

    desk.click(A, ids.ACCEPT_OFFER, offer)
    desk.slack.wait_for(lambda s: desk.cards(), WAIT, "the real owner could not accept")


def test_a_button_value_that_is_no_row_id_is_refused_and_changes_nothing(desk, caplog):
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello")
    offer = action_value(desk.wait_for_preview(A), ids.ACCEPT_OFFER)
    desk.wait_idle(WAIT)
    rows = _rows(desk)
    for action_id in (ids.ACCEPT_OFFER, ids.REJECT_OFFER, ids.MARK_DONE, ids.OPEN_MEDIA,
                      ids.RETRY_SEND, ids.CUSTOM_EMOJI_SEND_WITHOUT, ids.CUSTOM_EMOJI_CANCEL):
        for junk in ("", "abc", "-1", f"{offer}.0", "9" * 30, "\u0663", f"{offer} "):
            answer = desk.click(A, action_id, junk)
            assert answer.status_code == 400, (action_id, junk)
            assert "nothing was changed" in answer.text
    desk.wait_idle(WAIT)
    assert _offer_and_interaction(desk) == ("pending", "offered") and _rows(desk) == rows
    assert desk.cards() == [] and desk.twilio.sent == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    # The real button still works.
    desk.click(A, ids.ACCEPT_OFFER, offer)
    desk.slack.wait_for(lambda s: desk.cards(), WAIT, "the real Accept did nothing")


def _accept(desk, agent: str, customer: str, text: str) -> dict:
    """`agent` alone goes Ready, `customer` texts, `agent` accepts: that interaction's card."""
    other = B if agent == A else A
    desk.slash(other, ids.COMMAND_NOT_READY)
    desk.slash(agent, ids.COMMAND_READY)
    previews, cards = len(desk.previews_for(agent)), len(desk.cards())
    desk.customer_texts(customer, text)
    preview = desk.wait_for_preview(agent, previews + 1, WAIT)
    desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: len(desk.cards()) > cards and desk.cards()[-1],
                               WAIT, "no card")
    desk.wait_idle(WAIT)
    return desk.slack.message(DESK_CHANNEL, card["ts"])


def _interaction_id(card: dict) -> int:
    return int(action_value(card, ids.MARK_DONE))


def _as_stored(desk, interaction_id: int) -> dict:
    """Everything a forged request could try to change about one interaction."""
    with desk.db.transaction() as s:
        row = s.get(Interaction, interaction_id)
        offers = s.execute(select(Offer.agent_user_id, Offer.kind, Offer.state)
                           .where(Offer.interaction_id == interaction_id)
                           .order_by(Offer.id)).all()
        events = s.execute(select(TimelineEvent.kind, TimelineEvent.actor_user_id,
                                  TimelineEvent.detail)
                           .where(TimelineEvent.interaction_id == interaction_id)
                           .order_by(TimelineEvent.id)).all()
        return {"state": row.state, "agent": row.agent_user_id, "offered_to": row.offered_to,
                "case": dict(row.case_data), "disposition": row.disposition,
                "closed": row.closed_at, "offers": offers, "timeline": events}


def _open_from_menu(desk, user: str, tool: str, card: dict, callback_id: str) -> dict:
    count = sum(m["callback_id"] == callback_id for m in desk.slack.modals())
    desk.choose(user, ids.CARD_MENU, f"{tool}:{_interaction_id(card)}", channel=DESK_CHANNEL,
                message_ts=card["ts"])
    return wait_for_modal(desk, callback_id, count + 1)


def _forged(modal: dict, interaction_id: int | str) -> dict:
    return {**modal, "private_metadata": str(interaction_id)}


def _case_values(priority: str) -> dict:
    return {case_view.field_block_id("Priority"):
            {ids.CASE_FIELD: {"type": "plain_text_input", "value": priority}}}


def _code(code: str) -> dict:
    return {CODE_BLOCK: {CODE_ACTION: {"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": code}, "value": code}}}}


def _transfer_to(target: str) -> dict:
    return {TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select",
                                           "selected_option": {"value": target}}},
            REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": "mine now"}}}


def _note(text: str) -> dict:
    return {NOTE_BLOCK: {NOTE_ACTION: {"type": "plain_text_input", "value": text}}}


def _told(desk, user: str, words: str) -> None:
    """In an ephemeral where they clicked, or in their DM with the app."""
    desk.slack.wait_for(lambda s: any(e["user"] == user and words in e["text"]
                                      for e in s.ephemerals())
                        or any(words in m["text"] for m in desk.previews_for(user)),
                        WAIT, f"{user} not told {words}")


def test_a_colleague_cannot_close_transfer_or_rewrite_someone_elses_interaction(desk):
    card_a = _accept(desk, A, CUSTOMER, "Where is my order?")
    card_b = _accept(desk, B, OTHER_CUSTOMER, "Can I change my address?")
    a_id = _interaction_id(card_a)
    before, card_before = _as_stored(desk, a_id), desk.slack.message(DESK_CHANNEL, card_a["ts"])

    # Buttons of A's card, clicked by B.
    desk.click(B, ids.MARK_DONE, str(a_id), channel=DESK_CHANNEL, message_ts=card_a["ts"])
    _told(desk, B, "Only <@UAGENT1>, who holds this interaction, can mark it Done")
    desk.click(B, ids.OPEN_TRANSFER, str(a_id), channel=DESK_CHANNEL, message_ts=card_a["ts"])
    _told(desk, B, "can transfer it or consult about it")
    assert not [m for m in desk.slack.modals() if m["callback_id"] == ids.TRANSFER_VIEW]

    # B's own modals, opened on B's interaction, submitted with private_metadata naming A's.
    case = _open_from_menu(desk, B, ids.MENU_CASE, card_b, ids.CASE_VIEW)
    answer = desk.submit_view(B, _forged(case, a_id), _case_values("High")).json()
    assert answer["response_action"] == "errors"
    assert "Only the agent holding this interaction" in answer["errors"][
        case_view.field_block_id("Priority")]
    disposition = _open_from_menu(desk, B, ids.MENU_DISPOSITION, card_b, ids.DISPOSITION_VIEW)
    assert desk.submit_view(B, _forged(disposition, a_id), _code("Resolved")).status_code == 200
    _told(desk, B, "disposition")
    desk.slash(A, ids.COMMAND_READY)  # someone to transfer to
    desk.click(B, ids.OPEN_TRANSFER, str(_interaction_id(card_b)), channel=DESK_CHANNEL,
               message_ts=card_b["ts"])
    transfer = wait_for_modal(desk, ids.TRANSFER_VIEW)
    for target in (A, QUEUE_TARGET):
        answer = desk.submit_view(B, _forged(transfer, a_id), _transfer_to(target)).json()
        assert "Only the agent holding an open interaction" in answer["errors"][TARGET_BLOCK]

    # private_metadata that is no interaction id at all: the modal just closes, nothing saved.
    note = _open_from_menu(desk, B, ids.MENU_NOTE, card_b, ids.NOTE_VIEW)
    for junk in ("", "x", "-1", "1 OR 1=1", "9" * 30, f"{a_id}.0", "\u0663"):  # an Arabic 3
        for modal, values in ((case, _case_values("Low")), (disposition, _code("Resolved")),
                              (transfer, _transfer_to(A)), (note, _note("junk"))):
            answer = desk.submit_view(B, _forged(modal, junk), values)
            assert (answer.status_code, answer.text) == (200, ""), (modal["callback_id"], junk)
    desk.wait_idle(WAIT)

    assert _as_stored(desk, a_id) == before
    assert desk.slack.message(DESK_CHANNEL, card_a["ts"]) == card_before
    assert desk.twilio.sent == []
    # The desk still works for the real holder.
    desk.agent_writes_in_thread(A, card_a["ts"], "It ships today")
    desk.twilio.wait_for(lambda t: t.sent, WAIT, "the holder's reply never reached the phone")
    assert [(sms.to, sms.body) for sms in desk.twilio.sent] == [(CUSTOMER, "It ships today")]


def test_a_reply_form_with_forged_private_metadata_is_refused_and_sends_nothing(desk):
    card = _accept(desk, A, CUSTOMER, "Where is my order?")
    interaction_id = _interaction_id(card)
    desk.click(A, ids.OPEN_COMPOSE, action_value(card, ids.OPEN_COMPOSE),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    compose = wait_for_modal(desk, ids.COMPOSE_VIEW)
    desk.wait_idle(WAIT)
    before, rows = _as_stored(desk, interaction_id), _rows(desk)
    block_id = compose_view.text_block_id(0)
    typed = {block_id: {ids.COMPOSE_TEXT: {"type": "plain_text_input", "value": "planted"}}}

    for junk in ("", "x", "-1", "1 OR 1=1", "9" * 30, f"{interaction_id}.0", "\u0663",
                 "|", f"x|{interaction_id}", f" {interaction_id}|"):
        answer = desk.submit_view(A, _forged(compose, junk), typed)
        assert answer.status_code == 200, junk
        assert answer.json() == {"response_action": "errors", "errors": {
            block_id: "This reply form does not belong to any interaction, so nothing was "
                      "sent. Close it and press Reply… on the interaction's card again."}}
        # Typing in it changes nothing either.
        act_in_view(desk, A, _forged(compose, junk), {
            "type": "plain_text_input", "action_id": ids.COMPOSE_TEXT, "block_id": block_id,
            "value": "planted"}, typed)
    desk.wait_idle(WAIT)

    assert _as_stored(desk, interaction_id) == before and _rows(desk) == rows
    assert desk.twilio.sent == []
    assert not any(c.method == "views.update" for c in desk.slack.calls)
    # The real form still sends.
    answer = desk.submit_view(A, compose, {block_id: {ids.COMPOSE_TEXT: {
        "type": "plain_text_input", "value": "It ships today"}}})
    assert answer.status_code == 200 and answer.text == ""
    desk.twilio.wait_for(lambda t: t.sent, WAIT, "the real reply never reached the phone")
    assert [sms.body for sms in desk.twilio.sent] == ["It ships today"]


def test_a_payload_from_another_workspace_cannot_touch_this_ones_interaction(desk):
    card = _accept(desk, A, CUSTOMER, "Where is my order?")
    interaction_id = _interaction_id(card)
    case = _open_from_menu(desk, A, ids.MENU_CASE, card, ids.CASE_VIEW)
    note = _open_from_menu(desk, A, ids.MENU_NOTE, card, ids.NOTE_VIEW)
    disposition = _open_from_menu(desk, A, ids.MENU_DISPOSITION, card, ids.DISPOSITION_VIEW)
    desk.slash(B, ids.COMMAND_READY)
    desk.click(A, ids.OPEN_TRANSFER, str(interaction_id), channel=DESK_CHANNEL,
               message_ts=card["ts"])
    transfer = wait_for_modal(desk, ids.TRANSFER_VIEW)
    desk.wait_idle(WAIT)
    before, card_before = _as_stored(desk, interaction_id), desk.slack.message(DESK_CHANNEL,
                                                                                card["ts"])

    # The same user id and the same interaction, but the payload says another workspace:
    # a desk on one bot token serves the one team auth.test named, and refuses the rest
    # before any listener runs (an event is answered 200, so Slack does not retry it).
    other = desk.in_workspace("T0OTHER")
    posted_before = len(_posted(desk))
    for user in (A, "UOTHER1"):
        answers = [
            other.click(user, ids.MARK_DONE, str(interaction_id), channel=DESK_CHANNEL,
                        message_ts=card["ts"]),
            other.click(user, ids.OPEN_TRANSFER, str(interaction_id), channel=DESK_CHANNEL,
                        message_ts=card["ts"]),
            other.choose(user, ids.CARD_MENU, f"{ids.MENU_CASE}:{interaction_id}",
                         channel=DESK_CHANNEL, message_ts=card["ts"]),
            other.submit_view(user, case, _case_values("High")),
            other.submit_view(user, note, _note("planted from another workspace")),
            other.submit_view(user, disposition, _code("Resolved")),
            other.submit_view(user, transfer, _transfer_to(B)),
            other.slash(user, ids.COMMAND_READY),
        ]
        assert [a.status_code for a in answers] == [403] * len(answers)
        # The agent's thread reply, as that team's event (the fake's thread left as it is).
        ts = f"{time.time():.6f}"
        answer = other.event({"type": "message", "channel": DESK_CHANNEL, "user": user,
                              "text": "planted reply", "ts": ts, "thread_ts": card["ts"],
                              "channel_type": "channel", "event_ts": ts})
        assert answer.status_code == 200
    desk.wait_idle(WAIT)

    assert desk.twilio.sent == [] and len(_posted(desk)) == posted_before
    with desk.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Agent)
                        .where(Agent.team_id != desk.team_id)) == 0
    assert _as_stored(desk, interaction_id) == before
    assert desk.slack.message(DESK_CHANNEL, card["ts"]) == card_before
    assert len([m for m in desk.slack.modals() if m["callback_id"] == ids.CASE_VIEW]) == 1
    assert "planted" not in json.dumps(desk.slack.thread(DESK_CHANNEL, card["ts"]), default=str)
    assert has_button(desk.slack.message(DESK_CHANNEL, card["ts"]), ids.MARK_DONE)


# --- customer text --------------------------------------------------------------------------

TRICKS = ("Pay at <http://evil.example|bank.com> or <https://evil.example> "
          "<!channel> <!here> <!everyone> <!subteam^S123> <!subteam^S123|@support> "
          "<@U123> <@UAGENT2|boss> <#C123|general> <!date^1392734382^{date}|today> "
          "&lt;!channel&gt; ```<!here>``` `<@U123>` "
          "zero\u200bwidth\u200djoin\ufeff invoice\u202efdp.exe \u2067<!here>\u2069 end")
FLOODS = ("<!channel>" * 160, "*" * 1600, "<" * 1600, "\u202e" * 1600)
ESCAPED_FLOODS = ("&lt;!channel&gt;" * 160, "*" * 1600, "&lt;" * 1600, "\u27e8U+202E\u27e9" * 1600)
# Slack markup: a ping, a mention, a channel link, a link. The app's own (its date stamps,
# the agent it names) are the only ones allowed.
PINGS = re.compile(r"<(?:!(?!date\^)|@(?!UAGENT1>)|#|https?://evil)")


def _posted(desk) -> list:
    return [c for c in desk.slack.calls
            if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")]


def _mrkdwn_texts(params: dict) -> list[str]:
    """Every string Slack would render as mrkdwn in a message: its text and its blocks'."""
    texts = [params.get("text") or ""]
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(blocks)
    return texts


def test_customer_text_built_to_trick_slack_renders_literally_and_pings_no_one(desk):
    for body in (TRICKS, *FLOODS):
        assert desk.customer_texts(CUSTOMER, body).status_code == 200
    desk.wait_idle(WAIT)
    desk.slash(A, ids.COMMAND_READY)
    preview = desk.wait_for_preview(A, timeout=WAIT)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], WAIT, "no card")
    def shown_so_far() -> list[str]:
        # The card, the thread's root, carries the first texts as fit; the rest are lines.
        lines = [m for m in desk.slack.thread(DESK_CHANNEL, card["ts"]) if m["username"]]
        return card_texts(desk.slack.message(DESK_CHANNEL, card["ts"])) + [
            "".join(b["text"]["text"] for b in line_blocks(line) if b["type"] == "section")
            for line in lines]

    desk.slack.wait_for(lambda s: len(shown_so_far()) == 5, WAIT,
                        "not every text reached the thread")
    desk.wait_idle(WAIT)

    # As the agent reads them: each text whole, in order, every character as typed ...
    shown = shown_so_far()
    assert len(card_texts(card)) > 1  # the card took what fit of them
    assert shown[1:] == list(ESCAPED_FLOODS)
    assert shown[0].startswith("Pay at &lt;http://evil.example|bank.com&gt; or ")
    for literal in ("&lt;!channel&gt; &lt;!here&gt;", "&lt;!subteam^S123|@support&gt;",
                    "&lt;@UAGENT2|boss&gt;", "&amp;lt;!channel&amp;gt;", "```&lt;!here&gt;```",
                    "zero\u200bwidth\u200djoin\ufeff",  # invisible, and reorder nothing
                    "invoice\u27e8U+202E\u27e9fdp.exe",  # would read "invoiceexe.pdf"
                    "\u27e8U+2067\u27e9&lt;!here&gt;\u27e8U+2069\u27e9"):
        assert literal in shown[0], literal
    first_offer = preview["edits"][0] if preview["edits"] else preview
    assert "&lt;!channel&gt;" in json.dumps(first_offer["blocks"], ensure_ascii=False)

    # ... and nothing Slack received, anywhere, is a link, a ping or a direction override.
    calls = _posted(desk)
    assert calls and not [c.error for c in calls if c.failed]  # all within Slack's limits
    for call in calls:
        assert not call.params.get("link_names") and call.params.get("parse") != "full"
        for text in _mrkdwn_texts(call.params):
            assert not PINGS.search(text), text[:300]
            assert "\u202e" not in text and "\u2067" not in text
            assert len(text) <= 40_000


# --- pictures -------------------------------------------------------------------------------

def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.usefixtures("provider")
def test_hostile_pictures_are_refused_with_notes_and_the_desk_carries_on(desk):
    from tests.unit.test_images import gif_claiming

    fifty_megabytes = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(50 * 1024 * 1024)
    script = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    files = [(fifty_megabytes, "image/jpeg"), (_png(), "image/jpeg"), (script, "image/jpeg"),
             (gif_claiming(30000, 30000), "image/gif")]
    if desk.kit.one_file_per_message:
        pytest.skip(desk.kit.one_file_per_message)
    desk.slash(A, ids.COMMAND_READY)
    assert desk.customer_sends_mms(CUSTOMER, "see attached", files).status_code == 200
    preview = desk.wait_for_preview(A, timeout=WAIT)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], WAIT, "no card")

    def thread_text() -> str:
        return json.dumps(desk.slack.thread(DESK_CHANNEL, card["ts"]), ensure_ascii=False,
                          default=str)

    notes = ("Picture 1 could not be shown: file is over 5 MB",
             "Picture 3 could not be shown: not an image Pillow can read",
             "Picture 4 could not be shown: image is 900 megapixels")
    desk.slack.wait_for(lambda s: all(n in thread_text() for n in notes)
                        and "Picture 2 (64×48)" in thread_text(), WAIT * 2,
                        "a picture got neither a thumbnail nor a note")
    # The PNG labelled as a JPEG is read as what its bytes are; the label is trusted nowhere.
    [thumbnail] = [Image.open(io.BytesIO(f["content"])) for f in desk.slack.files()]
    assert thumbnail.size == (64, 48)
    with desk.db.transaction() as s:
        kept = s.execute(select(Media.position, Media.state, Media.original_size,
                                Media.display_content_type).order_by(Media.position)).all()
    assert [(p, state) for p, state, _size, _type in kept] == [
        (1, "failed"), (2, "ready"), (3, "rejected"), (4, "rejected")]
    assert kept[0].original_size is None  # the 50 MB were never kept
    assert kept[1].display_content_type == "image/jpeg"  # re-encoded, not the customer's bytes

    # The desk is unharmed: the next text is relayed, and so is the agent's answer.
    desk.customer_texts(CUSTOMER, "did you get them?")
    desk.slack.wait_for(lambda s: "did you get them?" in thread_text(), WAIT, "text not relayed")
    desk.agent_writes_in_thread(A, card["ts"], "Got picture 2, thanks")
    desk.provider.wait_for(lambda t: t.sent, WAIT, "reply not sent")
    assert desk.provider.sent[0].body == "Got picture 2, thanks"
