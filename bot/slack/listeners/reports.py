"""/sms-report: supervisors' and admins' numbers and chart, in a modal."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.reports import requests
from bot.desk.reports.periods import named_period
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import answer
from bot.slack.views.reports import build_report_loading, not_understood_text, refused_text
from storage.clock import utcnow


def show_report(ack: Ack, command: dict, respond: Respond, client: WebClient,
                context: BoltContext, services: Services) -> None:
    """Open the modal at once (the trigger id lives 3 s), saying the numbers are coming;
    a job works them out, draws the chart and fills the modal in."""
    ack()
    team_id, user_id = context.team_id, context.user_id
    settings = services.settings_for(team_id)
    asked = requests.parse(command.get("text") or "", settings)
    if isinstance(asked, requests.NotUnderstood):
        answer(respond, not_understood_text(asked.words, asked.queues))
        return
    if not requests.may_see_reports(services.db, settings, team_id, user_id):
        answer(respond, refused_text())
        return
    period = named_period(asked.period, settings.report_time_zone, utcnow())
    opened = client.views_open(trigger_id=command["trigger_id"],
                               view=build_report_loading(period.label, asked.queue))
    requests.show_report(services.db, team_id, user_id, opened["view"]["id"], asked)


def register(app: App) -> None:
    app.command(ids.COMMAND_REPORT)(show_report)
