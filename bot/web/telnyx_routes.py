"""Telnyx's webhooks, all at one URL (the messaging profile's): inbound SMS/MMS and the
delivery reports of what we sent. Verified (Ed25519), stored, answered."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import DBAPIError

from bot.desk import replies
from bot.desk.interactions import inbound as inbound_use_case
from bot.sms import telnyx

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/sms/telnyx/webhook"
REPORTS = ("message.sent", "message.finalized")

blueprint = Blueprint("telnyx", __name__)


def _refuse(status: int, reason: str) -> Response:
    return Response(reason + "\n", status=status, mimetype="text/plain")


@blueprint.post(WEBHOOK_PATH)
def webhook() -> Response:
    web = current_app.config["SMSDESK"]
    key = web.telnyx_public_key
    if key is None:
        return _refuse(404, "Telnyx webhooks are off: this desk runs with SMS_PROVIDER="
                            f"{web.services.sender.name}")
    if request.mimetype != "application/json":
        return _refuse(415, "expected application/json, as Telnyx sends")
    body = request.get_data(cache=True)
    problem = telnyx.signature_problem(key, body, request.headers.get(telnyx.SIGNATURE_HEADER),
                                       request.headers.get(telnyx.TIMESTAMP_HEADER))
    if problem:
        log.warning("refused a Telnyx webhook: %s", problem)
        return _refuse(403, problem)
    try:
        event_type, payload = telnyx.parse_event(body)
        if event_type == "message.received":
            return _inbound(web, payload)
        if event_type in REPORTS:
            return _status(web, payload)
    except telnyx.WebhookError as error:
        return _refuse(400, str(error))
    # Other events the profile may send (say, message.received for RCS): nothing to do.
    return Response("", status=204)


def _unavailable() -> Response:
    # Not stored, so not acknowledged: Telnyx retries a failed webhook, nothing is lost.
    response = _refuse(503, "storage unavailable, retry later")
    response.headers["Retry-After"] = "5"
    return response


def _inbound(web, payload: dict) -> Response:
    message = telnyx.parse_inbound(payload, web.country_for)
    team_id = web.team_for(message.to_number)
    if team_id is None:
        log.error("a text to %s reached no desk: no [workspaces.T…] table lists that business "
                  "number", message.to_number)
        return _refuse(404, f"no workspace has the business number {message.to_number}: list "
                            "it in a [workspaces.T…] table of the settings")
    try:
        receipt = inbound_use_case.receive_inbound(
            web.services.db, web.services.settings_for(team_id), team_id, message)
    except DBAPIError:
        log.exception("could not store inbound SMS %s", message.provider_sid)
        return _unavailable()
    web.services.metrics.count_inbound(receipt.duplicate, message.provider)
    return Response("", status=200)


def _status(web, payload: dict) -> Response:
    delivery = telnyx.parse_status(payload)
    try:
        replies.apply_delivery_status(web.services.db, delivery)
    except DBAPIError:
        log.exception("could not store delivery status for %s", delivery.provider_sid)
        return _unavailable()
    return Response("", status=204)
