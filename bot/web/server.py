"""The waitress server every command serves the web app with, limits set in one place."""

from __future__ import annotations

from waitress import create_server

from bot.web.app import MAX_BODY_BYTES

THREADS = 8
# Open connections waitress keeps at once; more wait in the listen backlog. Twilio and
# Slack each hold a few; a stranger opening hundreds cannot make the process hold more.
CONNECTION_LIMIT = 100


def create(app, host: str, port: int):
    """A waitress server for `app`. A body over MAX_BODY_BYTES is refused with 413 as soon as
    its Content-Length (or, chunked, its running size) says so, before it is read: waitress
    would otherwise take up to 1 GiB into memory and temporary files first, and only then
    let the app refuse it."""
    # waitress refuses a body of max_request_body_size bytes or more; Flask's
    # MAX_CONTENT_LENGTH allows exactly its size. The + 1 makes the two agree.
    return create_server(app, host=host, port=port, threads=THREADS,
                         connection_limit=CONNECTION_LIMIT,
                         max_request_body_size=MAX_BODY_BYTES + 1)
