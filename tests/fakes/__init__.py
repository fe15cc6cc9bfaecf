"""Fake Slack Web API and Twilio REST API servers for tests, and the polling helper they share.

The app talks to both fakes over real HTTP on loopback, so its own HTTP clients (slack_sdk's
WebClient, httpx) run unchanged; a test only points the base URLs at `FakeSlack.url` and
`FakeTwilio.url`.
"""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.01


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 5.0,
    describe: Callable[[], str] | str = "",
) -> T:
    """Poll `predicate` until it returns something truthy and return that value.

    The app does its Slack and SMS work in a background worker, so a test cannot assert right
    after the triggering request; it waits for the effect instead. On timeout this raises
    AssertionError carrying `describe` (called only then, so it can summarise state lazily).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL)
    detail = describe() if callable(describe) else describe
    raise AssertionError(f"condition not met within {timeout:.2f}s\n{detail}".rstrip())
