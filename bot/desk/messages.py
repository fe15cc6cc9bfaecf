"""What the desk and its SMS adapters exchange, provider-neutral: inbound messages, delivery
states, send results, and the provider's refusals (SendError, MediaFetchError)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MediaRef:
    """One file of an MMS: where the provider keeps it, or (simulator) the bytes themselves."""

    url: str | None
    content_type: str | None
    data: bytes | None = None


@dataclass(frozen=True)
class InboundMessage:
    provider: str
    provider_sid: str
    from_number: str  # E.164
    to_number: str  # E.164, the business number
    body: str
    case_data: dict[str, str] = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()


@dataclass(frozen=True)
class DeliveryStatus:
    provider: str
    provider_sid: str
    status: str  # queued, sending, sent, delivered, undelivered, failed
    error_code: str | None = None
    # Not delivered because the recipient opted out (the provider's own code for it): the
    # desk records the opt-out, as for a send refused for it (SendError.opted_out).
    opted_out: bool = False


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str
    segments: int | None = None


class MediaFetchError(Exception):
    """The provider would not hand over a media file (yet); `permanent` ones are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SendError(Exception):
    """A send the provider refused. `permanent` ones are not retried (e.g. opted-out number).
    `opted_out`: the provider refused because the recipient opted out (each provider has its
    own code for it), so the desk records the opt-out too; it implies `permanent`."""

    def __init__(self, message: str, *, code: str | None = None, permanent: bool = False,
                 opted_out: bool = False):
        super().__init__(message)
        self.code = code
        self.permanent = permanent or opted_out
        self.opted_out = opted_out
