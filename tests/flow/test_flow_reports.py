"""A scripted day at a desk with two queues, played over HTTP as Slack and Twilio play it,
then its report and its CSV (`smsdesk report`, run as the command): every measure comes out
as the test counts it by hand.

Support (session mode, target 60 s): Ann and Bob. Sales (page mode, target 300 s): Cy.
  #1 Support: offered to Ann, who rejects; Bob accepts after 50 s and answers 30 s later;
     transfers it to Ann, who answers, codes it Resolved and marks it Done.
  #2 Support: offered to Bob, who lets it run out (90 s); Ann accepts 20 s later (110 s:
     over target), never answers; the session expires; Ann codes it No action, Done:
     abandoned.
  #3 Sales: Cy accepts after 80 s, codes it Follow-up needed, answers 20 s later (page
     mode: that closes it).
  #4 Support: Bob accepts at once, answers, and transfers it to the Sales queue, where Cy
     accepts after 10 s and marks it Done.
  HELP: the desk answers by itself (no interaction).
  #5 Sales: offered to Cy, still waiting when the report is run.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.interactions.transfers import other_queue_target
from bot.desk.reports import Period
from bot.desk.reports.build import build_report
from bot.slack import ids
from bot.slack.views.disposition import CODE_ACTION, CODE_BLOCK
from bot.slack.views.transfer import REASON_ACTION, REASON_BLOCK, TARGET_ACTION, TARGET_BLOCK
from storage import clock
from storage.models import Interaction
from tests import REPO_ROOT
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, action_value, has_button, start_desk

pytestmark = pytest.mark.postgres

SUPPORT_NUMBER, SALES_NUMBER = BUSINESS_NUMBER, "+15005550009"
ANN, BOB, CY = "UAGENTA", "UAGENTB", "UAGENTC"
ZONE = "America/New_York"
C1, C2, C3, C4, HELPER, C5 = (f"+1415555010{n}" for n in range(1, 7))
# Real time passes between the scripted steps (webhooks, jobs, clicks): durations are the
# script's within this much.
SLACK = 4.0
SETTINGS_TOML = f"""
[reports]
time_zone = "{ZONE}"

[session]
numbers = ["{SUPPORT_NUMBER}"]

[[queues]]
name = "Support"
numbers = ["{SUPPORT_NUMBER}"]
members = ["{ANN}", "{BOB}"]
answer_within_seconds = 60

[[queues]]
name = "Sales"
numbers = ["{SALES_NUMBER}"]
members = ["{CY}"]
"""


@pytest.fixture
def desk(database_url, tmp_path):
    path = tmp_path / "smsdesk.toml"
    path.write_text(SETTINGS_TOML, encoding="utf-8")
    settings = Settings.load(path, env={})
    assert settings.queues[0].answer_within_seconds == 60
    desk = start_desk(database_url, agents=(ANN, BOB, CY), settings=Settings(
        **{**settings.__dict__, "desk_channel": DESK_CHANNEL, "offer_timeout_seconds": 90,
           "reoffer_after_seconds": 3600}))
    desk.settings_file = path
    yield desk
    desk.close()
    clock.reset()


class Day:
    """The script's clock: every step moves it on by known seconds."""

    def __init__(self, desk) -> None:
        self.desk = desk
        self.started = clock.utcnow()

    def wait(self, seconds: float) -> None:
        clock.travel(timedelta(seconds=seconds))
        self.desk.runtime.worker.wake()

    def texts(self, customer: str, body: str, number: str) -> None:
        assert self.desk.customer_texts(customer, body, To=number).status_code == 200

    def preview(self, agent: str, customer: str) -> dict:
        """The preview offering the customer's text to the agent, Accept and all."""
        def offered(s):
            return next((m for m in reversed(self.desk.previews_for(agent))
                         if customer[-4:] in m.get("text", "")
                         and has_button(m, ids.ACCEPT_OFFER)), None)
        return self.desk.slack.wait_for(offered, 10, f"{customer} not offered to {agent}")

    def accept(self, agent: str, preview: dict) -> None:
        self.desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))

    def card(self, number: int) -> dict:
        """The desk channel's number-th card (a thread's root), once posted."""
        cards = self.desk.slack.wait_for(lambda s: len(self.desk.cards()) >= number
                                         and self.desk.cards(), 10, f"no card #{number}")
        return cards[number - 1]

    def reply(self, agent: str, card: dict, text: str) -> None:
        sent = len(self.desk.twilio.sent)
        self.desk.agent_writes_in_thread(agent, card["ts"], text)
        self.desk.twilio.wait_for(lambda t: len(t.sent) > sent, 10, f"{text!r} not sent")
        self.desk.wait_idle()

    def code(self, agent: str, card: dict, code: str) -> None:
        modals = len(self.desk.slack.modals())
        self.desk.choose(agent, ids.CARD_MENU,
                         f"{ids.MENU_DISPOSITION}:{action_value(card, ids.MARK_DONE)}",
                         channel=DESK_CHANNEL, message_ts=card["ts"])
        modal = self.desk.slack.wait_for(lambda s: len(s.modals()) > modals
                                         and s.modals()[-1], 5, "no disposition modal")
        assert modal["callback_id"] == ids.DISPOSITION_VIEW
        self.desk.submit_view(agent, modal, {CODE_BLOCK: {CODE_ACTION: {
            "type": "static_select", "selected_option": {
                "text": {"type": "plain_text", "text": code}, "value": code}}}})
        self.desk.wait_idle()

    def done(self, agent: str, card: dict, interaction_id: int) -> None:
        self.desk.click(agent, ids.MARK_DONE, action_value(card, ids.MARK_DONE),
                        channel=DESK_CHANNEL, message_ts=card["ts"])
        self.desk.slack.wait_for(lambda s: self.state(interaction_id) == "done", 5,
                                 f"#{interaction_id} not closed")
        self.desk.wait_idle()

    def transfer(self, agent: str, card: dict, target: str) -> None:
        modals = len(self.desk.slack.modals())
        self.desk.click(agent, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
                        channel=DESK_CHANNEL, message_ts=card["ts"])
        modal = self.desk.slack.wait_for(lambda s: len(s.modals()) > modals
                                         and s.modals()[-1], 5, "no transfer modal")
        assert modal["callback_id"] == ids.TRANSFER_VIEW
        self.desk.submit_view(agent, modal, {
            TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select",
                                           "selected_option": {"value": target}}},
            REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": ""}}})

    def state(self, interaction_id: int) -> str:
        with self.desk.db.transaction() as s:
            return s.get_one(Interaction, interaction_id).state

    def newest_interaction(self) -> int:
        with self.desk.db.transaction() as s:
            return s.scalars(select(Interaction.id).order_by(Interaction.id.desc())).first()


