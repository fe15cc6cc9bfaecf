"""GET /media/<id>/<purpose>: serves an MMS file to the holder of a valid signed link."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from storage.models import Media

blueprint = Blueprint("media", __name__)


@blueprint.get("/media/<int:media_id>/<purpose>")
def media_file(media_id: int, purpose: str) -> Response:
    web = current_app.config["SMSDESK"]
    team_id = request.args.get("team", "")
    if not web.media_links.is_valid(team_id, media_id, purpose, request.args.get("expires", ""),
                                    request.args.get("sig", "")):
        return Response("This link is invalid or has expired. Ask for a new one from the "
                        "thread.\n", status=403, mimetype="text/plain")
    column = Media.original if purpose == "original" else Media.display
    with web.services.db.transaction() as s:
        row = s.execute(select(column, Media.display_content_type, Media.content_type,
                               Media.position)
                        .where(Media.id == media_id, Media.team_id == team_id)).first()
    if row is None or row[0] is None:
        return Response("No such file.\n", status=404, mimetype="text/plain")
    data, display_type, original_type, position = row
    if purpose == "original":
        # Whatever the customer sent, it is never rendered by the browser from our origin.
        content_type, extension = "application/octet-stream", "bin"
    else:
        content_type = display_type
        extension = "png" if display_type == "image/png" else "jpg"
    response = Response(data, mimetype=content_type)
    disposition = "inline" if purpose == "view" else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="picture-{media_id}-{position}.{extension}"')
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response
