"""Slack's answer first: the ack leaves before any database or Slack work, on the request's
own thread, and the work it acknowledged starts once the answer has been written.

bolt's default runs every listener on its pool and looks for the ack every 10 ms from the
request's thread: 10 ms or more on every request, more when the pool is busy with the work
earlier requests acknowledged. Here bolt answers on the request's thread
(process_before_response), and `AckFirstApp` registers each listener in one of two ways:

- clicks, commands, shortcuts and events: Slack reads nothing from their ack (a command's
  answer goes to its response_url), so the ack is given before the listener runs at all;
  the listener runs on the pool once the answer is out;
- modal submissions and option lists: the answer is what the listener decides (errors to
  show, the options), so the request waits for the listener's ack, which it gives on the
  pool; whatever the listener does after its ack waits until the answer is out.

Over HTTP, "the answer is out" is when the web route's response has been written
(`answer_first`); elsewhere (Socket Mode) it is at once."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

from slack_bolt import App, BoltResponse

log = logging.getLogger(__name__)

# A listener gets this long to ack a submission or an option list (Slack waits 3 s).
ACK_DEADLINE_SECONDS = 3.0
# The longest acknowledged work waits for its answer to be written.
ANSWER_WAIT_SECONDS = 1.0

_request = threading.local()  # `waiting`: what starts once this thread's answer is written


@contextmanager
def answer_first() -> Iterator[Callable[[], None]]:
    """Around one request handed to bolt over HTTP. Yields what the web route calls once the
    response has been written: the work the request acknowledged starts then."""
    waiting: list[Callable[[], None]] = []
    _request.waiting = waiting

    def answered() -> None:
        for release in waiting:
            release()

    try:
        yield answered
    except BaseException:
        answered()
        raise
    finally:
        _request.waiting = None


def _once_answered(release: Callable[[], None]) -> None:
    waiting = getattr(_request, "waiting", None)
    if waiting is None:
        release()  # no web route around this request: nothing to wait for
    else:
        waiting.append(release)


def _run(listener: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        listener(**kwargs)
    except Exception:
        # The user already has their answer; what Slack sent is logged so it can be replayed.
        body = kwargs.get("body") or {}
        log.exception("listener %s failed for %s", listener.__name__,
                      body.get("type") or body.get("command"))


class AckFirstApp(App):
    """bolt's App, its listeners registered as the module docstring says."""

    def __init__(self, *, listener_executor: Executor, **kwargs: Any) -> None:
        super().__init__(listener_executor=listener_executor, process_before_response=True,
                         **kwargs)
        self._work = listener_executor

    def action(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().action(*args, **kwargs), self._acked_at_once)

    def command(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().command(*args, **kwargs), self._acked_at_once)

    def shortcut(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().shortcut(*args, **kwargs), self._acked_at_once)

    def event(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().event(*args, **kwargs), self._acked_at_once)

    def view(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().view(*args, **kwargs), self._acked_by_listener)

    def options(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._registering(super().options(*args, **kwargs), self._acked_by_listener)

    @staticmethod
    def _registering(register: Callable[..., Any],
                     wrap: Callable[[Callable[..., Any]], Callable[..., Any]]
                     ) -> Callable[..., Any]:
        return lambda listener: register(wrap(listener))

    # bolt hands a listener the arguments its parameters name; functools.wraps gives each
    # wrapper its listener's parameters, so bolt hands the wrapper what the listener wants.

    def _acked_at_once(self, listener: Callable[..., Any]) -> Callable[..., None]:
        @functools.wraps(listener)
        def ack_then_queue(**kwargs: Any) -> None:
            ack = kwargs.get("ack")
            if ack is not None:
                ack()  # an event (which names no ack) is acked by bolt after this returns
            answered = threading.Event()
            _once_answered(answered.set)

            def work() -> None:
                answered.wait(ANSWER_WAIT_SECONDS)
                _run(listener, kwargs)

            self._work.submit(work)

        return ack_then_queue

    def _acked_by_listener(self, listener: Callable[..., Any]
                           ) -> Callable[..., BoltResponse | None]:
        @functools.wraps(listener)
        def wait_for_ack(**kwargs: Any) -> BoltResponse | None:
            bolt_ack = kwargs["ack"]
            given, answered = threading.Event(), threading.Event()
            _once_answered(answered.set)

            def ack(*args: Any, **fields: Any) -> BoltResponse:
                response = bolt_ack(*args, **fields)
                given.set()
                answered.wait(ANSWER_WAIT_SECONDS)
                return response

            future = self._work.submit(_run, listener, {**kwargs, "ack": ack})
            future.add_done_callback(lambda _done: given.set())
            given.wait(ACK_DEADLINE_SECONDS)
            if bolt_ack.response is None and future.done():
                return BoltResponse(status=500, body="")  # it failed before answering
            return None

        return wait_for_ack