def _play(desk) -> Day:
    day = Day(desk)
    for agent in (ANN, BOB, CY):  # in this order: routing offers the first Ready first
        desk.slash(agent, ids.COMMAND_READY)
    desk.wait_idle()

    # #1 Support: Ann rejects, Bob accepts after 50 s, answers 30 s later, transfers to Ann.
    day.texts(C1, "My parcel is lost", SUPPORT_NUMBER)
    day.desk.click(ANN, ids.REJECT_OFFER, action_value(day.preview(ANN, C1), ids.REJECT_OFFER))
    to_bob = day.preview(BOB, C1)
    day.wait(50)
    day.accept(BOB, to_bob)
    first = day.card(1)
    one = day.newest_interaction()
    day.wait(30)
    day.reply(BOB, first, "Let me look at that")
    day.transfer(BOB, first, ANN)
    day.accept(ANN, day.preview(ANN, C1))
    desk.slack.wait_for(lambda s: f"<@{ANN}>" in str(desk.slack.message(
        DESK_CHANNEL, first["ts"])["blocks"]), 5, "card not Ann's")
    desk.wait_idle()
    day.wait(10)
    day.reply(ANN, first, "Found it: it arrives tomorrow")
    day.code(ANN, first, "Resolved")
    day.wait(20)
    day.done(ANN, first, one)

    # #2 Support: offered to Bob (offered longest ago), who lets it run out after 90 s; Ann
    # accepts 20 s later, never answers; the session expires; No action, Done.
    day.texts(C2, "Hello?", SUPPORT_NUMBER)
    day.preview(BOB, C2)
    day.wait(91)
    to_ann = day.preview(ANN, C2)
    day.wait(19)
    day.accept(ANN, to_ann)
    second = day.card(2)
    two = day.newest_interaction()
    desk.wait_idle()
    day.wait(31 * 60)
    desk.slack.wait_for(lambda s: day.state(two) == "expired", 10, "#2 did not expire")
    desk.wait_idle()
    day.code(ANN, second, "No action")
    day.done(ANN, second, two)

    # #3 Sales (page mode): Cy accepts after 80 s, codes it, answers 20 s later: closed.
    day.texts(C3, "Do you ship to Canada?", SALES_NUMBER)
    to_cy = day.preview(CY, C3)
    day.wait(80)
    day.accept(CY, to_cy)
    third = day.card(3)
    three = day.newest_interaction()
    desk.wait_idle()
    day.code(CY, third, "Follow-up needed")
    day.wait(20)
    day.reply(CY, third, "We do, in 5 days")
    desk.slack.wait_for(lambda s: day.state(three) == "done", 5, "#3 not closed by the reply")

    # #4 Support: Bob accepts at once, answers, sends it to Sales; Cy accepts after 10 s, Done.
    day.texts(C4, "Can I pay by card?", SUPPORT_NUMBER)
    day.accept(BOB, day.preview(BOB, C4))
    fourth = day.card(4)
    four = day.newest_interaction()
    desk.wait_idle()
    day.reply(BOB, fourth, "Sales will tell you")
    day.transfer(BOB, fourth, other_queue_target("Sales"))
    to_cy = day.preview(CY, C4)
    day.wait(10)
    day.accept(CY, to_cy)
    desk.slack.wait_for(lambda s: day.state(four) == "accepted", 5, "#4 not Cy's")
    desk.wait_idle()
    day.done(CY, fourth, four)

    # HELP with no conversation open: answered by the desk; then #5 waits for Cy.
    sent = len(desk.twilio.sent)
    day.texts(HELPER, "HELP", SUPPORT_NUMBER)
    desk.twilio.wait_for(lambda t: len(t.sent) > sent, 5, "no help reply")
    day.texts(C5, "Still open?", SALES_NUMBER)
    day.preview(CY, C5)
    desk.wait_idle()
    return day


