"""Playbook §6, §10: any typed number to E.164, or a specific reason why not."""

from __future__ import annotations

import pytest

from wtui.core import phone
from wtui.core.phone import display, normalize
from wtui.errors import PhoneError

VALID = {
    "AE": ("+971 50 123 4567", "+971501234567", "Asia/Dubai"),
    "IN": ("+91 81234 56789", "+918123456789", "Asia/Kolkata"),
    "BR": ("+55 11 96123-4567", "+5511961234567", "America/Sao_Paulo"),
    "TW": ("+886 912 345 678", "+886912345678", "Asia/Taipei"),
    "SA": ("+966 51 234 5678", "+966512345678", "Asia/Riyadh"),
    "MX": ("+52 222 123 4567", "+522221234567", "America/Mexico_City"),
    "DE": ("+49 151 23456789", "+4915123456789", "Europe/Berlin"),
    "US": ("+1 (201) 555-0123", "+12015550123", "America/New_York"),
    "HK": ("+852 5123 4567", "+85251234567", "Asia/Hong_Kong"),
    "IT": ("+39 312 345 6789", "+393123456789", "Europe/Rome"),
    "RU": ("+7 912 345-67-89", "+79123456789", "Asia/Yekaterinburg"),
    "CN": ("+86 131 2345 6789", "+8613123456789", "Asia/Shanghai"),
}


@pytest.mark.parametrize("region", sorted(VALID))
def test_each_playbook_region_normalises_to_e164(region):
    typed, e164, zone = VALID[region]
    p = normalize(typed)
    assert (p.e164, p.region) == (e164, region)
    assert zone in p.zones


@pytest.mark.parametrize("typed", [
    "0049 151 23456789", "+49-151-234-567-89", "\u200e+49 151 23456789\u200f", " +4915123456789 "])
def test_international_prefixes_and_invisible_marks_are_accepted(typed):
    assert normalize(typed).e164 == "+4915123456789"


def test_a_local_number_uses_the_default_region():
    assert normalize("(11) 96123-4567", "BR").e164 == "+5511961234567"


INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    ("call me", "no digits"),
    ("96123-4567", "no country code and no default region"),
    ("+55 11 9876", "too short for Brazil"),
    ("+49 1", "too short"),
    ("+1 201 555 01234567", "too long for USA"),
    ("+999 1234 5678", "country calling code"),
    ("+0 123 456", "country calling code"),
    ("+44 7400 12345678901", "too long"),
    ("+1 123 555 0123", "not a valid number for USA"),
    ("+55 00 9612 34567", "not a valid number for Brazil"),
    ("+971 12 345 678", "not a valid number for UAE"),
    ("+86 000 0000 0000", "not a valid number for China"),
    ("+7 000 123 45 67", "not a valid number for Russia"),
    ("12345", "no country code"),
    ("+", "no digits"),
    ("+55 (11) abcd-efgh", "contains letters"),
    ("+1 800 FLOWERS", "contains letters"),
]


@pytest.mark.parametrize("typed, reason", INVALID)
def test_invalid_numbers_are_rejected_with_a_reason(cfg, typed, reason):
    names = {k: r.name for k, r in cfg.regions.items()}
    with pytest.raises(PhoneError) as err:
        normalize(typed, "", names)
    assert reason in err.value.reason


def test_an_unknown_default_region_is_named():
    with pytest.raises(PhoneError, match="unknown default region 'XX'"):
        normalize("96123-4567", "XX")


def test_display_groups_digits_for_reading_aloud():
    assert display("+5511961234567") == "+55 11 96123-4567"


def _reference(typed: str, region: str | None):
    """The plain phonenumbers answer: parse, check, format, zones."""
    import phonenumbers
    from phonenumbers import timezone

    num = phonenumbers.parse(typed, region)
    if not phonenumbers.is_valid_number(num):
        return None
    renamed = phone.RENAMED  # the old spellings phonenumbers answers, as the tz database spells them now
    zones = tuple(renamed.get(z, z) for z in timezone.time_zones_for_number(num) if z != timezone.UNKNOWN_TIMEZONE)
    return (phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.region_code_for_number(num), zones)


def _samples():
    """Example numbers of every type in every region, and near misses of each."""
    import phonenumbers

    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(11):
            ex = phonenumbers.example_number_for_type(region, kind)
            if ex is None:
                continue
            e164 = phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.E164)
            out += [e164, e164[:-1], e164 + "7", e164[:-2] + "00", e164[:4] + "0" + e164[4:]]
    return out


def test_normalize_answers_what_phonenumbers_answers_for_every_region_and_type():
    # normalize takes shortcuts for speed (one classification, zones from the type);
    # here it must agree with the straightforward use of phonenumbers on thousands of numbers.
    samples = _samples()
    assert len(samples) > 5000
    for typed in samples:
        try:
            want = _reference(typed, None)
        except Exception:
            want = None
        try:
            p = normalize(typed)
            got = (p.e164, p.region, p.zones)
        except PhoneError:
            got = None
        assert got == want, typed


@pytest.mark.parametrize("number, zone", [
    ("+79161234567", "Europe/Moscow"),  # a Russian mobile: 16 candidates, Asia/Almaty first (2 h off Moscow)
    ("+61412345678", "Australia/Sydney"),  # an Australian mobile: Adelaide first
    ("+34612345678", "Europe/Madrid"),  # a Spanish mobile: Atlantic/Canary first
    ("+351912345678", "Europe/Lisbon"),  # a Portuguese mobile: Atlantic/Azores first
    ("+12684641234", "America/Antigua"),  # a +1 island's mobile: every zone of the plan, America/Adak first
    ("+4915123456789", "Europe/Berlin"),  # one candidate: kept
    ("+73832123456", "Asia/Novosibirsk"),  # a number that tells its zone (Novosibirsk's area code) keeps it
    ("+919876543210", "Asia/Kolkata"),  # phonenumbers says Asia/Calcutta, the name the tz database retired
])
def test_a_number_that_does_not_tell_its_zone_gets_its_countrys_main_one(cfg, number, zone):
    from wtui.core.phone import home_zone, normalize

    p = normalize(number, "", {})
    assert home_zone(p.zones, p.region, cfg.zones) == zone


def test_every_zone_a_number_can_get_loads(cfg):
    from zoneinfo import ZoneInfo

    from phonenumbers.tzdata import TIMEZONE_DATA

    for zone in {phone.RENAMED.get(z, z) for zones in TIMEZONE_DATA.values() for z in zones} - {"Etc/Unknown"}:
        ZoneInfo(zone)
    for zone in cfg.zones.values():
        ZoneInfo(zone)


def test_a_number_with_no_zone_gets_utc_and_an_unknown_country_the_first(cfg):
    from wtui.core.phone import home_zone

    assert home_zone((), "RU", cfg.zones) == "UTC"
    assert home_zone(("A/One", "B/Two"), "XX", cfg.zones) == "A/One"
