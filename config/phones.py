"""Phone numbers read, checked and written with `phonenumbers`, in the clinic's region.

Numbers are stored and compared in E.164 (`+15555550100`); people write them in their national
form (`(555) 555-0100`), hear them digit by digit, and read them in the national form when they
are in the clinic's country. Area code 555 (fictional, as in the examples and tests) is accepted
where libphonenumber would call it unassigned. Flask-free.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possible

from config.yamldoc import Doc, Path_

DEFAULT_REGION = "US"
# Numbers a caller may not ask to be called or texted back on (they cost the clinic, or pump).
NOT_FOR_CALLBACKS = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST})
_WHY = {
    Possible.TOO_SHORT: "is too short",
    Possible.IS_POSSIBLE_LOCAL_ONLY: "has no area code",
    Possible.TOO_LONG: "is too long",
    Possible.INVALID_LENGTH: "has the wrong number of digits",
    Possible.INVALID_COUNTRY_CODE: "has no valid country code",
}


class PhoneError(ValueError):
    """Not a usable phone number; the message says why (e.g. 'is too short for US')."""


def is_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS


def _fictional(number: PhoneNumber) -> bool:
    """North American area code 555: not assigned, used for examples (+1 555 555 01xx)."""
    return number.country_code == 1 and (number.national_number or 0) // 10**7 == 555


def _usable(number: PhoneNumber, region: str, text: str) -> PhoneNumber:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != Possible.IS_POSSIBLE:
        raise PhoneError(f"{text!r} {_WHY.get(reason, 'is not a phone number')} for {region}")
    if not (phonenumbers.is_valid_number(number) or _fictional(number)):
        raise PhoneError(
            f"{text!r} is not a valid number: +{number.country_code} has no such area code "
            "or exchange"
        )
    return number


def parse(text: str, region: str = DEFAULT_REGION) -> str:
    """E.164 of a number written any usual way ('+1 555…', '(555) 123-4567'), or PhoneError."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise PhoneError(f"{text!r} is not a phone number") from None
    return e164(_usable(number, region, text))


def e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def callback_number(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The number a caller keyed ('5551234567') or said ('it's 555 123 4567') for the callback.

    Only a valid number of the clinic's own country (SMS pumping, toll fraud), never premium
    rate; None when there is none (the caller's own number stays the callback number).
    """
    country = phonenumbers.country_code_for_region(region)
    for match in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        number = match.number
        try:
            _usable(number, region, match.raw_string)
        except PhoneError:
            continue
        if (
            number.country_code == country
            and phonenumbers.number_type(number) not in NOT_FOR_CALLBACKS
        ):
            return e164(number)
    return None


@lru_cache(maxsize=512)
def _read(number: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(number, None if number.startswith("+") else DEFAULT_REGION)
    except NumberParseException:
        return None


def _home(number: PhoneNumber, region: str) -> bool:
    return number.country_code == phonenumbers.country_code_for_region(region)


@lru_cache(maxsize=512)
def texted(number: str, region: str = DEFAULT_REGION) -> str:
    """For reading: '(555) 555-0199' in the clinic's country, '+44 20 7946 0000' abroad."""
    parsed = _read(number)
    if parsed is None:
        return number
    style = PhoneNumberFormat.NATIONAL if _home(parsed, region) else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)


@lru_cache(maxsize=512)
def spoken(number: str, region: str = DEFAULT_REGION) -> str:
    """For <Say>: digit by digit in the written groups, '5 5 5, 5 5 5, 0 1 9 9'."""
    written = texted(number, region)
    groups = [
        "".join(ch for ch in part if ch.isdigit()) for part in written.replace("-", " ").split()
    ]
    said = ", ".join(" ".join(g) for g in groups if g)
    if not said:
        return number
    return ("plus " + said) if written.startswith("+") else said


def region_of(doc: Doc) -> str:
    """The clinic's region (ISO 3166 code, `clinic.region`); national numbers are read in it."""
    value = doc.get(("clinic", "region"))
    return (
        str(value).upper()
        if value is not None and is_region(str(value).upper())
        else DEFAULT_REGION
    )


def read_region(doc: Doc) -> str:
    """`clinic.region`, checked: a problem (with the nearest codes) when libphonenumber lacks it."""
    value = doc.get(("clinic", "region"))
    if value is None:
        return DEFAULT_REGION
    if not is_region(str(value).upper()):
        doc.problem(
            ("clinic", "region"),
            f"{value!r} is not a country code phone numbers know",
            "write the ISO 3166 two-letter code of the clinic's country, e.g. US, CA, GB or AU",
        )
        return DEFAULT_REGION
    return str(value).upper()


def read_phone(doc: Doc, path: Path_, value: Any) -> str | None:
    """A policy file's number as E.164 (a problem with file, line and fix when it is not one).

    A number written in the national form is read in the clinic's region, and a note says how.
    """
    text = "" if value is None else str(value).strip()
    region = region_of(doc)
    if not text:
        doc.problem(path, "phone is missing", f"write it in quotes, e.g. {_example(region)}")
        return None
    try:
        number = parse(text, region)
    except PhoneError as exc:
        doc.problem(
            path, str(exc), f"write it with its area code in quotes, e.g. {_example(region)}"
        )
        return None
    if number != text:
        doc.note(path, f"{text!r} is read as {number} (E.164, region {region})")
    return number


def _example(region: str) -> str:
    example = phonenumbers.example_number(region)
    if region == DEFAULT_REGION or example is None:
        return '"(555) 555-0100" or "+15555550100"'
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
    return f'"{national}" or "{e164(example)}" (another country\'s: + and its country code)'
