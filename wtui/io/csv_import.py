"""Importing customers from a CSV or TXT file (playbook §10).

Three steps, so that nothing is half-applied and every rejection has a reason:

1. ``io.table`` reads the file (any encoding and delimiter reps' files use);
2. ``check`` validates every row against the book without writing: the
   number (to E.164, with the specific reason when it cannot be; a long
   file's numbers on every core, see ``io.numbers``), the tags (unknown ones
   are errors unless an admin asked to create them), duplicates in the file
   (the first occurrence wins), consent values;
3. ``apply`` writes the good rows in batches of ``imports.batch_rows``, one
   transaction each. By default a file with any rejected row writes nothing;
   ``partial`` keeps the good rows. Re-importing a file writes nothing new.
"""

from __future__ import annotations

import csv
import gc
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from wtui.errors import BadInput, PhoneError
from wtui.io.files import open_for_writing
from wtui.io.numbers import Normalizer, workers_for
from wtui.io.table import Table, parse_table, read_text

FIELDS = ("phone", "tags", "name", "notes", "source", "owner", "consent", "first_name", "last_name")
MORE_NUMBERS = ":::"  # Google Contacts joins a contact's numbers in one cell with " ::: "
_YES = {"yes", "y", "true", "1", "sim", "sí", "si", "да", "是", "نعم", "x"}
_NO = {"no", "n", "false", "0", "não", "nao", "нет", "否", "لا", ""}
PROGRESS_ROWS = 5000  # how often checking reports how far it got
Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(slots=True)  # one per good row
class Row:
    line: int
    phone: str  # E.164
    region: str
    tz: str
    tags: tuple[str, ...]
    name: str
    notes: str
    source: str
    owner: str
    consent: bool | None


@dataclass
class Failure:
    line: int
    reason: str
    cells: list[str]


@dataclass
class Checked:
    table: Table
    columns: dict[str, list[int]]
    good: list[Row] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    new_tags: set[str] = field(default_factory=set)  # unknown tags an admin asked to create

    @property
    def read(self) -> int:
        return len(self.good) + len(self.failed)


@dataclass
class Report:
    read: int
    new: int
    updated: int
    skipped: int  # already in the book exactly as the file says
    failed: list[Failure]
    applied: bool
    warn_share: float
    dry_run: bool = False

    @property
    def failure_rate(self) -> float:
        return len(self.failed) / self.read if self.read else 0.0

    def counts(self) -> str:
        return f"new {self.new:,}, updated {self.updated:,}, skipped {self.skipped:,}"

    def as_json(self) -> dict:
        return {"read": self.read, "new": self.new, "updated": self.updated, "skipped": self.skipped,
                "failed": [{"line": f.line, "reason": f.reason} for f in self.failed], "applied": self.applied,
                "dry_run": self.dry_run}

    def lines(self) -> list[str]:
        out = [f"rows read {self.read:,}, {self.counts()}, failed {len(self.failed):,} ({self.failure_rate:.1%})"]
        if self.failure_rate > self.warn_share:
            out.append(f"WARNING: {self.failure_rate:.0%} of the rows failed (more than {self.warn_share:.0%}): "
                       "check the file before importing it")
        for f in self.failed[:50]:
            out.append(f"  line {f.line}: {f.reason}")
        if len(self.failed) > 50:
            out.append(f"  … {len(self.failed) - 50} more (write them all with --errors FILE.csv)")
        if not self.applied:
            if self.dry_run:
                out.append("nothing was written (dry run)")
            elif not self.read:
                out.append("nothing was written: the file has a header and no rows")
            elif self.failed and self.new + self.updated + self.skipped:
                out.append("nothing was written: fix the rows above, or pass --partial to keep the good ones")
            else:
                out.append("nothing was written: no row could be imported")
        return out


def header_key(text: str) -> str:
    """A header as compared with the synonyms: case, accents, BOM, "_", "-", "." and runs of spaces folded."""
    text = unicodedata.normalize("NFKD", text.lstrip("\ufeff")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_.\-]+", " ", text).split())


def map_columns(header: list[str], mapping: dict[str, str], synonyms: dict[str, list[str]],
                fields: tuple[str, ...] = FIELDS, need_phone: bool = True) -> dict[str, list[int]]:
    """Which columns hold each ``fields``, best first; ``mapping`` (field -> header) wins over the
    synonyms, whose order says which of several columns is read first (a mobile before another phone)."""
    keys = [header_key(h) for h in header]
    seen: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k and k in seen and header[i].strip().lower() == header[seen[k]].strip().lower():
            raise BadInput(f"the header names column {header[i].strip()!r} twice (columns {seen[k] + 1} and {i + 1}): "
                           "rename one, so it is clear which one to read")
        seen.setdefault(k, i)
    columns: dict[str, list[int]] = {}
    taken: set[int] = set()
    for fld, head in mapping.items():
        if fld not in fields:
            raise BadInput(f"--map {fld}=...: unknown field (fields: {', '.join(fields)})")
        if header_key(head) not in keys:
            raise BadInput(f"--map {fld}={head}: no column {head!r} (columns: {', '.join(header)})")
        columns[fld] = [keys.index(header_key(head))]
        taken.add(columns[fld][0])
    for fld in fields:
        if fld in columns:
            continue
        found = [i for word in synonyms.get(fld, ()) for i, k in enumerate(keys)
                 if k == header_key(word) and i not in taken]
        found = list(dict.fromkeys(found))
        if found:
            columns[fld] = found if fld == "phone" else found[:1]
            taken.update(columns[fld])
    if need_phone and "phone" not in columns:
        raise BadInput(f"no phone column (columns: {', '.join(header) or 'none'}); name it with --map phone=COLUMN")
    return columns


