"""Vonage's webhooks (Messages API): inbound SMS/MMS and message status. Verified by the
signed JWT in Authorization, stored, answered."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, request

from bot.sms import vonage
from bot.web.provider_webhooks import refuse, store_inbound, store_status
from storage.clock import utcnow

log = logging.getLogger(__name__)

blueprint = Blueprint("vonage", __name__)


def _verified_json() -> dict[str, Any] | Response:
    web = current_app.config["SMSDESK"]
    config = web.vonage
    if config is None or not config.signature_secret:
        return refuse(404, "Vonage webhooks are off: this desk runs with SMS_PROVIDER="
                           f"{web.services.sender.name}")
    body = request.get_data(cache=True)
    # Checked before anything of the body is read: a refused webhook is stored nowhere.
    try:
        vonage.verify_webhook(request.headers.get("Authorization"), body,
                              config.signature_secret, now=utcnow().timestamp(),
                              application_id=config.application_id)
    except vonage.UnsignedWebhook as error:
        # Vonage's own, on an error of its signer: a 5xx makes it send again, signed.
        log.warning("refused an unsigned Vonage webhook to %s (answered 503 so that Vonage "
                    "retries it signed)", request.path)
        response = refuse(503, f"{error}: send it again signed")
        response.headers["Retry-After"] = "60"
        return response
    except vonage.WebhookError as error:
        log.warning("refused a Vonage webhook to %s: %s", request.path, error)
        return refuse(403, str(error))
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return refuse(400, "the body is not JSON, as Vonage's always is")
    if not isinstance(data, dict):
        return refuse(400, "the body is not a JSON object")
    return data


@blueprint.post("/sms/vonage/inbound")
def inbound() -> Response:
    data = _verified_json()
    if isinstance(data, Response):
        return data
    web = current_app.config["SMSDESK"]
    try:
        message = vonage.parse_inbound(data, web.country_for)
    except vonage.WebhookError as error:
        return refuse(400, str(error))
    return store_inbound(web, message, Response("", status=200))


@blueprint.post("/sms/vonage/status")
def status() -> Response:
    data = _verified_json()
    if isinstance(data, Response):
        return data
    web = current_app.config["SMSDESK"]
    try:
        delivery = vonage.parse_status(data)
    except vonage.WebhookError as error:
        return refuse(400, str(error))
    return store_status(web, delivery)
