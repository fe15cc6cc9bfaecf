"""The fake Slack's views: the Home tab, modals opened, pushed and updated, trigger ids.

A modal opens only with a trigger id an interaction carried, once, and within three seconds,
as in Slack; an update names the view, and a stale `hash` is a conflict.
"""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.slack.messages import FIRST_TS_MICROS
from tests.fakes.slack.rules import MAX_VIEW_BLOCKS, Refusal, check_blocks, check_modal

if TYPE_CHECKING:
    from tests.fakes.slack.fake import Bot

TRIGGER_LIFETIME = 3.0


class Views:
    """FakeSlack's Home tabs and modals (a mixin: it runs under FakeSlack's lock)."""

    def _init_views(self) -> None:
        self._home_views: dict[str, str] = {}  # user id -> view id
        self._views: dict[str, dict[str, Any]] = {}
        self._modal_ids: list[str] = []
        self._triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._serial = itertools.count(1)

    def _view_methods(self) -> dict[str, Callable[[Bot, dict[str, Any]], dict[str, Any]]]:
        return {
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
        }

    # -- arranging a workspace -------------------------------------------------------------

    def new_trigger_id(self, age: float = 0.0) -> str:
        """Issue a trigger id as an interaction payload would carry; `age` backdates it."""
        with self._lock:
            trigger_id = f"{13345224609 + next(self._serial)}.738474920.{uuid.uuid4().hex[:20]}"
            self._triggers[trigger_id] = time.monotonic() - age
            return trigger_id

    # -- what happened ---------------------------------------------------------------------

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self._home_views.get(user_id)
            return None if view_id is None else copy.deepcopy(self._views[view_id])

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._views.get(view_id)
            return None if found is None else copy.deepcopy(found)

    def modals(self) -> list[dict[str, Any]]:
        """Every modal opened or pushed, in that order, each as last updated."""
        with self._lock:
            return copy.deepcopy([self._views[view_id] for view_id in self._modal_ids])

    # -- methods ---------------------------------------------------------------------------

    def _views_publish(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if not user_id:
            raise Refusal("invalid_arguments")
        view = _view_param(params, expected_type="home")
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        self.check_slack_files(bot, view.get("blocks", []))
        view_id = self._home_views.get(user_id)
        if view_id is not None:
            _check_hash(params, self._views[view_id])
        stored = self._store_view(bot, view, view_id)
        self._home_views[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    def _views_open(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_modal(bot, params)

    def _views_push(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_modal(bot, params)

    def _views_update(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        # Like Slack, an update names the view (id or external_id), not a trigger.
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (
                    v["id"]
                    for v in self._views.values()
                    if v.get("external_id") == params["external_id"]
                ),
                None,
            )
        existing = self._views.get(str(view_id or ""))
        if existing is None:
            raise Refusal("not_found")
        _check_hash(params, existing)
        view = _view_param(params, expected_type=existing["type"])
        if view["type"] == "modal":
            check_modal(view)
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        self.check_slack_files(bot, view.get("blocks", []))
        stored = self._store_view(bot, view, existing["id"])
        return {"view": copy.deepcopy(stored)}

    # -- helpers ---------------------------------------------------------------------------

    def _open_modal(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id") or "")
        issued = self._triggers.get(trigger_id)
        if issued is None:
            raise Refusal("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise Refusal("exchanged_trigger_id")
        if time.monotonic() - issued >= TRIGGER_LIFETIME:
            raise Refusal("expired_trigger_id")
        view = _view_param(params, expected_type="modal")
        check_modal(view)
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        self.check_slack_files(bot, view.get("blocks", []))
        self._used_triggers.add(trigger_id)
        stored = self._store_view(bot, view, None)
        self._modal_ids.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _store_view(self, bot: Bot, view: dict[str, Any], view_id: str | None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._serial):010d}"
        stored = {
            "id": view_id,
            "team_id": bot.team_id,
            "app_id": "AFAKEAPP",
            "bot_id": bot.bot_id,
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "root_view_id": view_id,
            "previous_view_id": None,
            **copy.deepcopy(view),
            "hash": f"{FIRST_TS_MICROS // 1_000_000}.{uuid.uuid4().hex[:8]}",
        }
        self._views[view_id] = stored
        return stored


def _view_param(params: dict[str, Any], expected_type: str) -> dict[str, Any]:
    view = params.get("view")
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", response_metadata={"messages": ["[ERROR] view"]})
    if view.get("type") != expected_type:
        raise Refusal(
            "invalid_arguments",
            response_metadata={
                "messages": [f"[ERROR] must be {expected_type} [json-pointer:/view/type]"]
            },
        )
    return view


def _check_hash(params: dict[str, Any], existing: dict[str, Any]) -> None:
    # A stale hash means someone else changed the view since it was read: Slack refuses.
    if params.get("hash") and params["hash"] != existing["hash"]:
        raise Refusal("hash_conflict")
