"""The built-in simulator provider: no SMS leaves the machine.

Sends are "delivered" at once to the simulated phone, which reads them back from the
database through the /simulator page. Only wired up when SMS_PROVIDER=simulator.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from bot.desk.messages import MediaFetchError, SendResult
from bot.desk.segments import count_segments

PROVIDER = "simulator"


class SimulatorSender:
    name = PROVIDER

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult:
        return SendResult(
            provider_sid="SIM" + uuid.uuid4().hex,
            status="delivered",
            segments=count_segments(body).segments,
        )

    def check(self) -> str:
        return "simulator: nothing to reach"

    def find_sent(self, *, from_number: str, to_number: str, body: str,
                  since: datetime) -> list[SendResult]:
        return []  # a send here is a function call: it never leaves us in doubt

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        # The simulator stores the bytes with the message; nothing is ever fetched.
        raise MediaFetchError("simulated media has no URL to fetch", permanent=True)

    def delete_message(self, sid: str, media: list[list[str]] | None = None) -> bool:
        return False  # the simulator keeps nothing beyond the desk's own database

    def close(self) -> None:
        pass


def new_inbound_sid() -> str:
    return "SIMIN" + uuid.uuid4().hex
