"""Logging set-up: one JSON object per line (or plain text), customers' numbers masked.

A log shipper gets `time, level, logger, message` plus the job and interaction a line is
about. Customers' phone numbers are masked in every line at INFO and below (the everyday
volume that ends up in log storage); a WARNING or ERROR keeps the number, since that is
where someone has to find the conversation that failed. Message bodies are never logged:
no call site passes one, and nothing here adds one.

httpx and httpcore log at WARNING and above only: at INFO httpx writes every request line,
and those carry customers' numbers (a message lookup's `?From=%2B1…&To=%2B1…`) and MMS
addresses (Twilio's signed storage URLs, each enough to download a customer's picture).
The mask also matches a percent-encoded `+` (%2B), for any library that logs a URL anyway.

`serve` and `socket` log from INFO: their log is the desk's record of what it did. Every other
command prints its own words and logs WARNING and above only, so Alembic's "Running upgrade"
lines and slack_sdk's retry notes do not bury a command's answer; errors still show.
`smsdesk --verbose COMMAND` or SMSDESK_LOG_LEVEL (debug, info, warning, error) asks for more.

Slack tokens (bot, user, refresh, app-level: xoxb-, xoxp-, xoxe-, xapp-…) are masked in
every line at every level, tracebacks included: slack_sdk logs whole responses at DEBUG
(an OAuth exchange's carries the new tokens), and a token in a log is a token leaked.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("json", "text")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A number as written (+1415…) or percent-encoded in a URL (%2B1415…).
E164 = re.compile(r"(?:\+|%2[Bb])[1-9]\d{6,14}\b")
# Libraries whose INFO lines are request URLs: kept to WARNING and above.
CHATTY_LIBRARIES = ("httpx", "httpcore")
# xoxb-… xoxp-… xoxa-… xoxr-… xoxs-… xoxe-1-… (refresh), xoxe.xoxb-1-… (rotating), xapp-1-…
SLACK_TOKEN = re.compile(r"\b(xox[a-z]|xapp)([.-])[A-Za-z0-9][A-Za-z0-9.\-]*")

_context: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "smsdesk_log_context", default=None)


def mask_number(number: str) -> str:
    """+14155550100 -> +1415•••0100: enough to tell two customers apart, not to text one.
    A percent-encoded plus stays as written: %2B14155550100 -> %2B1415•••0100."""
    plus = number[:3] if number.startswith("%") else number[:1]
    digits = number[len(plus):]
    head = digits[:4] if len(digits) >= 10 else digits[:2]
    return f"{plus}{head}•••{digits[-4:]}"


def mask_numbers(text: str) -> str:
    return E164.sub(lambda match: mask_number(match.group()), text)


def mask_tokens(text: str) -> str:
    """"xoxb-123-abc" -> "xoxb-•••": the kind of token stays readable, the secret goes."""
    return SLACK_TOKEN.sub(lambda match: f"{match.group(1)}{match.group(2)}•••", text)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Lines logged inside (on this thread) carry these fields, e.g. job_id, interaction_id."""
    known = {name: value for name, value in fields.items() if value is not None}
    token = _context.set({**(_context.get() or {}), **known})
    try:
        yield
    finally:
        _context.reset(token)


class MaskNumbers(logging.Filter):
    """On the handler, so it covers every library's records too, not just ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.INFO:
            record.msg, record.args = mask_numbers(record.getMessage()), None
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_tokens(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Masked on the finished line, so the message, the fields and the traceback all are.
        return mask_tokens(self._line(record))

    def _line(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **(_context.get() or {}),
        }
        for name in ("job_id", "interaction_id"):  # also accepted as logging's extra=
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def chosen_format(environ: Mapping[str, str], serving: bool, stream: TextIO) -> str:
    """SMSDESK_LOG_FORMAT wins. Otherwise the long-running commands log JSON for the log
    shipper of a container or service manager, except at a terminal, where a person reads."""
    wanted = (environ.get("SMSDESK_LOG_FORMAT") or "").strip().lower()
    if wanted in FORMATS:
        return wanted
    return "json" if serving and not stream.isatty() else "text"


def chosen_level(environ: Mapping[str, str], *, serving: bool, verbose: bool = False) -> int:
    """SMSDESK_LOG_LEVEL wins, except that --verbose always shows at least INFO. Otherwise
    INFO for the long-running commands and WARNING for the rest (see the module's doc)."""
    wanted = LEVELS.get((environ.get("SMSDESK_LOG_LEVEL") or "").strip().lower())
    if verbose:
        return min(wanted or logging.INFO, logging.INFO)
    if wanted is not None:
        return wanted
    return logging.INFO if serving else logging.WARNING


HANDLER_NAME = "smsdesk"


def configure(environ: Mapping[str, str], *, serving: bool, stream: TextIO | None = None,
              level: int = logging.INFO) -> str:
    stream = stream or sys.stderr
    fmt = chosen_format(environ, serving, stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(MaskNumbers())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    # Configured twice in one process (a test, an embedding): one handler, not two.
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    wanted = environ.get("SMSDESK_LOG_FORMAT")
    if wanted and wanted.strip().lower() not in FORMATS:
        logging.getLogger(__name__).warning("SMSDESK_LOG_FORMAT=%r is unknown: use json or "
                                            "text; logging %s", wanted, fmt)
    wanted = environ.get("SMSDESK_LOG_LEVEL")
    if wanted and wanted.strip().lower() not in LEVELS:
        logging.getLogger(__name__).warning("SMSDESK_LOG_LEVEL=%r is unknown: use %s; logging "
                                            "from %s", wanted, ", ".join(LEVELS),
                                            logging.getLevelName(level))
    return fmt