def cell_text(cells: list[str], i: int | None) -> str:
    if i is None or i >= len(cells):
        return ""
    value = cells[i].strip()
    # A leading apostrophe is how spreadsheets (and wtui export) mark text: not part of the value.
    return value[1:] if value[:1] == "'" else value


def normalizer(book, default_region: str, rows: int) -> Normalizer:
    cfg = book.cfg
    return Normalizer(default_region or cfg.book.default_region, {k: r.name for k, r in cfg.regions.items()},
                      workers_for(rows, cfg.imports.workers, cfg.imports.parallel_rows))


def check(book, table: Table, *, mapping: dict[str, str] | None = None, default_region: str = "",
          create_tags: bool = False, numbers: Normalizer | None = None, progress: Progress | None = None) -> Checked:
    """Validate every row; nothing is written. ``numbers`` may bring workers already started."""
    if numbers is None:
        with normalizer(book, default_region, len(table.records)) as own:
            return check(book, table, mapping=mapping, create_tags=create_tags, numbers=own, progress=progress)
    columns = map_columns(table.header, mapping or {}, book.cfg.imports.columns)
    known = {name.lower(): name for name in book.tag_names(archived=True)}
    limit = book.cfg.tags.max_length
    if create_tags:
        book.require_admin("create tags (--create-tags)")
    from wtui.core.phone import home_zone  # phonenumbers: only once a file is checked

    zones = book.cfg.zones
    out = Checked(table, columns)
    first_line: dict[str, int] = {}
    # A file repeats a few tag combinations over and over: each distinct cell is read once.
    tag_cells: dict[str, tuple[tuple[str, ...], str]] = {}
    i_tags, i_name, i_notes, i_source, i_owner, i_consent, i_first, i_last = (
        (columns.get(f) or [None])[0] for f in FIELDS[1:])
    readable = [rec for rec in table.records if not rec.problem]
    out.failed += [Failure(rec.line, rec.problem, rec.cells) for rec in table.records if rec.problem]
    # Every number a row holds (several phone columns, several numbers in a cell), checked in one go.
    held = [_numbers(rec.cells, columns["phone"]) for rec in readable]
    checked = iter(numbers.normalize([raw for raws in held for raw in raws]))
    for n, (rec, raws) in enumerate(zip(readable, held, strict=True), 1):
        if progress and n % PROGRESS_ROWS == 0:
            progress(n, len(readable))
        cells = rec.cells
        p, others = _pick([next(checked) for _ in raws])
        if isinstance(p, PhoneError):
            out.failed.append(Failure(rec.line, f"{p.raw!r}: {p.reason}" if p.raw else "no phone number", cells))
            continue
        if p.e164 in first_line:
            out.failed.append(Failure(rec.line, f"duplicate of line {first_line[p.e164]} ({p.e164})", cells))
            continue
        tag_cell = cell_text(cells, i_tags)
        parsed = tag_cells.get(tag_cell)
        if parsed is None:
            parsed = tag_cells[tag_cell] = _tags(tag_cell, known, limit, create_tags, out.new_tags)
        tags, problem = parsed
        consent = None
        if i_consent is not None and not problem:
            consent_text = cell_text(cells, i_consent).lower()
            consent = True if consent_text in _YES else False if consent_text in _NO else None
            if consent is None:
                problem = f"consent {consent_text!r}: write yes or no"
        if problem:
            out.failed.append(Failure(rec.line, problem, cells))
            continue
        first_line[p.e164] = rec.line
        name = cell_text(cells, i_name) or " ".join(
            x for x in (cell_text(cells, i_first), cell_text(cells, i_last)) if x)
        notes = cell_text(cells, i_notes)
        if others:
            notes = (notes + "\n" if notes else "") + "other numbers: " + ", ".join(others)
        out.good.append(Row(rec.line, p.e164, p.region, home_zone(p.zones, p.region, zones), tags,
                            name, notes, cell_text(cells, i_source), cell_text(cells, i_owner), consent))
    out.failed.sort(key=lambda f: f.line)
    if progress and len(readable) % PROGRESS_ROWS:  # the end, unless the loop just said so
        progress(len(readable), len(readable))
    return out


def _numbers(cells: list[str], columns: list[int]) -> list[str]:
    """The numbers a row holds, in the columns' order; at least one (maybe empty) to check."""
    raws = [part.strip() for i in columns for part in cell_text(cells, i).split(MORE_NUMBERS) if part.strip()]
    return list(dict.fromkeys(raws)) or [""]


