"""Twilio's webhooks: inbound SMS and delivery status. Verified, stored, answered."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import DBAPIError

from bot.desk import replies
from bot.desk.interactions import inbound as inbound_use_case
from bot.sms import twilio

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

blueprint = Blueprint("twilio", __name__)


def _refuse(status: int, reason: str) -> Response:
    return Response(reason + "\n", status=status, mimetype="text/plain")


def _verified_params() -> dict[str, list[str]] | Response:
    web = current_app.config["SMSDESK"]
    if web.twilio_auth_token is None:
        return _refuse(404, "Twilio webhooks are off: this desk runs with SMS_PROVIDER="
                            f"{web.services.sender.name}")
    if request.mimetype != "application/x-www-form-urlencoded":
        return _refuse(415, "expected application/x-www-form-urlencoded, as Twilio sends")
    # Parsed here rather than by request.form, which keeps "%FF" as the literal text "%FF"
    # and silently drops every field of a body with a raw non-UTF-8 byte: the first would be
    # stored as if the customer had typed it, the second refused as "not signed".
    try:
        params = parse_qs(request.get_data(cache=True).decode(), keep_blank_values=True,
                          errors="strict")
    except UnicodeDecodeError:
        return _refuse(400, "the form body is not valid UTF-8, as Twilio's always is")
    # Twilio signs the exact public URL it called; a proxy's Host header is not that URL.
    url = web.public_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    signature = request.headers.get("X-Twilio-Signature")
    if not twilio.signature_is_valid(web.twilio_auth_token, url, params, signature):
        log.warning("refused a Twilio webhook with a bad or missing signature for %s", url)
        return _refuse(403, "X-Twilio-Signature is missing or does not match")
    return params


@blueprint.post("/sms/twilio/inbound")
def inbound() -> Response:
    params = _verified_params()
    if isinstance(params, Response):
        return params
    web = current_app.config["SMSDESK"]
    try:
        message = twilio.parse_inbound(params, web.country_for)
    except twilio.WebhookError as error:
        return _refuse(400, str(error))
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
        # Not stored, so not acknowledged: Twilio retries a 5xx, and nothing is lost.
        log.exception("could not store inbound SMS %s", message.provider_sid)
        response = _refuse(503, "storage unavailable, retry later")
        response.headers["Retry-After"] = "5"
        return response
    web.services.metrics.count_inbound(receipt.duplicate, message.provider)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@blueprint.post("/sms/twilio/status")
def status() -> Response:
    params = _verified_params()
    if isinstance(params, Response):
        return params
    web = current_app.config["SMSDESK"]
    try:
        delivery = twilio.parse_status(params)
    except twilio.WebhookError as error:
        return _refuse(400, str(error))
    try:
        replies.apply_delivery_status(web.services.db, delivery)
    except DBAPIError:
        log.exception("could not store delivery status for %s", delivery.provider_sid)
        return _refuse(503, "storage unavailable, retry later")
    return Response("", status=204)
