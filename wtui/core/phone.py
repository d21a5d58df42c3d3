"""Phone numbers: any typed form to E.164, with a specific reason for each rejection.

phonenumbers' metadata patterns overflow the ``re`` cache on many-region
workloads; its pattern cache makes validation about 8x faster here
(../shared/MEASURED.md), so it is switched on once, at first use.

An import normalises every row, so ``normalize`` asks phonenumbers for each
answer once: the number's type decides both validity and which time-zone
lookup applies (checking validity, then asking for zones, classified the
number twice and parsed it three times).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from wtui.errors import PhoneError

_cache_on = False


@dataclass(frozen=True)
class Phone:
    e164: str
    region: str  # ISO 3166 code, "" when the number is not tied to one
    zones: tuple[str, ...]  # candidate IANA zones, best first
    mobile: bool = True  # may take WhatsApp (a mobile, or a number its plan does not tell from one)


def _enable_cache() -> None:
    global _cache_on
    if not _cache_on:
        phonenumbers.enable_pattern_cache()
        _cache_on = True


# WhatsApp and spreadsheets carry invisible marks and odd spaces.
_MARKS = str.maketrans("", "", "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")


def _strip(raw: str) -> str:
    return raw.translate(_MARKS).strip()


def normalize(raw: str, default_region: str = "", region_names: dict[str, str] | None = None) -> Phone:
    """Return the E.164 form of ``raw`` or raise PhoneError saying why not."""
    _enable_cache()
    text = _strip(raw or "")
    names = region_names or {}
    if not text:
        raise PhoneError(raw, "empty")
    if not _DIGIT.search(text):
        raise PhoneError(raw, "not a phone number (no digits)")
    if _LETTER.search(text):
        # phonenumbers reads letters as keypad digits (1-800-FLOWERS); in a book they are typos.
        raise PhoneError(raw, "contains letters")
    if text.startswith("00"):
        text = "+" + text[2:]
    has_cc = text.startswith("+")
    digits = "".join(c for c in text if c.isdigit())
    if has_cc and digits.startswith("521") and len(digits) == 13:
        # Mexico dropped the mobile "1" after 52 in 2019; contacts saved before keep it (+52 1 55 ...).
        text = "+52" + digits[3:]
    region = None if has_cc else (default_region.upper() or None)
    if not has_cc and region is None:
        raise PhoneError(raw, "no country code and no default region (write it as +<country code> ...)")
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise PhoneError(raw, f"unknown default region {region!r}")
    try:
        num = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise PhoneError(raw, _parse_reason(exc)) from None
    # A number is valid exactly when it belongs to a region and has a known type.
    where = phonenumbers.region_code_for_number(num) or ""
    kind = phonenumbers.number_type(num) if where else PhoneNumberType.UNKNOWN
    if kind == PhoneNumberType.UNKNOWN:
        raise PhoneError(raw, _invalid_reason(num, where, names))
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, region=where, zones=_zones(num, e164, kind),
                 mobile=kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE))


def from_wa_id(wa_id: str, region_names: dict[str, str] | None = None) -> tuple[Phone, bool]:
    """A WhatsApp id (``wa_id``: digits with the country code) as the customer's number: (phone, verified).

    WhatsApp ids are not always E.164: Mexican ones keep the old mobile ``1`` after 52
    (5215512345678 is +525512345678), and Brazilian mobiles registered before the ninth digit
    lack it (559281723241 is +5592981723241). Those map to the canonical number. An id in a range
    phonenumbers does not know yet is still a WhatsApp account (new ranges reach WhatsApp before the
    library): it is kept as +digits, with ``verified`` False, never dropped.
    """
    digits = _strip(wa_id or "").lstrip("+")
    if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits[0] == "0":
        raise PhoneError(wa_id, "not a WhatsApp id (8 to 15 digits with the country code)")
    candidates = [digits]
    if digits.startswith("521") and len(digits) == 13:
        candidates.append("52" + digits[3:])
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        candidates.append(digits[:4] + "9" + digits[4:])
    for candidate in candidates:
        try:
            return normalize("+" + candidate, "", region_names), True
        except PhoneError:
            continue
    _enable_cache()
    code = next((int(digits[:n]) for n in (1, 2, 3)
                 if phonenumbers.region_code_for_country_code(int(digits[:n])) != "ZZ"), None)
    if code is None:
        raise PhoneError(wa_id, "no country has this code")
    region = phonenumbers.region_code_for_country_code(code)
    region = "" if region == "001" else region
    # The country's zones, as for a number of it that phonenumbers knows.
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE) if region else None
    zones = zones_for(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)) if example else ()
    return Phone(e164="+" + digits, region=region, zones=zones), False


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
    """Candidate IANA time zones for a valid E.164 number, most specific first.

    phonenumbers decides a number's zones from at most its first 9 digits
    (``TIMEZONE_LONGEST_PREFIX``) and its type, which follows its prefix too;
    so the answer is kept per 9-digit prefix (the generator asks for 100k
    numbers that share ~22k prefixes). ``normalize`` has the type at hand and
    needs no cache.
    """
    key = e164[:10]
    zones = _PREFIX_ZONES.get(key)
    if zones is None:
        _enable_cache()
        num = phonenumbers.parse(e164, None)
        zones = _PREFIX_ZONES[key] = _zones(num, e164, phonenumbers.number_type(num))
    return zones


def _zones(num: phonenumbers.PhoneNumber, e164: str, kind: int) -> tuple[str, ...]:
    """What ``timezone.time_zones_for_number`` answers, given the type already known.

    Geographical numbers are looked up by their longest known prefix (a few
    dict lookups); the others get their country's zones, cached per code.
    """
    from phonenumbers import timezone

    if kind == PhoneNumberType.UNKNOWN:
        return ()
    if phonenumbers.is_number_type_geographical(kind, num.country_code):
        zones = timezone.time_zones_for_geographical_number(num)
    else:
        zones = _COUNTRY_ZONES.get(num.country_code)
        if zones is None:
            zones = _COUNTRY_ZONES[num.country_code] = tuple(timezone.time_zones_for_number(num))
    return tuple(RENAMED.get(z, z) for z in zones if z != timezone.UNKNOWN_TIMEZONE)


# The tz database's old spellings that phonenumbers still answers, as the database spells them now: a rep
# reads "Kolkata", not "Calcutta", in the clocks and the panel (both names load; links between two places,
# like Bratislava to Prague, are not renames and stay).
RENAMED = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon",
    "America/Godthab": "America/Nuuk", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "Atlantic/Faeroe": "Atlantic/Faroe", "Africa/Asmera": "Africa/Asmara", "Pacific/Enderbury": "Pacific/Kanton",
    "Pacific/Ponape": "Pacific/Pohnpei", "Pacific/Truk": "Pacific/Chuuk",
}

_COUNTRY_ZONES: dict[int, tuple[str, ...]] = {}
_PREFIX_ZONES: dict[str, tuple[str, ...]] = {}


def national_digits(e164: str) -> str:
    """A valid E.164 number's digits after its country code ("" if it does not parse)."""
    _enable_cache()
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except NumberParseException:
        return ""


def home_zone(zones: Sequence[str], region: str, main: Mapping[str, str]) -> str:
    """The zone a customer gets from their number: its only candidate; of several (a mobile anywhere in
    Russia, an island of the +1 plan), the country's main zone (config ``[zones]``) when it is one of them,
    else the first; UTC when the number tells none. The rep sets the right one by hand (tz=)."""
    if not zones:
        return "UTC"
    if len(zones) > 1 and main.get(region) in zones:
        return main[region]
    return zones[0]


def display(e164: str) -> str:
    """The international format a rep reads aloud: +55 11 98765-4321."""
    _enable_cache()
    num = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