def _pick(results: list) -> tuple:
    """The number to keep (the first mobile, else the first valid; else the first one's error) and the
    other valid ones, kept in the notes."""
    valid = [r for r in results if not isinstance(r, PhoneError)]
    if not valid:
        return results[0], []
    best = next((r for r in valid if r.mobile), valid[0])
    return best, list(dict.fromkeys(r.e164 for r in valid if r.e164 != best.e164))


def _tags(cell: str, known: dict[str, str], limit: int, create_tags: bool,
          new_tags: set[str]) -> tuple[tuple[str, ...], str]:
    """A tags cell as the book's tag names, or the problem with it.

    ``known`` maps lower-cased names to the book's spelling; with ``create_tags``
    a well-formed unknown tag is added to it and to ``new_tags``.
    """
    tags = []
    for raw_tag in cell.replace(";", ",").split(","):
        t = raw_tag.strip()
        if not t:
            continue
        if t.lower() in known:
            tags.append(known[t.lower()])
        elif create_tags and 0 < len(t) <= limit and t.isprintable() and " " not in t:
            new_tags.add(t)
            known[t.lower()] = t
            tags.append(t)
        elif create_tags:
            return (), f"tag {t!r} breaks the naming rules (1-{limit} characters, no spaces)"
        else:
            return (), f"unknown tag {t!r} (only admins create tags: --create-tags)"
    return tuple(dict.fromkeys(tags)), ""


def will_rehearse(checked: Checked, *, partial: bool = False, dry_run: bool = False) -> bool:
    """True when ``apply`` will only count (a dry run, or rejected rows without ``partial``)."""
    return dry_run or bool(checked.failed and not partial) or not checked.good


def apply(book, checked: Checked, *, partial: bool = False, dry_run: bool = False, replace_tags: bool = False,
          progress: Progress | None = None) -> Report:
    """Write the good rows in batches (or nothing: see the module doc).

    When nothing is to be written the same batches are rehearsed, each rolled
    back, for the counts: a dry run cannot differ from the run, and like the
    run it holds the book's write lock one batch at a time, not for the whole
    file (other reps' writes wait at most ``db.BUSY_TIMEOUT_MS``).
    """
    rehearse = will_rehearse(checked, partial=partial, dry_run=dry_run)
    new = updated = skipped = 0
    size = book.cfg.imports.batch_rows
    with gc_paused():
        for start in range(0, len(checked.good), size):
            n, u, s = book.import_rows(checked.good[start:start + size], replace_tags=replace_tags,
                                       new_tags=checked.new_tags, reason=f"import {Path(checked.table.path).name}",
                                       dry_run=rehearse)
            new, updated, skipped = new + n, updated + u, skipped + s
            if progress:
                progress(min(start + size, len(checked.good)), len(checked.good))
    return Report(checked.read, new, updated, skipped, checked.failed, not rehearse,
                  book.cfg.imports.warn_failure_share, dry_run)


def write_errors(checked: Checked, path: str | Path, failed: list[Failure]) -> None:
    """The rejected rows as they were, plus an ``error`` column: fix them and import this file."""
    with open_for_writing(path, "--errors", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(checked.table.header + ["error"])
        for f in failed:
            cells = f.cells + [""] * (len(checked.table.header) - len(f.cells))
            w.writerow(cells[: len(checked.table.header)] + [f"line {f.line}: {f.reason}"])


@contextmanager
def gc_paused() -> Iterator[None]:
    """An import allocates a few objects per cell and frees almost none until it ends: the
    cyclic collector would walk that growing heap over and over for nothing (~10% of the time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_and_check(book, path: str | Path, *, mapping: dict[str, str] | None = None, default_region: str = "",
                   create_tags: bool = False, progress: Progress | None = None, encoding: str = "") -> Checked:
    """Read and check a file (in ``encoding`` when given, else UTF-8 or UTF-16); nothing is written. A long
    file's number workers start while it is parsed."""
    with gc_paused():
        limits = book.cfg.limits
        text, encoding = read_text(path, int(limits.import_file_mb * (1 << 20)), encoding)
        with normalizer(book, default_region, text.count("\n")) as numbers:
            from wtui.io import vcard  # imports this module's MORE_NUMBERS

            cap = int(limits.csv_cell_kb * 1024)
            table = vcard.parse(str(path), text, cap) if vcard.is_vcard(str(path), text) else \
                parse_table(path, text, encoding, cap)
            return check(book, table, mapping=mapping, create_tags=create_tags, numbers=numbers, progress=progress)


def import_file(book, path: str | Path, *, checking: Progress | None = None, **kw) -> tuple[Checked, Report]:
    """Read, check and apply a file; ``checking`` and ``progress`` follow the two steps."""
    apply_kw = {k: kw.pop(k) for k in ("partial", "dry_run", "replace_tags", "progress") if k in kw}
    checked = read_and_check(book, path, progress=checking, **kw)
    return checked, apply(book, checked, **apply_kw)
