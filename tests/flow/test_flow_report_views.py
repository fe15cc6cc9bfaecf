"""What supervisors see of how the desk is doing, over HTTP against the fake Slack:
/sms-report's modal with the numbers and the chart, refused to agents; the daily digest in
each queue's supervisor channel at `[reports] digest_at`, once, across a restart and with two
instances."""

from __future__ import annotations

import io
import time as wall
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.config import Settings
from bot.desk import jobs
from bot.desk.queues import Queue
from bot.slack import charts, ids
from storage import clock
from storage.models import Job
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    restart_desk,
    start_another_instance,
    start_desk,
)

pytestmark = pytest.mark.postgres

CUSTOMER, OTHER_CUSTOMER = "+14155550100", "+14155550123"
A, B, SUP = "UAGENT1", "UAGENT2", "USUP"
SUP_CHANNEL = "CSUP"
ZONE = "Europe/Paris"


def _settings(**overrides) -> Settings:
    values = dict(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                  queues=(Queue(name="Support", supervisor_channel=SUP_CHANNEL),),
                  supervisors=(SUP,), report_time_zone=ZONE)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def team(request, database_url):
    desk = start_desk(database_url, settings=_settings(**getattr(request, "param", {})),
                      agents=(A, B, SUP))
    desk.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    holder = {"desk": desk}
    yield holder
    holder["desk"].close()
    clock.reset()


def _a_conversation(desk) -> None:
    """A customer texts, Ann accepts and answers: 1 text in, 1 out, 1 accepted."""
    card = accept_new_interaction(desk, CUSTOMER, "Where is my parcel?", agent=A)
    desk.agent_writes_in_thread(A, card["ts"], "It left today, tracking 1Z999")
    desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "the reply never reached Twilio")
    desk.wait_idle()


def _png(file: dict) -> Image.Image:
    image = Image.open(io.BytesIO(file["content"]))
    assert image.format == "PNG" and image.size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 10  # drawn on, not blank
    return image


def _texts(view: dict) -> str:
    shown = []
    for block in view["blocks"]:
        for text in [block.get("text")] + block.get("fields", []) + block.get("elements", []):
            if isinstance(text, dict) and "text" in text:
                shown.append(text["text"])
    return "\n".join(shown)


def _report_with_chart(desk) -> dict:
    def shown(s):
        modals = [m for m in s.modals() if m["callback_id"] == ids.REPORT_VIEW]
        return modals and any(b["type"] == "image" for b in modals[-1]["blocks"]) and modals[-1]
    return desk.slack.wait_for(shown, 15, "the report modal never showed its chart")


# --- /sms-report ------------------------------------------------------------------------

def test_a_supervisor_sees_todays_numbers_per_queue_and_agent_with_the_chart(team):
    desk = team["desk"]
    _a_conversation(desk)

    answer = desk.slash(SUP, ids.COMMAND_REPORT, "today Support")

    assert answer.status_code == 200 and answer.text == ""  # the modal answers, not a message
    view = _report_with_chart(desk)
    assert [c.method for c in desk.slack.calls if c.method.startswith("views.")][:2] == \
        ["views.open", "views.update"]  # opened at once, filled in when the numbers were ready
    shown = _texts(view)
    assert "Today · Support" in shown
    assert "*Texts in / out*\n1 / 1" in shown
    assert f"<@{A}> · accepted 1 · wait" in shown and "rejects 0 · missed 0" in shown
    [image] = [b for b in view["blocks"] if b["type"] == "image"]
    chart = desk.slack.file(image["slack_file"]["id"])
    _png(chart)
    assert chart["shares"] == [(desk.slack.dm_channel(SUP), None)]  # the supervisor's copy
    assert image["alt_text"] == chart["alt_txt"]
    assert image["alt_text"].startswith(f"Chart of queue Support, Today ({ZONE}): 1 texts in, "
                                        "1 out")


def test_an_agent_is_refused_and_no_modal_opens(team):
    desk = team["desk"]
    answer = desk.slash(A, ids.COMMAND_REPORT, "week")
    assert "Only supervisors and admins can see reports" in answer.json()["text"]
    assert desk.slack.modals() == [] and desk.slack.calls_to("files.getUploadURLExternal") == []


@pytest.mark.parametrize("team", [{"admins": (B,)}], indirect=True)
def test_an_admin_may_see_reports_too(team):
    desk = team["desk"]
    desk.slash(B, ids.COMMAND_REPORT, "yesterday")
    assert "Yesterday, " in (shown := _texts(_report_with_chart(desk)))
    assert " · every queue" in shown


def test_a_queue_that_does_not_exist_is_named_with_those_that_do(team):
    answer = team["desk"].slash(SUP, ids.COMMAND_REPORT, "month Billing")
    assert "“Billing” is no period and no queue. Queues: Support." in answer.json()["text"]


