"""The fake Slack and Twilio servers answer our real HTTP clients the way the real services do."""

import time
import urllib.error
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.sms.twilio import signature_is_valid
from tests.fakes._http import HttpResponse, LoopbackServer
from tests.fakes.slack import RESPONSE_URL, UPLOAD, FakeSlack
from tests.fakes.twilio_api import FakeTwilio, count_segments

CUSTOMER = "+15005550006"
DESK_NUMBER = "+15005550001"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user("U0ALICE", "alice", "Alice Agent")
        fake.add_channel("C0QUEUE", "sms-queue")
        yield fake


@pytest.fixture
def client(slack):
    return WebClient(token=slack.bot_token, base_url=slack.url)


@pytest.fixture
def twilio():
    with FakeTwilio() as fake:
        yield fake


def slack_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(label: str) -> dict:
    return {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": label}}


def send_sms(twilio: FakeTwilio, auth=None, **form) -> httpx.Response:
    return httpx.post(
        twilio.messages_url,
        data={"To": CUSTOMER, "From": DESK_NUMBER, "Body": "hello", **form},
        auth=auth or (twilio.account_sid, twilio.auth_token),
    )


# -- Slack ------------------------------------------------------------------------------------


def test_auth_test_names_the_bot_and_team(client, slack):
    answer = client.auth_test()

    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0001", "UBOT", "BBOT")
    assert slack.calls_to("auth.test")[0].token == "xoxb-test"


def test_a_wrong_token_is_invalid_auth(slack):
    error = slack_error(WebClient(token="xoxb-wrong", base_url=slack.url).auth_test)

    assert error.response["error"] == "invalid_auth"
    assert slack.calls[-1].failed


def test_a_token_added_later_speaks_for_its_own_team(slack):
    slack.add_token("xoxb-other", "T0002")

    answer = WebClient(token="xoxb-other", base_url=slack.url).auth_test()

    assert answer["team_id"] == "T0002"


def test_posting_to_a_user_answers_with_the_dm_channel(client, slack):
    answer = client.chat_postMessage(channel="U0ALICE", text="New SMS waiting")

    assert answer["channel"] == "D0ALICE" == slack.dm_channel("U0ALICE")
    assert [m["text"] for m in slack.messages("D0ALICE")] == ["New SMS waiting"]
    assert slack.message("D0ALICE", answer["ts"])["user"] == "UBOT"


def test_posting_to_an_unknown_channel_is_refused(client):
    error = slack_error(lambda: client.chat_postMessage(channel="C0NOPE", text="hi"))

    assert error.response["error"] == "channel_not_found"


def test_each_message_gets_a_later_ts(client):
    first = client.chat_postMessage(channel="C0QUEUE", text="one")["ts"]
    second = client.chat_postMessage(channel="C0QUEUE", text="two")["ts"]

    assert float(second) > float(first)


def test_replies_land_in_the_thread_not_the_channel(client, slack):
    parent = client.chat_postMessage(channel="C0QUEUE", text="card")["ts"]
    client.chat_postMessage(
        channel="C0QUEUE",
        thread_ts=parent,
        text="Hi!",
        username="+1 500-555-0006",
        icon_emoji=":iphone:",
    )

    assert [m["text"] for m in slack.messages("C0QUEUE")] == ["card"]
    [reply] = slack.thread("C0QUEUE", parent)
    assert (reply["text"], reply["username"], reply["icon_emoji"]) == (
        "Hi!",
        "+1 500-555-0006",
        ":iphone:",
    )


def test_updating_an_unknown_message_is_message_not_found(client):
    error = slack_error(lambda: client.chat_update(channel="C0QUEUE", ts="1.000001", text="x"))

    assert error.response["error"] == "message_not_found"


def test_an_update_replaces_the_content_and_keeps_the_history(client, slack):
    ts = client.chat_postMessage(channel="C0QUEUE", text="Offered")["ts"]

    client.chat_update(channel="C0QUEUE", ts=ts, text="Accepted", blocks=[section("*Accepted*")])

    message = slack.message("C0QUEUE", ts)
    assert message["text"] == "Accepted"
    assert message["blocks"][0]["text"]["text"] == "*Accepted*"
    assert [edit["text"] for edit in message["edits"]] == ["Offered"]


def option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def select(options: list[dict], kind: str = "static_select") -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "Pick"},
            "accessory": {"type": kind, "action_id": "a", "options": options}}


