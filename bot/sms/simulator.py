"""The built-in simulator provider: no SMS leaves the machine.

Sends are "delivered" at once to the simulated phone, which reads them back from the
database through the /simulator page. Only wired up when SMS_PROVIDER=simulator.
"""

from __future__ import annotations

import uuid

from bot.sms.messages import SendResult
from bot.sms.segments import count_segments

PROVIDER = "simulator"


class SimulatorSender:
    name = PROVIDER

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult:
        return SendResult(
            provider_sid="SIM" + uuid.uuid4().hex,
            status="delivered",
            segments=count_segments(body).segments,
        )

    def close(self) -> None:
        pass


def new_inbound_sid() -> str:
    return "SIMIN" + uuid.uuid4().hex
