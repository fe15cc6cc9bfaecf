"""Telnyx's webhooks, all at one URL (the messaging profile's): inbound SMS/MMS and the
delivery reports of what we sent. Verified (Ed25519), stored, answered."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from bot.sms import telnyx
from bot.web.provider_webhooks import refuse, store_inbound, store_status

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/sms/telnyx/webhook"
REPORTS = ("message.sent", "message.finalized")

blueprint = Blueprint("telnyx", __name__)


@blueprint.post(WEBHOOK_PATH)
def webhook() -> Response:
    web = current_app.config["SMSDESK"]
    key = web.telnyx_public_key
    if key is None:
        return refuse(404, "Telnyx webhooks are off: this desk runs with SMS_PROVIDER="
                           f"{web.services.sender.name}")
    if request.mimetype != "application/json":
        return refuse(415, "expected application/json, as Telnyx sends")
    body = request.get_data(cache=True)
    problem = telnyx.signature_problem(key, body, request.headers.get(telnyx.SIGNATURE_HEADER),
                                       request.headers.get(telnyx.TIMESTAMP_HEADER))
    if problem:
        log.warning("refused a Telnyx webhook: %s", problem)
        return refuse(403, problem)
    try:
        event_type, payload = telnyx.parse_event(body)
        if event_type == "message.received":
            return _inbound(web, payload)
        if event_type in REPORTS:
            return _status(web, payload)
    except telnyx.WebhookError as error:
        return refuse(400, str(error))
    # Other events the profile may send (say, message.received for RCS): nothing to do.
    return Response("", status=204)


def _inbound(web, payload: dict) -> Response:
    message = telnyx.parse_inbound(payload, web.country_for)
    return store_inbound(web, message, Response("", status=200))


def _status(web, payload: dict) -> Response:
    delivery = telnyx.parse_status(payload)
    return store_status(web, delivery)