def _report_period(day: Day) -> Period:
    return Period(day.started - timedelta(seconds=1), clock.utcnow() + timedelta(seconds=1),
                  "the scripted day", ZONE)


def test_a_scripted_day_gives_the_numbers_counted_by_hand(desk):
    day = _play(desk)
    settings = desk.runtime.services.settings_for(desk.team_id)
    report = build_report(desk.db, settings, desk.team_id, _report_period(day))

    total = report.total
    assert (total.texts_in, total.texts_out) == (6, 5)  # HELP and its answer count as texts
    assert (total.opened, total.closed, total.expired, total.abandoned) == (5, 4, 1, 1)
    assert (total.accepted, total.answered_within_target) == (4, 3)
    assert total.answered_within_target_share == 0.75
    assert (total.rejects, total.missed_offers, total.transfers) == (1, 1, 2)
    assert total.dispositions == {"Follow-up needed": 1, "No action": 1, "Resolved": 1}
    # Waits: #1 50 s, #2 110 s, #3 80 s, #4 0 s.
    assert total.wait_avg_seconds == pytest.approx(60, abs=SLACK)
    assert total.wait_p90_seconds == pytest.approx(110, abs=SLACK)
    # First responses: #1 80 s, #3 100 s, #4 0 s (#2 never had one).
    assert total.first_response_avg_seconds == pytest.approx(60, abs=SLACK)
    assert total.first_response_p90_seconds == pytest.approx(100, abs=SLACK)
    # Handle: #1 30+10+20 = 60 s, #2 31 min, #3 20 s, #4 from Bob's accept, 10 s in Sales.
    assert total.handle_avg_seconds == pytest.approx((60 + 31 * 60 + 20 + 10) / 4, abs=SLACK)
    # No queue has business hours: every second of every wait was inside them.
    assert total.wait_in_hours_avg_seconds == pytest.approx(total.wait_avg_seconds)
    assert total.wait_out_of_hours_avg_seconds == 0

    support, sales = report.by_queue["Support"], report.by_queue["Sales"]
    assert (support.opened, support.closed, support.expired, support.abandoned) == (2, 2, 1, 1)
    assert (support.texts_in, support.texts_out) == (3, 3)  # #1, #2 and HELP
    # #4 waited in Support (Bob accepted it there at once): its wait is Support's.
    assert (support.accepted, support.answered_within_target) == (3, 2)
    assert (support.rejects, support.missed_offers, support.transfers) == (1, 1, 1)
    # #4 ended in Sales, so it counts there, with its texts.
    assert (sales.opened, sales.closed, sales.accepted, sales.answered_within_target) == \
        (3, 2, 1, 1)
    assert (sales.texts_in, sales.texts_out, sales.transfers) == (3, 2, 1)

    ann, bob, cy = (report.by_agent[agent] for agent in (ANN, BOB, CY))
    # Ann holds #1 and #2 last; she accepted #2 first, rejected #1's offer.
    assert (ann.opened, ann.closed, ann.expired, ann.abandoned) == (2, 2, 1, 1)
    assert (ann.accepted, ann.answered_within_target, ann.rejects, ann.missed_offers) == \
        (1, 0, 1, 0)
    assert (ann.texts_in, ann.texts_out, ann.transfers) == (2, 1, 0)
    assert ann.wait_avg_seconds == pytest.approx(110, abs=SLACK)
    assert ann.first_response_avg_seconds is None  # Bob answered #1 first
    assert ann.dispositions == {"No action": 1, "Resolved": 1}
    # Bob accepted #1 and #4 first, answered both first, passed both on, missed #2.
    assert (bob.opened, bob.closed, bob.accepted, bob.answered_within_target) == (0, 0, 2, 2)
    assert (bob.texts_out, bob.transfers, bob.missed_offers, bob.rejects) == (2, 2, 1, 0)
    assert bob.first_response_avg_seconds == pytest.approx(40, abs=SLACK)
    # Cy holds #3 and #4 last (#5 is only offered to him).
    assert (cy.opened, cy.closed, cy.accepted, cy.texts_in, cy.texts_out) == (2, 2, 1, 2, 1)
    assert cy.dispositions == {"Follow-up needed": 1}
    assert cy.handle_avg_seconds == pytest.approx((20 + 10) / 2, abs=SLACK)

    # Every text is in the hour it came in or went out.
    assert sum(h.texts_in for h in report.hours) == 6
    assert sum(h.texts_out for h in report.hours) == 5
    assert all(h.start.tzinfo == ZoneInfo(ZONE) for h in report.hours)