def test_the_modal_waits_for_slack_to_finish_processing_the_chart(team):
    desk = team["desk"]
    desk.slack.file_processing_seconds = 1.0  # Slack refuses the image block until then
    desk.slash(SUP, ids.COMMAND_REPORT)
    view = _report_with_chart(desk)
    assert "Today · every queue" in _texts(view)
    refused = [c for c in desk.slack.calls_to("views.update") if c.error == "invalid_blocks"]
    assert refused, "the first update came before Slack had processed the file"


# --- the daily digest -------------------------------------------------------------------

def _next_local(at: time, *, days: int) -> datetime:
    zone = ZoneInfo(ZONE)
    today = clock.utcnow().astimezone(zone).date()
    return datetime.combine(today + timedelta(days=days), at, tzinfo=zone)


def _travel_to(moment: datetime) -> None:
    clock.travel(moment - clock.utcnow())


def _digests(desk) -> list[dict]:
    return [m for m in desk.slack.messages(SUP_CHANNEL) if m.get("files")]


def _timers(desk) -> list[Job]:
    with desk.db.transaction() as s:
        return list(s.scalars(select(Job).where(Job.kind == jobs.DigestTimer.KIND,
                                                Job.state.in_(("pending", "running")))))


@pytest.mark.parametrize("team", [{"digest_at": "07:00"}], indirect=True)
def test_the_digest_posts_yesterday_at_the_hour_once_and_again_after_a_restart(team):
    desk = team["desk"]
    _a_conversation(desk)
    day = clock.utcnow().astimezone(ZoneInfo(ZONE)).date()

    _travel_to(_next_local(time(6, 59), days=1))
    wall.sleep(2)
    assert _digests(desk) == []  # not before its hour
    _travel_to(_next_local(time(7, 0, 5), days=0))
    [posted] = desk.slack.wait_for(lambda s: _digests(desk), 10, "no digest at 07:00")

    assert posted["text"].startswith(f"*Daily SMS report · Support · {day:%a %d %b}* "
                                     f"(against {day - timedelta(days=7):%a %d %b})")
    assert "Texts in: 1 (▲ from 0) · out: 1 (▲ from 0)" in posted["text"]
    [file] = posted["files"]
    chart = desk.slack.file(file["id"])
    _png(chart)
    assert chart["alt_txt"].startswith(f"Chart of queue Support, {day:%a %d %b} ({ZONE}): "
                                       "1 texts in, 1 out")

    team["desk"] = desk = restart_desk(desk)
    wall.sleep(2)
    assert len(_digests(desk)) == 1  # the restart sent nothing again
    [timer] = _timers(desk)
    assert timer.due_at == _next_local(time(7, 0), days=1)

    _travel_to(_next_local(time(7, 0, 5), days=1))
    desk.slack.wait_for(lambda s: len(_digests(desk)) == 2, 10, "no digest the next day")
    # Monday against the Monday before: both quiet (Sunday's text is in neither).
    assert "Texts in: 0 (same) · out: 0 (same)" in _digests(desk)[1]["text"]
    wall.sleep(2)
    assert len(_digests(desk)) == 2 and len(_timers(desk)) == 1


@pytest.mark.parametrize("team", [{"digest_at": "07:00"}], indirect=True)
def test_a_digest_whose_run_was_killed_mid_upload_is_not_posted_again(team):
    desk = team["desk"]
    _travel_to(_next_local(time(7, 0, 5), days=1))
    [posted] = desk.slack.wait_for(lambda s: _digests(desk), 10, "no digest")
    desk.wait_idle()
    # The same post as a process killed after Slack shared its file would leave it: running,
    # its lease over, nobody's (the outbox takes it back as "outcome unknown").
    with desk.db.transaction() as s:
        [done] = s.scalars(select(Job).where(Job.kind == jobs.PostDigest.KIND))
        done.state, done.locked_until = "running", clock.utcnow() - timedelta(seconds=1)
        done.claimed_by = None
    desk.slack.wait_for(lambda s: desk.slack.calls_to("conversations.history"), 10,
                        "the taken-back run never looked for its earlier post")
    desk.wait_idle()
    assert _digests(desk) == [posted]


@pytest.mark.parametrize("team", [{"digest_at": "07:00"}], indirect=True)
def test_two_instances_post_each_queues_digest_once(team):
    first = team["desk"]
    second = start_another_instance(first)
    try:
        _travel_to(_next_local(time(7, 0, 5), days=1))
        first.slack.wait_for(lambda s: _digests(first), 10, "no digest")
        wall.sleep(3)
        assert len(_digests(first)) == 1 and len(_timers(first)) == 1
    finally:
        second.close()


def test_without_digest_at_there_is_no_digest_timer(team):
    assert _timers(team["desk"]) == []