def test_a_select_within_slacks_limits_is_taken(client):
    options = [option("x" * 75, str(n).rjust(150, "v")) for n in range(100)]
    client.chat_postMessage(channel="C0QUEUE", text="t", blocks=[select(options)])


def test_fifty_one_blocks_are_invalid_blocks(client):
    blocks = [section(f"line {n}") for n in range(51)]

    error = slack_error(
        lambda: client.chat_postMessage(channel="C0QUEUE", text="fallback", blocks=blocks)
    )

    assert error.response["error"] == "invalid_blocks"


def test_blocks_sent_as_a_form_encoded_json_string_are_decoded(client, slack):
    client.api_call(
        "chat.postMessage",
        params={"channel": "C0QUEUE", "blocks": '[{"type": "divider"}]', "text": "t"},
    )

    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == [{"type": "divider"}]


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"text": "fallback", "blocks": [section("x" * 3001)]}, "invalid_blocks"),
        ({"text": "x" * 40_001}, "msg_too_long"),
        # A select's option text over 75, a value over 150, 101 options, 6 in an overflow.
        ({"text": "t", "blocks": [select([option("x" * 76, "v")])]}, "invalid_blocks"),
        ({"text": "t", "blocks": [select([option("x", "v" * 151)])]}, "invalid_blocks"),
        ({"text": "t", "blocks": [select([option("x", str(n)) for n in range(101)])]},
         "invalid_blocks"),
        ({"text": "t", "blocks": [select([option("x", str(n)) for n in range(6)],
                                         kind="overflow")]}, "invalid_blocks"),
        ({"text": "t", "blocks": [{**select([]), "accessory": {
            "type": "static_select", "action_id": "a",
            "option_groups": [{"label": {"type": "plain_text", "text": "L" * 76},
                               "options": [option("x", "v")]}]}}]}, "invalid_blocks"),
        ({}, "no_text"),
        ({"text": "t", "blocks": [{"type": "actions", "elements": [button("x" * 76)]}]},
         "invalid_blocks"),
        ({"text": "t", "blocks": [{**section("x"), "accessory": button("x" * 76)}]},
         "invalid_blocks"),
        ({"attachments": [{"color": "#2EB67D", "blocks": [section("x" * 3001)]}]},
         "invalid_attachments"),
        ({"attachments": [{"color": "#2EB67D", "blocks": [section("x")] * 51}]},
         "invalid_attachments"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_slack_would_refuse_are_refused(client, arguments, error):
    refused = slack_error(lambda: client.chat_postMessage(channel="C0QUEUE", **arguments))

    assert refused.response["error"] == error


def test_a_channel_without_the_bot_needs_a_join_first(client, slack):
    slack.add_channel("C0OUTSIDE", "elsewhere", bot_is_member=False)
    slack.add_channel("G0SECRET", "secret", is_private=True, bot_is_member=False)

    refused = slack_error(lambda: client.chat_postMessage(channel="C0OUTSIDE", text="hi"))
    client.conversations_join(channel="C0OUTSIDE")
    client.chat_postMessage(channel="C0OUTSIDE", text="hi")
    private = slack_error(lambda: client.conversations_join(channel="G0SECRET"))

    assert refused.response["error"] == "not_in_channel"
    assert private.response["error"] == "method_not_supported_for_channel_type"


def test_a_clicks_response_url_replaces_the_message_five_times_and_no_more(client, slack):
    posted = client.chat_postMessage(channel="U0ALICE", text="offer",
                                     blocks=[section("offer"), {"type": "actions",
                                                                "elements": [button("Accept")]}])
    clicked = slack.clicked_in("U0ALICE", posted["channel"], posted["ts"])
    assert clicked["channel"] == {"id": "D0ALICE", "name": "directmessage"}
    assert clicked["message"]["blocks"][1]["elements"][0]["action_id"] == "a"
    hook = WebhookClient(clicked["response_url"])

    answers = [hook.send(text=f"taken {n}", blocks=[section(f"taken {n}")],
                         replace_original=True) for n in range(6)]

    assert [(a.status_code, a.body) for a in answers] == [(200, "ok")] * 5 + [
        (404, "expired_url")]
    shown = slack.message("D0ALICE", posted["ts"])
    assert shown["text"] == "taken 4" and shown["blocks"] == [section("taken 4")]
    # Recorded apart from the Web API's methods: no chat.update was spent.
    assert len(slack.calls_to(RESPONSE_URL)) == 6 and slack.calls_to("chat.update") == []


def test_an_expired_response_url_is_refused(client, slack):
    ts = client.chat_postMessage(channel="C0QUEUE", text="card")["ts"]
    slack.response_url_lifetime = 0
    hook = WebhookClient(slack.clicked_in("U0ALICE", "C0QUEUE", ts)["response_url"])

    answer = hook.send(text="late", replace_original=True)

    assert (answer.status_code, answer.body) == (404, "expired_url")
    assert slack.message("C0QUEUE", ts)["text"] == "card"


def test_a_response_url_without_replace_original_answers_the_clicker_alone(client, slack):
    ts = client.chat_postMessage(channel="C0QUEUE", text="card")["ts"]
    hook = WebhookClient(slack.clicked_in("U0ALICE", "C0QUEUE", ts)["response_url"])

    assert hook.send(text="only you see this").status_code == 200

    assert [(e["user"], e["text"]) for e in slack.ephemerals("C0QUEUE")] == [
        ("U0ALICE", "only you see this")]
    assert slack.message("C0QUEUE", ts)["text"] == "card"


def test_reacting_twice_is_already_reacted(client, slack):
    ts = client.chat_postMessage(channel="C0QUEUE", text="card")["ts"]
    client.reactions_add(channel="C0QUEUE", timestamp=ts, name="white_check_mark")

    again = slack_error(
        lambda: client.reactions_add(channel="C0QUEUE", timestamp=ts, name="white_check_mark")
    )

    assert again.response["error"] == "already_reacted"
    assert slack.reactions("C0QUEUE", ts) == {"white_check_mark"}


def test_an_injected_rate_limit_is_a_429_with_retry_after(client, slack):
    slack.fail_next("chat.postMessage", retry_after=7)

    error = slack_error(lambda: client.chat_postMessage(channel="C0QUEUE", text="hi"))

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert slack.calls_to("chat.postMessage")[-1].failed
    assert client.chat_postMessage(channel="C0QUEUE", text="hi")["ok"]


def test_a_slack_outage_answers_503_to_everything(client, slack):
    slack.set_down(True)

    error = slack_error(client.auth_test)

    assert error.response.status_code == 503


def test_views_open_refuses_a_trigger_older_than_three_seconds(client, slack):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Wrap up"}, "blocks": []}

    expired = slack_error(
        lambda: client.views_open(trigger_id=slack.new_trigger_id(age=3.1), view=modal)
    )
    unknown = slack_error(lambda: client.views_open(trigger_id="12.34.abc", view=modal))
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=modal)

    assert expired.response["error"] == "expired_trigger_id"
    assert unknown.response["error"] == "invalid_trigger_id"
    assert slack.view(opened["view"]["id"])["title"]["text"] == "Wrap up"


