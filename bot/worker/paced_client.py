"""A WebClient whose calls from jobs wait their turn (bot/worker/pacing.py) instead of
sleeping: a call that would go over a budget raises `Paced`, and the worker puts the job
back, due when the budget allows."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.worker.pacing import SlackPacer, current_job, retry_after_seconds
from bot.worker.runner import RetryLater
from storage.clock import utcnow


class Paced(RetryLater):
    """The call would go over a Slack budget: run the job again at `at`."""


def _argument(kwargs: dict, name: str) -> str | None:
    for part in ("json", "data", "params"):
        values = kwargs.get(part) or {}
        if isinstance(values, dict) and values.get(name):
            return str(values[name])
    return None


class PacedWebClient(WebClient):
    def __init__(self, *args, pacer: SlackPacer, team_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.pacer = pacer
        self.team_id = team_id  # the token's workspace, for calls made outside a job

    def api_call(self, api_method: str, **kwargs) -> SlackResponse:  # type: ignore[override]
        job = current_job()
        channel = _argument(kwargs, "channel")
        message = _argument(kwargs, "ts")
        team_id = job.team_id if job else self.team_id
        if job is None:
            self.pacer.record(team_id, api_method, channel, message)
        else:
            wait = self.pacer.acquire(team_id, api_method, channel, job.priority, job.job_id,
                                      message=message)
            if wait > 0:
                raise Paced(f"paced: {api_method} {channel or ''}".strip(),
                            utcnow() + timedelta(seconds=wait))
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            if error.response.status_code == 429:
                self.pacer.rate_limited(team_id, api_method, channel,
                                        retry_after_seconds(error.response.headers))
            raise
