"""Reading a spreadsheet export: any of the encodings and delimiters reps' files come in.

UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"), a code
page named by the rep (``--encoding cp1252``: Outlook and Excel save "CSV" in
the computer's own), comma, semicolon or tab. Every record keeps the line it
starts on, so a report can say "line 14". A record that is not UTF-8 in a
UTF-8 file, or has a cell beyond the size limit, is kept with its problem so
the import reports it instead of stopping; a file with no UTF-8 in it at all
is refused once, saying how to read it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from wtui.errors import BadInput
from wtui.io.files import read_capped, size_text

csv.field_size_limit(1 << 30)  # a 10 MB cell is read, then rejected with a reason, not a crash
DELIMITERS = ",;\t"


@dataclass(slots=True)  # one per row of the file
class Record:
    line: int
    cells: list[str]
    problem: str = ""  # set when the row cannot be used as it is


@dataclass
class Table:
    path: str
    encoding: str
    delimiter: str
    header: list[str]
    records: list[Record] = field(default_factory=list)


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _decode(raw: bytes, encoding: str = "") -> tuple[str, str]:
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise BadInput(f"--encoding {encoding}: not an encoding Python knows (like cp1252, cp1251, latin-1)") \
                from None
        if not name.startswith("utf") and _NON_ASCII.search(raw) and _is_utf8(raw):
            raise BadInput(f"--encoding {encoding}: the file is UTF-8 (read as {name} its accents would be "
                           "garbled, José as JosÃ©): leave --encoding out")
        try:
            return raw.decode(name), name
        except UnicodeDecodeError as exc:
            raise BadInput(f"not {name} text at byte {exc.start:,}: is that its encoding?") from None
        except LookupError:  # base64, rot13...: codecs, not text encodings
            raise BadInput(f"--encoding {encoding}: not a text encoding (like cp1252, cp1251, latin-1)") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="surrogateescape"), "utf-8 (BOM)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise BadInput(f"not valid UTF-16 at byte {exc.start}") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if _mostly_not_utf8(raw):
            line = raw.count(b"\n", 0, exc.start) + 1
            raise BadInput(f"not UTF-8 text (line {line} first): Outlook and Excel save CSV in the computer's own "
                           "code page. Save it as 'CSV UTF-8', or name its encoding: --encoding cp1252 (Western "
                           "Europe and the Americas), cp1251 (Cyrillic), cp1256 (Arabic), cp1250 (Central "
                           "Europe)") from None
    return raw.decode("utf-8", errors="surrogateescape"), "utf-8"  # a UTF-8 file with a bad row: said per row


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_not_utf8(raw: bytes) -> bool:
    """Are most lines holding more than ASCII not UTF-8? Then the file is in a code page (a pair of its
    letters may look like UTF-8: cp1251's "Ві" is the bytes of "³"), not a UTF-8 file with a bad row."""
    lines = [line for line in raw.split(b"\n") if _NON_ASCII.search(line)]
    return sum(not _is_utf8(line) for line in lines) * 2 > len(lines)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: str | Path, max_cell_bytes: int, max_bytes: int, encoding: str = "") -> Table:
    text, encoding = read_text(path, max_bytes, encoding)
    return parse_table(path, text, encoding, max_cell_bytes)


def read_text(path: str | Path, max_bytes: int, encoding: str = "") -> tuple[str, str]:
    """The file's text and the encoding it was in (``encoding`` when given, else found: UTF-8 or UTF-16);
    a file over ``max_bytes`` is refused unread."""
    p = Path(path)
    raw = read_capped(p, max_bytes, "limits.import_file_mb")
    try:
        text, encoding = _decode(raw, encoding)
    except BadInput as exc:
        raise BadInput(f"{p}: {exc}") from None
    if not text.strip():
        raise BadInput(f"{p}: the file is empty")
    return text, encoding


def parse_table(path: str | Path, text: str, encoding: str, max_cell_bytes: int) -> Table:
    p = Path(path)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise BadInput(f"{p}: line 1: {exc}") from None
    except StopIteration:
        raise BadInput(f"{p}: the file is empty") from None
    table = Table(str(p), encoding, delimiter, [h.strip() for h in header])
    if header and max(map(len, header)) * 4 > max_cell_bytes:
        size = max(len(h.encode("utf-8", "surrogateescape")) for h in header)
        if size > max_cell_bytes:
            raise BadInput(f"{p}: line 1: a header cell of {size_text(size)} (the limit is "
                           f"{size_text(max_cell_bytes)}, limits.csv_cell_kb): is this a CSV file?")
    # Checked once for the whole file, so the common clean file costs nothing per row.
    suspect = _has_surrogates(text)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            table.records.append(Record(start, [], f"unreadable row ({exc})"))
            continue
        if not "".join(cells).strip():
            continue  # blank lines are not rows
        problem = ""
        if suspect and any(_has_surrogates(c) for c in cells):
            problem = "not UTF-8 text (save the file as UTF-8)"
            cells = [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in cells]
        elif max(map(len, cells)) * 4 > max_cell_bytes:  # a character is at most 4 bytes: encode only then
            size = max(len(c.encode("utf-8")) for c in cells)
            if size > max_cell_bytes:
                problem = f"a cell of {size / 1e6:.1f} MB (the limit is {max_cell_bytes // 1024} KB)"
        table.records.append(Record(start, cells, problem))
    return table


def _has_surrogates(s: str) -> bool:
    """Bytes that were not UTF-8 arrive as lone surrogates (surrogateescape); encoding finds them in C."""
    if s.isascii():
        return False
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
