"""Twilio's webhooks: inbound SMS and delivery status. Verified, stored, answered."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from flask import Blueprint, Response, current_app, request

from bot.sms import twilio
from bot.web.provider_webhooks import refuse, store_inbound, store_status

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

blueprint = Blueprint("twilio", __name__)


def _verified_params() -> dict[str, list[str]] | Response:
    web = current_app.config["SMSDESK"]
    if web.twilio_auth_token is None:
        return refuse(404, "Twilio webhooks are off: this desk runs with SMS_PROVIDER="
                           f"{web.services.sender.name}")
    if request.mimetype != "application/x-www-form-urlencoded":
        return refuse(415, "expected application/x-www-form-urlencoded, as Twilio sends")
    # Parsed here rather than by request.form, which keeps "%FF" as the literal text "%FF"
    # and silently drops every field of a body with a raw non-UTF-8 byte: the first would be
    # stored as if the customer had typed it, the second refused as "not signed".
    try:
        params = parse_qs(request.get_data(cache=True).decode(), keep_blank_values=True,
                          errors="strict")
    except UnicodeDecodeError:
        return refuse(400, "the form body is not valid UTF-8, as Twilio's always is")
    # Twilio signs the exact public URL it called; a proxy's Host header is not that URL.
    url = web.public_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    signature = request.headers.get("X-Twilio-Signature")
    if not twilio.signature_is_valid(web.twilio_auth_token, url, params, signature):
        log.warning("refused a Twilio webhook with a bad or missing signature for %s", url)
        return refuse(403, "X-Twilio-Signature is missing or does not match")
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
        return refuse(400, str(error))
    return store_inbound(web, message, Response(EMPTY_TWIML, status=200, mimetype="text/xml"))


@blueprint.post("/sms/twilio/status")
def status() -> Response:
    params = _verified_params()
    if isinstance(params, Response):
        return params
    web = current_app.config["SMSDESK"]
    try:
        delivery = twilio.parse_status(params)
    except twilio.WebhookError as error:
        return refuse(400, str(error))
    return store_status(web, delivery)