def test_the_csv_export_writes_each_interaction_with_every_measure(desk, tmp_path):
    day = _play(desk)
    zone = ZoneInfo(ZONE)
    first_day = day.started.astimezone(zone).date()
    last_day = clock.utcnow().astimezone(zone).date()
    out = tmp_path / "day.csv"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT),
           "DATABASE_URL": desk.db.engine.url.render_as_string(hide_password=False),
           "SMSDESK_SETTINGS": str(desk.settings_file)}

    def report(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "report", "--from", first_day.isoformat(),
             "--to", last_day.isoformat(), "--team", desk.team_id, *options],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    result = report("--csv", str(out))
    assert result.returncode == 0, result.stderr
    assert f"Wrote 5 interactions to {out}" in result.stdout
    sales = report("--queue", "Sales", "--csv", str(tmp_path / "sales.csv"))
    assert "Wrote 3 interactions" in sales.stdout, sales.stderr

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["queue"] for r in rows] == ["Support", "Support", "Sales", "Sales", "Sales"]
    one, two, three, four, five = rows
    assert (one["agent"], one["accepted_by"], one["first_reply_by"]) == (ANN, BOB, BOB)
    assert (one["texts_in"], one["texts_out"], one["rejects"], one["transfers"]) == \
        ("1", "2", "1", "1")
    assert abs(int(one["wait_seconds"]) - 50) <= SLACK
    assert abs(int(one["first_response_seconds"]) - 80) <= SLACK
    assert one["answered_within_target"] == "yes" and one["target_seconds"] == "60"
    assert (one["disposition"], one["abandoned"], one["state"]) == ("Resolved", "no", "done")
    assert (two["abandoned"], two["missed_offers"], two["answered_within_target"]) == \
        ("yes", "1", "no")
    assert two["expired_at"] and two["first_response_seconds"] == ""
    assert abs(int(two["handle_seconds"]) - 31 * 60) <= SLACK
    assert (three["target_seconds"], three["disposition"], three["mode"]) == \
        ("300", "Follow-up needed", "page")
    assert (four["agent"], four["accepted_by"], four["transfers"]) == (CY, BOB, "1")
    assert (four["queue"], four["waited_in"], four["target_seconds"]) == \
        ("Sales", "Support", "60")
    assert (five["state"], five["accepted_at"], five["wait_seconds"], five["closed_at"]) == \
        ("offered", "", "", "")
    # Times in the workspace's zone, with its offset: what a spreadsheet needs.
    opened = datetime.fromisoformat(one["opened_at"])
    assert opened.utcoffset() == day.started.astimezone(zone).utcoffset()
    assert abs(opened.astimezone(UTC) - day.started) < timedelta(seconds=SLACK)


def test_a_report_holds_only_its_own_workspaces_interactions(desk):
    day = Day(desk)
    desk.slash(CY, ids.COMMAND_READY)
    day.texts(C3, "Do you ship to Canada?", SALES_NUMBER)
    day.preview(CY, C3)
    settings = desk.runtime.services.settings_for(desk.team_id)
    period = _report_period(day)
    assert build_report(desk.db, settings, desk.team_id, period).total.opened == 1
    other = build_report(desk.db, settings, "TOTHERTEAM", period)
    assert (other.total.opened, other.total.texts_in, other.by_agent) == (0, 0, {})