def test_a_message_with_coloured_attachments_keeps_them(client, slack):
    attachment = {"color": "#2EB67D", "fallback": "plain", "blocks": [section("x" * 3000)]}

    ts = client.chat_postMessage(channel="C0QUEUE", attachments=[attachment])["ts"]

    assert slack.message("C0QUEUE", ts)["attachments"] == [attachment]


@pytest.mark.parametrize("length", [0, 3001, "300"])
def test_a_text_input_may_hold_one_to_3000_characters(client, slack, length):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Case"},
             "submit": {"type": "plain_text", "text": "Save"},
             "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "Note"},
                         "element": {"type": "plain_text_input", "action_id": "v",
                                     "max_length": length}}]}

    refused = slack_error(
        lambda: client.views_open(trigger_id=slack.new_trigger_id(), view=modal))
    modal["blocks"][0]["element"]["max_length"] = 3000
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=modal)

    assert refused.response["error"] == "invalid_blocks"
    assert opened["ok"]


def test_the_home_view_is_kept_per_user(client, slack):
    client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [section("Ready")]})

    assert slack.home_view("U0ALICE")["blocks"] == [section("Ready")]
    assert slack.home_view("U0BOB") is None


def test_a_user_group_lists_its_members_and_an_unknown_one_is_no_such_subteam(client, slack):
    slack.add_user_group("S0SUPERS", ["U0ALICE", "U0BOB"])

    assert client.usergroups_users_list(usergroup="S0SUPERS")["users"] == ["U0ALICE", "U0BOB"]
    error = slack_error(lambda: client.usergroups_users_list(usergroup="S0NOPE"))
    assert error.response["error"] == "no_such_subteam"


