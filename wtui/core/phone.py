"""Phone numbers: any typed form to E.164, with a specific reason for each rejection.

phonenumbers' metadata patterns overflow the ``re`` cache on many-region
workloads; its pattern cache makes validation about 8x faster here
(../shared/MEASURED.md), so it is switched on once, at first use.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from wtui.errors import PhoneError

_cache_on = False


@dataclass(frozen=True)
class Phone:
    e164: str
    region: str  # ISO 3166 code, "" when the number is not tied to one
    zones: tuple[str, ...]  # candidate IANA zones, best first


def _enable_cache() -> None:
    global _cache_on
    if not _cache_on:
        phonenumbers.enable_pattern_cache()
        _cache_on = True


def _strip(raw: str) -> str:
    # WhatsApp and spreadsheets carry invisible marks and odd spaces.
    return "".join(ch for ch in raw if ch not in "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff").strip()


def normalize(raw: str, default_region: str = "", region_names: dict[str, str] | None = None) -> Phone:
    """Return the E.164 form of ``raw`` or raise PhoneError saying why not."""
    _enable_cache()
    text = _strip(raw or "")
    names = region_names or {}
    if not text:
        raise PhoneError(raw, "empty")
    if not any(ch.isdigit() for ch in text):
        raise PhoneError(raw, "not a phone number (no digits)")
    if any(ch.isalpha() for ch in text):
        # phonenumbers reads letters as keypad digits (1-800-FLOWERS); in a book they are typos.
        raise PhoneError(raw, "contains letters")
    if text.startswith("00"):
        text = "+" + text[2:]
    has_cc = text.startswith("+")
    region = None if has_cc else (default_region.upper() or None)
    if not has_cc and region is None:
        raise PhoneError(raw, "no country code and no default region (write it as +<country code> ...)")
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneError(raw, f"unknown default region {region!r}")
    try:
        num = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise PhoneError(raw, _parse_reason(exc)) from None
    # The common case first: a valid number costs one region lookup and one check.
    where = phonenumbers.region_code_for_number(num) or ""
    if not (where and phonenumbers.is_valid_number_for_region(num, where)):
        raise PhoneError(raw, _invalid_reason(num, where, names))
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, region=where, zones=zones_for(e164))


def _invalid_reason(num: phonenumbers.PhoneNumber, where: str, names: dict[str, str]) -> str:
    main = where or phonenumbers.region_code_for_country_code(num.country_code)
    label = names.get(main, "" if main == "ZZ" else main) or f"+{num.country_code}"
    possible = phonenumbers.is_possible_number_with_reason(num)
    if possible == ValidationResult.TOO_SHORT:
        return f"too short for {label}"
    if possible == ValidationResult.TOO_LONG:
        return f"too long for {label}"
    if possible == ValidationResult.INVALID_COUNTRY_CODE:
        return f"+{num.country_code} is not a country calling code"
    if possible == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return f"a local number: add the area code for {label}"
    if possible == ValidationResult.INVALID_LENGTH:
        return f"wrong length for {label}"
    return f"not a valid number for {label}"


def _parse_reason(exc: NumberParseException) -> str:
    kind = exc.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        return "unknown country calling code"
    if kind == NumberParseException.NOT_A_NUMBER:
        return "not a phone number"
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return "too short"
    if kind == NumberParseException.TOO_LONG:
        return "too long"
    return str(exc)


def zones_for(e164: str) -> tuple[str, ...]:
    """Candidate IANA time zones for a number, most specific first.

    phonenumbers decides a number's zones from at most its first 9 digits
    (``TIMEZONE_LONGEST_PREFIX``) and the number's type, which is a property of
    its prefix too; so the answer is cached per 9-digit prefix (an import of
    100k numbers asks a few thousand times, not 100k).
    """
    key = e164[:10]
    zones = _ZONES.get(key)
    if zones is None:
        from phonenumbers import timezone

        _enable_cache()
        num = phonenumbers.parse(e164, None)
        zones = _ZONES[key] = tuple(z for z in timezone.time_zones_for_number(num) if z != "Etc/Unknown")
    return zones


_ZONES: dict[str, tuple[str, ...]] = {}


def display(e164: str) -> str:
    """The international format a rep reads aloud: +55 11 98765-4321."""
    _enable_cache()
    num = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
