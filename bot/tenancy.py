"""Which Slack workspace the code on this thread is serving, for settings lookups.

Every row already carries its team_id and every query filters on it; what differs between
workspaces beyond that is their settings (desk channel, numbers, queues, roles). The entry
points know the workspace — a job's row, a Slack request's team, the business number a text
was sent to — and set it here, so the desk code below them reads `services.settings` and
gets that workspace's, without every function growing a settings-by-team argument.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings

_serving: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "smsdesk_serving_team", default=None)


def current_team() -> str | None:
    return _serving.get()


@contextmanager
def serving(team_id: str | None) -> Iterator[None]:
    token = _serving.set(team_id)
    try:
        yield
    finally:
        _serving.reset(token)


def serve(team_id: str | None) -> None:
    """For a request thread whose later work (bolt's listener hand-off) must see the team:
    set until the next request on this thread sets it again."""
    _serving.set(team_id)


class SettingsOfTheServedTeam:
    """Looks like Settings; every attribute is read from the served workspace's settings."""

    def __init__(self, settings: Callable[[], Settings]):
        self._settings = settings

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings(), name)

    def __repr__(self) -> str:
        return f"SettingsOfTheServedTeam({current_team()!r})"


class CarryingTeamExecutor(Executor):
    """bolt runs listeners on another thread after its middleware saw the team: carry it."""

    def __init__(self, inner: Executor):
        self.inner = inner

    def submit(self, fn, /, *args, **kwargs) -> Future:
        context = contextvars.copy_context()
        return self.inner.submit(context.run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
