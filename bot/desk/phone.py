"""Phone numbers as E.164, the one form the desk stores and matches contacts on."""

from __future__ import annotations

import phonenumbers


class InvalidNumber(ValueError):
    pass


def to_e164(raw: str, default_country: str | None) -> str:
    """`default_country`: the country a number written without its country code is read in
    (the workspace's `desk.default_country`); None reads only numbers written with it."""
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


def national_digits(e164: str) -> str:
    """The number's digits as written at home, without a trunk prefix: 4155550100 for
    +14155550100; "" for what is not a number (an erased contact's placeholder)."""
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ""


# Types that can receive an SMS. Landlines, premium-rate, shared-cost and pager numbers
# cannot; toll-free numbers are businesses, not customers.
_TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,  # the US and Canada: no way to tell
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}


def textable_e164(raw: str, default_country: str) -> str:
    """The E.164 form of a number an SMS can be sent to, or InvalidNumber saying why not."""
    e164 = to_e164(raw, default_country)
    number = phonenumbers.parse(e164, None)
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"{display(e164)} is not a valid phone number")
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise InvalidNumber(f"{display(e164)} is not a mobile number, so it cannot receive SMS")
    return e164
