"""A WebClient whose calls from jobs wait their turn (bot/worker/pacing.py) instead of
sleeping: a call that would go over a budget raises `Paced`, and the worker puts the job
back, due when the budget allows. What Slack answered that run before it was put back is
answered again from memory when the next run asks the same: a job put back spends nothing
twice."""

from __future__ import annotations

import json
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


def _call_key(api_method: str, kwargs: dict) -> str:
    """A call by its method and arguments: a later run asking the same gets the same."""
    return api_method + " " + json.dumps(
        {part: kwargs.get(part) for part in ("json", "data", "params", "files")},
        sort_keys=True, default=str)


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
        call = _call_key(api_method, kwargs)
        if job is None:
            self.pacer.record(team_id, api_method, channel, message)
        else:
            if job.job_id is not None and not job.started:
                job.started.append(True)
                job.answered.update(self.pacer.take_answers(job.job_id))
            if call in job.answered:
                return job.answered[call]
            wait = self.pacer.acquire(team_id, api_method, channel, job.priority, job.job_id,
                                      message=message)
            if wait > 0:
                self._put_back(job)
                raise Paced(f"paced: {api_method} {channel or ''}".strip(),
                            utcnow() + timedelta(seconds=wait))
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            if error.response.status_code == 429:
                self.pacer.rate_limited(team_id, api_method, channel,
                                        retry_after_seconds(error.response.headers))
                if job is not None:
                    self._put_back(job)
            raise
        if api_method == "chat.postMessage" and channel and response.get("channel"):
            self.pacer.posted_to(team_id, channel, str(response["channel"]))
        if job is not None:
            job.answered[call] = response
        return response

    def _put_back(self, job) -> None:
        if job.job_id is not None and job.answered:
            self.pacer.keep_answers(job.job_id, job.answered)
