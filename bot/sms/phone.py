"""Phone numbers as E.164, the one form the desk stores and matches contacts on."""

from __future__ import annotations

import phonenumbers


class InvalidNumber(ValueError):
    pass


def to_e164(raw: str, default_country: str = "US") -> str:
    try:
        number = phonenumbers.parse(raw, default_country)
    except phonenumbers.NumberParseException as error:
        raise InvalidNumber(f"{raw!r} is not a phone number: {error}") from error
    if not phonenumbers.is_possible_number(number):
        raise InvalidNumber(f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """How a person reads the number: +1 415-555-0100."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