def test_wait_for_names_the_recent_calls_when_it_gives_up(client, slack):
    client.auth_test()

    with pytest.raises(AssertionError, match=r"no card posted(.|\n)*auth.test -> ok"):
        slack.wait_for(lambda fake: fake.calls_to("chat.postMessage"), 0.05, "no card posted")


# -- Slack files ------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"


def start_upload(client, length: int = 5) -> tuple[str, str]:
    answer = client.files_getUploadURLExternal(filename="a.txt", length=length)
    return answer["file_id"], answer["upload_url"]


def test_files_upload_v2_lands_in_the_thread_with_the_file(client, slack):
    parent = client.chat_postMessage(channel="C0QUEUE", text="card")["ts"]

    answer = client.files_upload_v2(
        channel="C0QUEUE",
        thread_ts=parent,
        file=JPEG,
        filename="a.jpg",
        title="Photo 1",
        initial_comment="MMS from +1 500-555-0006",
    )

    [reply] = slack.thread("C0QUEUE", parent)
    [shown] = reply["files"]
    assert (reply["text"], reply["user"], reply["bot_id"]) == (
        "MMS from +1 500-555-0006",
        "UBOT",
        "BBOT",
    )
    assert (shown["id"], shown["name"], shown["title"], shown["mimetype"], shown["size"]) == (
        answer["file"]["id"],
        "a.jpg",
        "Photo 1",
        "image/jpeg",
        len(JPEG),
    )
    assert shown["url_private"].startswith("https://files.slack.com/")
    stored = slack.file(shown["id"])
    assert stored["content"] == JPEG
    assert stored["shares"] == [("C0QUEUE", parent)]
    assert [call.method for call in slack.calls[1:]] == [
        "files.getUploadURLExternal",
        UPLOAD,
        "files.completeUploadExternal",
    ]


def test_two_file_uploads_make_one_message_with_two_files(client, slack):
    client.files_upload_v2(
        channel="C0QUEUE",
        file_uploads=[
            {"file": JPEG, "filename": "a.jpg", "title": "Photo 1"},
            {"content": "hello", "filename": "note.txt"},
        ],
    )

    [message] = slack.messages("C0QUEUE")
    assert [(f["name"], f["title"]) for f in message["files"]] == [
        ("a.jpg", "Photo 1"),
        ("note.txt", "note.txt"),
    ]
    assert [f["content"] for f in slack.files()] == [JPEG, b"hello"]


def test_a_file_upload_to_an_unknown_thread_is_thread_not_found(client, slack):
    refused = slack_error(
        lambda: client.files_upload_v2(
            channel="C0QUEUE", thread_ts="1700000000.999999", file=JPEG, filename="a.jpg"
        )
    )

    assert refused.response["error"] == "thread_not_found"
    assert slack.files() == [] and slack.messages("C0QUEUE") == []


def test_an_injected_upload_failure_surfaces_from_files_upload_v2(client, slack):
    slack.fail_next(UPLOAD, status=500)

    # slack_sdk POSTs the bytes with urllib, which raises on any non-2xx answer.
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.files_upload_v2(channel="C0QUEUE", file=JPEG, filename="a.jpg")

    assert caught.value.code == 500
    assert slack.calls_to(UPLOAD)[-1].failed
    assert slack.calls_to("files.completeUploadExternal") == []
    assert slack.files() == [] and slack.messages("C0QUEUE") == []


@pytest.mark.parametrize(
    "arguments", [{"filename": "", "length": 5}, {"filename": "a.jpg", "length": 0}]
)
def test_an_upload_url_needs_a_filename_and_a_positive_length(client, arguments):
    refused = slack_error(lambda: client.files_getUploadURLExternal(**arguments))

    assert refused.response["error"] == "invalid_arguments"


def test_an_upload_url_takes_the_declared_bytes_once(client, slack):
    file_id, url = start_upload(client, length=5)
    assert url.startswith(slack.url.removesuffix("api/") + "upload/v1/")

    short = httpx.post(url, content=b"abc")
    first = httpx.post(url, content=b"abcde")
    second = httpx.post(url, content=b"abcde")
    unknown = httpx.post(url + "x", content=b"abcde")

    assert short.status_code == 400
    assert (first.status_code, first.text) == (200, "OK - 5")
    assert (second.status_code, unknown.status_code) == (404, 404)
    client.files_completeUploadExternal(files=[{"id": file_id}])
    assert slack.file(file_id)["content"] == b"abcde"


