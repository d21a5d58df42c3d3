"""Fuzzing what reads files and payloads from outside: the CSV reader, the chat parser, the webhook
parser. A clear error (a WtuiError) or success, never another exception. Bounded (``fuzz`` marker,
200 examples each), so CI runs them on every push."""

from __future__ import annotations

import io
import json
import zipfile
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wtui.errors import WtuiError

pytestmark = pytest.mark.fuzz
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------------------
# CSV

CELLS = st.one_of(st.text(max_size=12), st.sampled_from(["phone", "Phone", "tags", "name", "+5511961234567", '"',
                                                         '""', "\r", "\n", ";", "\t", "\x00", "\ufeff", "x" * 70_000]))
CSV_TEXT = st.one_of(
    st.lists(st.lists(CELLS, max_size=5), max_size=6).map(
        lambda rows: "\n".join(",".join(r) for r in rows)),
    st.text(max_size=200),
)


@FUZZ
@given(CSV_TEXT, st.dictionaries(st.sampled_from(["phone", "tags", "name", "bogus"]), st.text(max_size=8), max_size=2))
def test_any_csv_text_is_read_or_refused_clearly(text, mapping):
    from wtui.core.config import load
    from wtui.io.csv_import import map_columns
    from wtui.io.table import parse_table

    try:
        table = parse_table("f.csv", text, "utf-8", 64 * 1024)
        map_columns(table.header, mapping, load().imports.columns)
    except WtuiError:
        pass


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_are_decoded_or_refused_clearly(tmp_path, raw):
    from wtui.io.table import read_table

    (tmp_path / "f.csv").write_bytes(raw)
    try:
        read_table(tmp_path / "f.csv", 64 * 1024, 1 << 20)
    except WtuiError:
        pass


# ---------------------------------------------------------------------------
# chat exports

STAMPS = st.sampled_from(["31/12/2025, 21:41 - ", "[12/31/25, 9:41:05 PM] ", "2025-12-31 21:41 - ",
                          "99/99/99, 99:99 - ", "0/0/0, 0:00 - ", "31.12.25, 21.41 - ", "1/13/2025, 12:00 AM - ",
                          "29/02/2023, 10:00 - "])
LINES = st.one_of(st.tuples(STAMPS, st.text(max_size=8), st.sampled_from([": ", ":", " "]), st.text(max_size=20)).map(
    "".join), st.text(max_size=30))


@FUZZ
@given(st.lists(LINES, max_size=12).map("\n".join))
def test_any_chat_text_is_parsed_or_refused_clearly(text):
    from wtui.io.chat import parse_chat

    try:
        parse_chat(text, ZoneInfo("America/Sao_Paulo"))
    except WtuiError:
        pass


@FUZZ
@given(st.binary(max_size=400), st.booleans(), st.integers(0, 399))
def test_any_file_given_as_a_chat_export_is_read_or_refused_clearly(tmp_path, raw, as_zip, flip):
    from wtui.core import config
    from wtui.io.chat import read_chat_text

    path = tmp_path / "chat.zip"
    if as_zip:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("WhatsApp Chat.txt", raw)
        data = bytearray(buf.getvalue())
        data[flip % len(data)] ^= 0x55  # one damaged byte, anywhere: header, stream, CRC or directory
        raw = bytes(data)
    path.write_bytes(raw)
    try:
        read_chat_text(path, config.shipped().limits)
    except WtuiError:
        pass


# ---------------------------------------------------------------------------
# webhook payloads: the documented shape, with any value anywhere


ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                   max_leaves=8)


def field(good):
    return st.one_of(st.just(good), ANY)


MESSAGE = st.fixed_dictionaries({}, optional={
    "from": field("5511961234567"), "id": field("wamid.1"), "timestamp": field("1795000000"),
    "type": field("text"), "text": field({"body": "how much?"})})
STATUS = st.fixed_dictionaries({}, optional={
    "id": field("wamid.1"), "recipient_id": field("5511961234567"), "status": field("read"),
    "timestamp": field("1795000000")})
VALUE = st.fixed_dictionaries({}, optional={
    "messages": st.one_of(st.lists(st.one_of(MESSAGE, ANY), max_size=2), ANY),
    "statuses": st.one_of(st.lists(st.one_of(STATUS, ANY), max_size=2), ANY),
    "contacts": st.one_of(st.lists(st.one_of(st.fixed_dictionaries(
        {"wa_id": field("5511961234567"), "profile": field({"name": "Maria"})}), ANY), max_size=2), ANY)})
PAYLOAD = st.one_of(
    st.fixed_dictionaries({"entry": st.one_of(st.lists(st.one_of(st.fixed_dictionaries({"changes": st.one_of(
        st.lists(st.one_of(st.fixed_dictionaries({"value": st.one_of(VALUE, ANY)}), ANY), max_size=2), ANY)}), ANY),
        max_size=2), ANY)}),
    ANY,
)


@FUZZ
@given(PAYLOAD)
def test_any_payload_is_parsed_or_refused_clearly(data):
    from wtui.io.webhook import parse

    try:
        raw = json.dumps(data).encode()
    except ValueError:  # pragma: no cover - json.dumps takes every value the strategy makes
        return
    try:
        parse(raw)
    except WtuiError:
        pass


@FUZZ
@given(st.binary(max_size=200) | st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n))
def test_any_bytes_as_a_payload_are_parsed_or_refused_clearly(raw):
    from wtui.io.webhook import parse

    try:
        parse(raw)
    except WtuiError:
        pass
