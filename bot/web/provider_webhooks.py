"""What every SMS provider's webhook does once its request is verified and parsed: store an
inbound text for the workspace its business number belongs to, or apply a delivery report;
and answer so that a text the desk could not store is sent again. The provider modules
(twilio_routes, telnyx_routes, vonage_routes) keep what differs: signatures and payloads."""

from __future__ import annotations

import logging

from flask import Response
from sqlalchemy.exc import DBAPIError

from bot.desk import replies
from bot.desk.interactions import inbound as inbound_use_case
from bot.desk.messages import DeliveryStatus, InboundMessage

log = logging.getLogger(__name__)


def refuse(status: int, reason: str) -> Response:
    return Response(reason + "\n", status=status, mimetype="text/plain")


def unavailable() -> Response:
    # Not stored, so not acknowledged: every provider retries a 5xx, and nothing is lost.
    response = refuse(503, "storage unavailable, retry later")
    response.headers["Retry-After"] = "5"
    return response


def store_inbound(web, message: InboundMessage, stored: Response) -> Response:
    """The text stored (a retried webhook is a no-op) before `stored` answers it."""
    team_id = web.team_for(message.to_number)
    if team_id is None:
        log.error("a text to %s reached no desk: no [workspaces.T…] table lists that business "
                  "number", message.to_number)
        return refuse(404, f"no workspace has the business number {message.to_number}: list "
                           "it in a [workspaces.T…] table of the settings")
    try:
        receipt = inbound_use_case.receive_inbound(
            web.services.db, web.services.settings_for(team_id), team_id, message)
    except DBAPIError:
        log.exception("could not store inbound SMS %s", message.provider_sid)
        return unavailable()
    web.services.metrics.count_inbound(receipt.duplicate, message.provider)
    return stored


def store_status(web, delivery: DeliveryStatus) -> Response:
    try:
        replies.apply_delivery_status(web.services.db, delivery)
    except DBAPIError:
        log.exception("could not store delivery status for %s", delivery.provider_sid)
        return unavailable()
    return Response("", status=204)