def test_completing_a_file_never_uploaded_is_refused(client):
    file_id, _ = start_upload(client)

    missing = slack_error(lambda: client.files_completeUploadExternal(files=[{"id": file_id}]))
    unknown = slack_error(lambda: client.files_completeUploadExternal(files=[{"id": "FNOPE"}]))

    assert missing.response["error"] == "invalid_arguments"
    assert unknown.response["error"] == "file_not_found"


def test_a_file_completed_without_a_channel_is_kept_private(client, slack):
    answer = client.files_upload_v2(content="transcript", filename="transcript.txt")

    assert slack.file(answer["file"]["id"])["shares"] == []
    assert slack.messages("C0QUEUE") == []


def test_files_info_describes_the_file_and_delete_leaves_a_tombstone(client, slack):
    file_id = client.files_upload_v2(channel="C0QUEUE", file=JPEG, filename="a.jpg")["file"]["id"]

    info = client.files_info(file=file_id)["file"]
    client.files_delete(file=file_id)
    gone = slack_error(lambda: client.files_info(file=file_id))

    assert "content" not in info and info["size"] == len(JPEG)
    assert info["channels"] == ["C0QUEUE"]
    [share] = info["shares"]["public"]["C0QUEUE"]
    assert share["ts"] == slack.messages("C0QUEUE")[0]["ts"]
    assert gone.response["error"] == "file_deleted"
    assert slack.messages("C0QUEUE")[0]["files"] == [{"id": file_id, "mode": "tombstone"}]
    assert slack.files() == []


def test_a_stalled_call_is_neither_carried_out_nor_answered_until_the_fake_stops(slack):
    slack.stall_next("chat.postMessage")
    stalled = WebClient(token=slack.bot_token, base_url=slack.url, timeout=0.3)

    with pytest.raises((TimeoutError, urllib.error.URLError)):  # the client gives up
        stalled.chat_postMessage(channel="C0QUEUE", text="lost on the way")
    assert slack.messages("C0QUEUE") == [] and slack.stalled == ["chat.postMessage"]
    stalled.chat_postMessage(channel="C0QUEUE", text="the next one goes")
    assert [m["text"] for m in slack.messages("C0QUEUE")] == ["the next one goes"]


# -- Twilio -----------------------------------------------------------------------------------


def test_twilio_refuses_bad_credentials_with_401(twilio):
    answer = send_sms(twilio, auth=(twilio.account_sid, "wrong"))

    assert answer.status_code == 401
    assert answer.json()["code"] == 20003
    assert twilio.sent == []


def test_a_good_send_is_accepted_and_recorded(twilio):
    answer = send_sms(twilio, Body="Your agent is here", StatusCallback="http://app/status")

    assert answer.status_code == 201
    resource = answer.json()
    assert (resource["status"], resource["to"], resource["num_segments"]) == (
        "queued",
        CUSTOMER,
        "1",
    )
    assert resource["sid"].startswith("SM") and len(resource["sid"]) == 34
    [sms] = twilio.sent_to(CUSTOMER)
    assert (sms.sid, sms.from_, sms.body) == (resource["sid"], DESK_NUMBER, "Your agent is here")


def test_a_send_without_body_or_to_is_refused_with_twilio_codes(twilio):
    assert send_sms(twilio, Body="").json()["code"] == 21602
    assert send_sms(twilio, To="").json()["code"] == 21604


def test_an_injected_unsubscribed_error_comes_back_twilio_shaped(twilio):
    twilio.fail_next(status=400, code=21610, message="Attempt to send to unsubscribed recipient")

    answer = send_sms(twilio)

    assert answer.status_code == 400
    assert answer.json() == {
        "code": 21610,
        "message": "Attempt to send to unsubscribed recipient",
        "more_info": "https://www.twilio.com/docs/errors/21610",
        "status": 400,
    }
    assert twilio.sent == []
    assert send_sms(twilio).status_code == 201


def test_a_delayed_answer_times_out_the_client_but_the_text_went_out(twilio):
    twilio.delay_next(1.0)

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            twilio.messages_url,
            data={"To": CUSTOMER, "From": DESK_NUMBER, "Body": "hi"},
            auth=(twilio.account_sid, twilio.auth_token),
            timeout=0.2,
        )

    assert time.monotonic() - started < 1.0
    assert len(twilio.sent) == 1


def test_media_needs_the_account_credentials(twilio):
    url = twilio.add_media("/media/ME1", b"\x89PNG", "image/png")

    assert httpx.get(url).status_code == 401
    answer = httpx.get(url, auth=(twilio.account_sid, twilio.auth_token))
    assert (answer.content, answer.headers["content-type"]) == (b"\x89PNG", "image/png")


