"""Logs as an operator's log shipper reads them: JSON lines, numbers masked, no bodies."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot import logs
from bot.slack import ids
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    desk_process,
    start_desk,
    use_twilio_sender,
)

CUSTOMER = "+14155550100"
SETTINGS = f"""
[desk]
channel = "{DESK_CHANNEL}"
business_numbers = ["{BUSINESS_NUMBER}"]
"""


def test_a_number_keeps_its_country_area_and_last_four_digits():
    assert logs.mask_number("+14155550100") == "+1415•••0100"
    assert logs.mask_number("+447700900123") == "+4477•••0123"
    assert logs.mask_numbers("from +14155550100 to +15005550006.") == \
        "from +1415•••0100 to +1500•••0006."
    assert logs.mask_numbers("order 14155550100, +1 415") == "order 14155550100, +1 415"


def test_a_number_in_a_url_query_is_masked_too():
    assert logs.mask_numbers("GET /Messages.json?From=%2B15005550006&To=%2b14155550100") == \
        "GET /Messages.json?From=%2B1500•••0006&To=%2b1415•••0100"


@pytest.fixture
def stream():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in logs.CHATTY_LIBRARIES}
    out = io.StringIO()
    yield out
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)


def test_json_lines_mask_numbers_up_to_info_and_carry_the_job(stream):
    assert logs.configure({"SMSDESK_LOG_FORMAT": "json"}, serving=False, stream=stream) == "json"
    log = logging.getLogger("smsdesk.test")
    with logs.log_context(job_id=7, interaction_id=3):
        log.info("SMS sent to %s", CUSTOMER)
    log.warning("carrier refused %s", CUSTOMER)
    info, warning = (json.loads(line) for line in stream.getvalue().splitlines())
    assert info["message"] == "SMS sent to +1415•••0100"
    assert info["level"] == "INFO" and info["logger"] == "smsdesk.test"
    assert info["job_id"] == 7 and info["interaction_id"] == 3
    assert info["time"].endswith("+00:00")
    # A warning is where someone must find the conversation that failed: the number stays.
    assert warning["message"] == f"carrier refused {CUSTOMER}" and "job_id" not in warning


def test_serve_logs_json_unless_at_a_terminal_and_other_commands_text():
    not_a_tty = io.StringIO()
    assert logs.chosen_format({}, serving=True, stream=not_a_tty) == "json"
    assert logs.chosen_format({}, serving=False, stream=not_a_tty) == "text"
    assert logs.chosen_format({"SMSDESK_LOG_FORMAT": "TEXT"}, True, not_a_tty) == "text"
    assert logs.chosen_format({"SMSDESK_LOG_FORMAT": "json"}, False, not_a_tty) == "json"


def test_a_served_desk_logs_the_relayed_reply_with_the_number_masked(database_url, tmp_path):
    app = desk_process(database_url, tmp_path, SETTINGS)
    app.env["SMSDESK_LOG_FORMAT"] = "json"
    try:
        app.start()
        app.slash("UAGENT1", ids.COMMAND_READY)
        app.customer_texts(CUSTOMER, "my secret order 98765")
        preview = app.wait_for_preview("UAGENT1")
        app.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = app.slack.wait_for(lambda s: app.cards() and app.cards()[0], 10, "no card")
        app.agent_writes_in_thread("UAGENT1", card["ts"], "your parcel code is 4242")
        app.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 10, "no SMS sent")
        app.slack.wait_for(lambda s: "sent to +1415•••0100" in app.log(), 10, "no send line")
    finally:
        app.close()
        app.slack.stop()
        app.twilio.stop()
    lines = [json.loads(line) for line in app.log().splitlines() if line.strip()]
    sent = next(line for line in lines if "sent to +1415•••0100" in line["message"])
    assert sent["level"] == "INFO" and sent["logger"] == "bot.worker.sms_jobs"
    assert isinstance(sent["job_id"], int) and isinstance(sent["interaction_id"], int)
    text = app.log()
    assert CUSTOMER not in text
    assert "secret order" not in text and "parcel code" not in text


def test_a_timed_out_send_and_an_mms_leave_no_number_or_media_address_at_info(stream, tmp_path):
    """httpx logs every request line at INFO: the lookup after a timed-out send carries
    From=%2B1…&To=%2B1… in its query, a media fetch the file's (signed) address."""
    logs.configure({"SMSDESK_LOG_FORMAT": "json"}, serving=False, stream=stream)
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        use_twilio_sender(desk, timeout=0.5)
        desk.slash("UAGENT1", ids.COMMAND_READY)
        desk.customer_sends_mms(CUSTOMER, "the broken part", [(_jpeg(), "image/jpeg")])
        preview = desk.wait_for_preview("UAGENT1")
        desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 10, "no card")
        desk.slack.wait_for(lambda s: s.files(), 10, "the picture was never shown")
        desk.twilio.delay_next(3.0)  # Twilio takes the reply but answers after the timeout
        desk.agent_writes_in_thread("UAGENT1", card["ts"], "a new one is on its way")
        desk.twilio.wait_for(lambda t: any(c.method == "GET" and c.path.endswith(
            "/Messages.json") for c in t.calls), 10, "no lookup after the timeout")
        desk.wait_idle(20)
    finally:
        desk.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    everyday = [line for line in lines if line["level"] in ("DEBUG", "INFO")]
    assert everyday, "nothing was logged at INFO"
    for line in everyday:
        text = json.dumps(line, ensure_ascii=False)
        assert CUSTOMER[2:] not in text and BUSINESS_NUMBER[2:] not in text, line
        assert "/Media/" not in text, line


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()
