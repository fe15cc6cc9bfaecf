"""The simulated customer phone at /simulator: text the desk and read its replies locally.

Registered only when SMS_PROVIDER=simulator (elsewhere /simulator is a 404). Its texts reach
the real workspace, so it is not open to whoever reaches the port: the page answers only at
the address the log prints (a key new at every start), the page hands that key to its API
calls in a header (which a form or a plain link cannot send), and a post from a page of
another origin is refused even with the key.
"""

from __future__ import annotations

import hmac
from html import escape
from importlib import resources
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select

from bot.desk.interactions import inbound as inbound_use_case
from bot.desk.messages import InboundMessage, MediaRef
from bot.desk.phone import InvalidNumber, to_e164
from bot.media.images import MAX_BYTES
from bot.sms import simulator
from storage.models import Media, Message

blueprint = Blueprint("simulator", __name__)
MAX_SMS_CHARS = 1600  # what carriers (and Twilio) take in one concatenated message
TOKEN_HEADER = "X-Simulator-Token"
NO_KEY = ("the simulator answers only at the address printed in the log when the desk "
          "started (/simulator?token=...)")


def _business_numbers() -> list[str]:
    """What the simulator's phone can text: every business number that reaches a workspace,
    the file's top-level ones first. The number picks the workspace, as a real text's does."""
    web = current_app.config["SMSDESK"]
    settings = web.services.all_settings
    numbers: list[str] = []
    for each in (settings, *(workspace.settings for workspace in settings.workspaces)):
        numbers += [n for n in each.sending_numbers()
                    if n not in numbers and web.team_for(n) is not None]
    return numbers or list(settings.sending_numbers())


def _texted(to: object) -> str | None:
    """The business number the phone texts: the one asked for, if the desk has it (None
    if not); the first when none is asked for."""
    numbers = _business_numbers()
    if to is None or to == "":
        return numbers[0]
    return to if isinstance(to, str) and to in numbers else None


def _not_ours(to: object) -> Response:
    return jsonify(error=f"{str(to)[:40]!r} is not a business number of this desk: text one "
                         f"of {', '.join(_business_numbers())}"), 400


def _business_number_choice() -> str:
    numbers = _business_numbers()
    if len(numbers) == 1:
        return f'<strong id="to" data-number="{escape(numbers[0])}">{escape(numbers[0])}</strong>'
    options = "".join(f'<option value="{escape(n)}">{escape(n)}</option>' for n in numbers)
    return f'<select id="to" aria-label="Business number">{options}</select>'


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _from_another_origin() -> bool:
    """A browser names the page a post comes from; only the desk's own pages may post.
    (No Origin at all is a client that is not a browser page: the key decides.)"""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    own = {_origin(request.host_url), _origin(current_app.config["SMSDESK"].public_url)}
    return origin.lower() not in own


def _refuse(status: int, reason: str) -> Response:
    if request.path.startswith("/simulator/api/"):
        return jsonify(error=reason), status
    return Response(reason + "\n", status=status, mimetype="text/plain")


@blueprint.before_request
def only_with_the_key() -> Response | None:
    expected = current_app.config["SMSDESK"].simulator_token
    given = (request.args.get("token", "") if request.path == "/simulator"
             else request.headers.get(TOKEN_HEADER, ""))
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _refuse(403, NO_KEY)
    if request.method == "POST" and _from_another_origin():
        return _refuse(403, "a page of another site may not post to the simulator")
    return None


@blueprint.get("/simulator")
def page() -> Response:
    html = resources.files("bot.web").joinpath("simulator_page.html").read_text("utf-8")
    response = Response(html.replace("{{BUSINESS_NUMBER}}", _business_number_choice()),
                        mimetype="text/html")
    # The key is in this page's address: no other site learns it from a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.post("/simulator/api/messages")
def send() -> Response:
    web = current_app.config["SMSDESK"]
    media: tuple[MediaRef, ...] = ()
    if request.mimetype == "multipart/form-data":
        # The page sends a picture this way, as a phone sends an MMS.
        data = request.form.to_dict()
        upload = request.files.get("image")
        if upload is not None and upload.filename:
            content = upload.read(MAX_BYTES + 1)
            if len(content) > MAX_BYTES:
                return jsonify(error="a picture message carries at most 5 MB"), 400
            media = (MediaRef(None, upload.mimetype or None, content),)
    else:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            data = {}  # not JSON, or JSON but not an object: answered below like an empty form
    body = data.get("body", "" if media else None)
    if not isinstance(body, str) or (not body.strip() and not media):
        return jsonify(error="write a message first"), 400
    if len(body) > MAX_SMS_CHARS:
        return jsonify(error=f"an SMS carries at most {MAX_SMS_CHARS} characters"), 400
    to = _texted(data.get("to"))
    if to is None:
        return _not_ours(data.get("to"))
    team_id = web.team_for(to)
    if team_id is None:
        return jsonify(error=f"no workspace has the business number {to}"), 404
    settings = web.services.settings_for(team_id)
    try:
        phone = to_e164(str(data.get("from", "")), settings.default_country)
    except InvalidNumber as error:
        return jsonify(error=str(error)), 400
    message = InboundMessage(simulator.PROVIDER, simulator.new_inbound_sid(), phone, to, body,
                             {"Channel": "Simulator"}, media)
    receipt = inbound_use_case.receive_inbound(web.services.db, settings, team_id, message)
    web.services.metrics.count_inbound(receipt.duplicate, message.provider)
    return jsonify(message_id=receipt.message_id, interaction_id=receipt.interaction_id), 201


@blueprint.get("/simulator/api/messages")
def conversation() -> Response:
    web = current_app.config["SMSDESK"]
    to = _texted(request.args.get("to"))
    if to is None:
        return _not_ours(request.args.get("to"))
    team_id = web.team_for(to)
    try:
        phone = to_e164(request.args.get("phone", ""), web.country_for(to))
    except InvalidNumber as error:
        return jsonify(error=str(error)), 400
    with web.services.db.transaction() as s:
        pictures = (select(func.count()).select_from(Media)
                    .where(Media.message_id == Message.id).scalar_subquery())
        rows = s.execute(
            select(Message.direction, Message.body, Message.delivery_state, Message.created_at,
                   pictures)
            # What this phone sent and received, whichever contact the number now belongs to.
            .where(Message.team_id == team_id,
                   ((Message.direction == "inbound") & (Message.from_number == phone))
                   # The phone only ever sees what was actually handed to the provider.
                   | ((Message.direction == "outbound") & (Message.to_number == phone)
                      & Message.provider_sid.is_not(None)))
            .order_by(Message.created_at, Message.id)
            .limit(500)
        ).all()
    return jsonify(phone=phone, messages=[
        {"direction": d, "body": b, "state": st, "at": at.isoformat(), "pictures": n}
        for d, b, st, at, n in rows
    ])