def test_status_callback_carries_what_twilio_would_post(twilio):
    send_sms(twilio, StatusCallback="http://app/sms/status")
    [sms] = twilio.sent

    url, params = twilio.status_callback(sms, "undelivered", error_code="30003")

    assert url == "http://app/sms/status"
    assert params["MessageSid"] == sms.sid
    assert (params["MessageStatus"], params["ErrorCode"]) == ("undelivered", "30003")
    assert (params["To"], params["From"], params["AccountSid"]) == (
        CUSTOMER,
        DESK_NUMBER,
        twilio.account_sid,
    )


@pytest.mark.parametrize(
    ("body", "segments"),
    [("a" * 160, 1), ("a" * 161, 2), ("é" * 160, 1), ("€" * 80, 1), ("😀" * 35, 1), ("ж" * 71, 2)],
)
def test_segments_are_counted_as_twilio_bills_them(body, segments):
    assert count_segments(body) == segments


def test_reports_before_answering_come_signed_before_the_send_answer(twilio):
    answered: list[int] = []
    received: list[tuple[str, bool, bool]] = []  # (status, signed right, send answered)
    app = LoopbackServer(lambda request: received.append((
        parse_qs(request.body.decode())["MessageStatus"][0],
        signature_is_valid(twilio.auth_token, callback, parse_qs(request.body.decode()),
                           request.headers.get("x-twilio-signature")),
        bool(answered))) or HttpResponse(204))
    app.start()
    try:
        callback = app.base_url + "/sms/status"
        twilio.report_before_answering("sent", "delivered")
        answered.append(send_sms(twilio, StatusCallback=callback).status_code)
    finally:
        app.stop()
    # Both came, signed, while the send was still unanswered.
    assert received == [("sent", True, False), ("delivered", True, False)]
    assert answered == [201]
    assert twilio.early_report_answers == [204, 204]


def _image(file_id: str | None = None, **block) -> list[dict]:
    shown = {"type": "image", "alt_text": "Texts per hour: 9:00 5 in", **block}
    if file_id is not None:
        shown["slack_file"] = {"id": file_id}
    return [shown]


def _modal(blocks: list[dict]) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Report"},
            "blocks": blocks}


def test_an_image_block_shows_an_uploaded_image_file_by_id_or_url(client, slack):
    png = client.files_upload_v2(channel="C0QUEUE", file=b"\x89PNG fake", filename="c.png")
    file = png["file"]
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=_modal(_image(file["id"])))
    assert opened["view"]["blocks"][0]["slack_file"] == {"id": file["id"]}
    by_url = _image(slack_file={"url": slack.file(file["id"])["url_private"]})
    client.chat_postMessage(channel="C0QUEUE", text="chart", blocks=by_url)


@pytest.mark.parametrize("blocks, problem", [
    (_image(None), "must provide either image_url or slack_file"),
    (_image("F0NOTHERE1"), "invalid slack file [json-pointer:/blocks/0/slack_file]"),
    (_image(None, image_url="https://example.com/a.png", slack_file={"id": "F0123456789"}),
     "must provide either image_url or slack_file"),
    (_image(None, slack_file={"id": "F0123456789", "url": "https://files.slack.com/x"}),
     "invalid slack file"),
    ([{"type": "image", "image_url": "https://example.com/a.png"}],
     "missing required field: alt_text"),
])
def test_slack_refuses_an_image_block_it_cannot_show(client, slack, blocks, problem):
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=slack.new_trigger_id(), view=_modal(blocks))
    assert refused.value.response["error"] == "invalid_blocks"
    assert any(problem in message for message in refused.value.response["errors"])


def test_a_file_still_processing_or_not_an_image_is_an_invalid_slack_file(client, slack):
    text = client.files_upload_v2(channel="C0QUEUE", content="numbers", filename="n.txt")
    slack.file_processing_seconds = 0.3
    png = client.files_upload_v2(channel="C0QUEUE", file=b"\x89PNG fake", filename="c.png")
    for file_id in (text["file"]["id"], png["file"]["id"]):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C0QUEUE", text="chart", blocks=_image(file_id))
        assert refused.value.response["error"] == "invalid_blocks"
    time.sleep(0.35)
    client.chat_postMessage(channel="C0QUEUE", text="chart", blocks=_image(png["file"]["id"]))
