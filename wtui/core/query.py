"""The query language for segments, bulk actions and rules: text -> tree -> SQL.

    #Interest-Beauty AND #Stage-Purchased EXCLUDE #Product-Lipstick
    (last_inbound > 30d OR color = red) AND NOT tag:"Stage Won"
    spend >= 2000 AND purchases >= 3 AND owner = me
    message ~ "compar" AND first_contact within 7d

Grammar (keywords case-insensitive; AND binds tighter than OR):

    expr     := and ("OR" and)*
    and      := unary (("AND" | "EXCLUDE") unary)*        # A EXCLUDE B = A AND NOT B
    unary    := "NOT" unary | "(" expr ")" | tag | condition
    tag      := "#" name | "tag:" (name | "quoted")
    segment  := "@" name | "@" string   (a saved query, parsed in place)
    condition:= field op value | field "within" duration | field "~" "text"

Times: ``last_inbound > 30d`` is "more than 30 days ago, or never";
``last_read < 14d`` and ``within 14d`` are "in the last 14 days";
``last_read = never`` and ``last_read != never`` ask whether it ever happened.

Our own parser, never ``eval``; the compiler emits SQL from fixed fragments
with every value a parameter. ``evaluate`` is a plain-Python reading of the
same tree: the property test holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from wtui.core.config import ACTIVITY_LEVELS, HABITS, INTENTS
from wtui.core.text import contains, like_contains, visible, width
from wtui.errors import BadInput

# ---------------------------------------------------------------------------
# errors


_ECHO_CHARS = 120  # how much of a long query an error shows around the place


class QueryError(BadInput):
    """A query that does not parse or names something unknown; points at the place."""

    def __init__(self, text: str, pos: int, message: str, hint: str = "") -> None:
        self.text, self.pos, self.message, self.hint = text, pos, message, hint
        # The query is echoed as the terminal will show it: controls and bidi marks made visible (and the
        # caret placed under the same character), a long query cut around the place.
        start = max(0, pos - _ECHO_CHARS // 2)
        shown = visible(text[start:start + _ECHO_CHARS])
        before = ("…" if start else "") + visible(text[start:pos])
        shown = ("…" if start else "") + shown + ("…" if len(text) > start + _ECHO_CHARS else "")
        caret = " " * width(before) + "^"
        lines = [f"{message} (at {pos + 1})", f"  {shown}", f"  {caret}"]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------------------
# the tree


@dataclass(frozen=True)
class Tag:
    name: str
    pos: int = field(default=0, compare=False)  # where it was typed, for errors


@dataclass(frozen=True)
class Not:
    inner: "Node"


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Cond:
    field: str
    op: str  # = != < <= > >= within ~
    value: Any  # timedelta, float, str or bool
    pos: int = field(default=0, compare=False)


Node = Tag | Not | And | Or | Cond


class _Never:
    """The value of ``last_read = never``: the time was never set (a value of its own, not text)."""

    def __repr__(self) -> str:
        return "NEVER"


NEVER = _Never()


def format_query(node: Node) -> str:
    """The tree back to text (canonical spacing, every group parenthesised)."""
    if isinstance(node, Tag):
        return f"#{node.name}" if _BARE_TAG.fullmatch(node.name) else f'tag:"{_quote(node.name)}"'
    if isinstance(node, Not):
        return f"NOT {format_query(node.inner)}"
    if isinstance(node, (And, Or)):
        word = "AND" if isinstance(node, And) else "OR"
        return f"({format_query(node.left)} {word} {format_query(node.right)})"
    value = node.value
    if value is NEVER:
        text = "never"
    elif isinstance(value, timedelta):
        text = _format_duration(value)
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = f'"{_quote(value)}"'
    return f"{node.field} {node.op} {text}"


def _quote(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _format_duration(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    for unit, size in (("w", 10080), ("d", 1440), ("h", 60)):
        if minutes % size == 0 and minutes >= size:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


# ---------------------------------------------------------------------------
# fields


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # time, number, enum, text, bool, message
    column: str  # SQL expression on customers c (a fixed string, never user text)
    values: tuple[str, ...] = ()  # closed set for enums; () = open


TIME_OPS = (">", ">=", "<", "<=", "within", "=", "!=")  # = and != take only never
NUMBER_OPS = ("=", "!=", ">", ">=", "<", "<=")
ENUM_OPS = ("=", "!=")
TEXT_OPS = ("=", "!=", "~")


def fields(colors: Sequence[str], interests: Iterable[str], rfm_segments: Iterable[str]) -> dict[str, Field]:
    """The fields a query may name; closed value sets come from config."""
    spec = [
        Field("last_inbound", "time", "c.last_inbound"),
        Field("last_outbound", "time", "c.last_outbound"),
        Field("last_read", "time", "c.last_read"),
        Field("last_interaction", "time", "c.last_interaction"),
        Field("last_purchase", "time", "c.last_purchase"),
        Field("first_contact", "time", "c.first_contact"),
        Field("spend", "number", "c.purchase_total"),
        Field("purchases", "number", "c.purchase_count"),
        Field("red_streak", "number", "c.red_streak"),
        Field("color", "enum", "c.color", tuple(colors)),
        Field("intent", "enum", "c.intent", INTENTS),
        Field("interest", "enum", "c.interest", tuple(interests)),
        Field("activity", "enum", "c.activity", ACTIVITY_LEVELS),
        Field("lifecycle", "enum", "c.lifecycle",
              ("lead", "new", "growth-high", "growth-low", "pre-churn", "repeat", "frequent")),
        Field("tier", "enum", "c.spend_tier", ("low", "medium", "high", "vip")),
        Field("habit", "enum", "c.habit", HABITS),
        Field("rfm", "enum", "c.rfm", tuple(rfm_segments) + ("other",)),
        Field("region", "enum", "c.region"),
        Field("language", "enum", "c.language"),
        Field("source", "enum", "c.source"),
        Field("owner", "enum", "c.owner"),
        Field("consent", "bool", "c.consent"),
        Field("name", "text", "c.name"),
        Field("phone", "text", "c.phone"),
        Field("message", "message", ""),
    ]
    return {f.name: f for f in spec}


def fields_for(cfg) -> dict[str, Field]:
    return fields(cfg.colors.order, cfg.keywords.interest.keys(), (s[0] for s in cfg.rfm.segments))


# ---------------------------------------------------------------------------
# lexing


@dataclass(frozen=True)
class Token:
    kind: str  # ( ) AND OR NOT EXCLUDE TAG OP WITHIN WORD STRING END
    text: str
    pos: int
    value: Any = None


_BARE_TAG = re.compile(r"[^\s()\"#:]+")
_WORD = re.compile(r"[^\s()\"#=!<>~]+")
_OPS = ("!=", ">=", "<=", "=", ">", "<", "~")
_KEYWORDS = {"and": "AND", "or": "OR", "not": "NOT", "exclude": "EXCLUDE", "within": "WITHIN"}


def _string(text: str, i: int) -> tuple[str, int]:
    """A double-quoted string starting at text[i] == '"'; returns (value, index after)."""
    out, j = [], i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if ch == '"':
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise QueryError(text, i, "this quote is never closed", 'close it with "')


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(Token(ch, ch, i))
            i += 1
        elif ch == "#":
            m = _BARE_TAG.match(text, i + 1)
            if not m:
                raise QueryError(text, i, "a tag name must follow #",
                                 'write #Interest-Beauty, or tag:"Name with spaces"')
            out.append(Token("TAG", text[i:m.end()], i, m.group()))
            i = m.end()
        elif ch == "@":
            if text[i + 1:i + 2] == '"':  # @"to contact": a name with spaces, as segment lists show them
                value, end = _string(text, i + 1)
                if not value:
                    raise QueryError(text, i, "an empty segment name", "write @hot (wtui segment list)")
                out.append(Token("SEGMENT", text[i:end], i, value))
                i = end
                continue
            m = _BARE_TAG.match(text, i + 1)
            if not m:
                raise QueryError(text, i, "a segment name must follow @", 'write @hot, or @"to contact" (wtui '
                                 "segment list)")
            out.append(Token("SEGMENT", text[i:m.end()], i, m.group()))
            i = m.end()
        elif text[i:i + 4].lower() == "tag:":
            j = i + 4
            if j < len(text) and text[j] == '"':
                value, end = _string(text, j)
            else:
                m = _BARE_TAG.match(text, j)
                if not m:
                    raise QueryError(text, j, "a tag name must follow tag:", 'write tag:"Stage Won"')
                value, end = m.group(), m.end()
            if not value:
                raise QueryError(text, i, "an empty tag name")
            out.append(Token("TAG", text[i:end], i, value))
            i = end
        elif ch == '"':
            value, end = _string(text, i)
            out.append(Token("STRING", text[i:end], i, value))
            i = end
        elif any(text.startswith(op, i) for op in _OPS):
            op = next(op for op in _OPS if text.startswith(op, i))
            out.append(Token("OP", op, i))
            i += len(op)
        else:
            m = _WORD.match(text, i)
            if not m:  # pragma: no cover - every other character starts a word
                raise QueryError(text, i, f"unexpected {ch!r}")
            word = m.group()
            out.append(Token(_KEYWORDS.get(word.lower(), "WORD"), word, i))
            i = m.end()
    out.append(Token("END", "", len(text)))
    return out


# ---------------------------------------------------------------------------
# parsing

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$", re.I)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Limits:
    """How big a query may be (config ``[limits]``): past these, refused with a clear message."""

    chars: int
    depth: int  # ( ) and NOT inside one another
    terms: int  # tags and conditions

    @classmethod
    def of(cls, cfg) -> "Limits":
        lim = cfg.limits
        return cls(lim.query_chars, lim.query_depth, lim.query_terms)


class _Parser:
    def __init__(self, text: str, known_tags: Iterable[str] | None, fields_: dict[str, Field],
                 limits: Limits, segments: dict[str, str] | None = None, using: tuple[str, ...] = ()) -> None:
        self.text = text
        self.limits = limits
        self.segments, self.using = segments, using  # saved queries @name may use; the ones being expanded
        if len(text) > limits.chars:
            raise QueryError(text, limits.chars, f"a query of {len(text):,} characters: the limit is "
                             f"{limits.chars:,} (limits.query_chars)", "save parts of it as segments")
        self.toks = tokens(text)
        self.i = 0
        self.depth = 0
        self.terms = 0
        self.known = {t.lower(): t for t in known_tags} if known_tags is not None else None
        self.fields = fields_

    def peek(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: Token, message: str, hint: str = "") -> QueryError:
        return QueryError(self.text, tok.pos, message, hint)

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise self.fail(self.peek(), "an empty query", "try #Interest-Beauty or color = red")
        node = self.expr()
        tok = self.peek()
        if tok.kind != "END":
            hint = "join conditions with AND or OR" if tok.kind in ("TAG", "WORD", "(", "NOT") else ""
            raise self.fail(tok, f"unexpected {tok.text!r}", hint)
        return node

    def expr(self) -> Node:
        node = self.and_()
        while self.peek().kind == "OR":
            self.take()
            node = Or(node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.peek().kind in ("AND", "EXCLUDE"):
            word = self.take().kind
            right = self.unary()
            node = And(node, Not(right) if word == "EXCLUDE" else right)
        return node

    def deeper(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > self.limits.depth:
            raise self.fail(tok, f"groups and NOTs nested more than {self.limits.depth} deep (limits.query_depth)",
                            "write it flatter: NOT NOT x is x, and (a AND (b AND c)) is a AND b AND c")

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            self.deeper(tok)
            inner = self.unary()
            self.depth -= 1
            return Not(inner)
        if tok.kind == "(":
            self.take()
            self.deeper(tok)
            node = self.expr()
            self.depth -= 1
            close = self.peek()
            if close.kind != ")":
                raise self.fail(close, "this group is never closed", f"add ) to close the ( at {tok.pos + 1}")
            self.take()
            return node
        if tok.kind == "SEGMENT":
            self.take()
            return self.segment(tok)
        if tok.kind in ("TAG", "WORD"):
            self.terms += 1
            if self.terms > self.limits.terms:
                raise self.fail(tok, f"more than {self.limits.terms} tags and conditions in one query "
                                "(limits.query_terms)", "save parts of it as segments, or use fewer tags")
        if tok.kind == "TAG":
            self.take()
            return Tag(self.tag_name(tok), tok.pos)
        if tok.kind == "WORD":
            return self.condition()
        if tok.kind == "END":
            raise self.fail(tok, "the query ends too early", "something must follow here")
        raise self.fail(tok, f"unexpected {tok.text!r}", "expected a #tag, a condition, NOT or (")

    def segment(self, tok: Token) -> Node:
        """@name: the saved query of that name, parsed here (a segment may use others, never itself)."""
        name = tok.value
        saved = self.segments or {}
        if name not in saved:
            close = _close(name, list(saved))
            raise self.fail(tok, f"no segment @{name}", f"did you mean @{close[0]}?" if close else
                            "wtui segment list shows the saved ones")
        if name in self.using or len(self.using) >= self.limits.depth:
            raise self.fail(tok, f"segment @{name} uses itself" if name in self.using else
                            f"segments used inside segments more than {self.limits.depth} deep")
        try:
            inner = _Parser(saved[name], self.known.values() if self.known is not None else None, self.fields,
                            self.limits, saved, (*self.using, name))
            node = inner.parse()
        except QueryError as exc:
            raise self.fail(tok, f"segment @{name}: {exc.message}", exc.hint) from None
        self.terms += inner.terms
        if self.terms > self.limits.terms:
            raise self.fail(tok, f"more than {self.limits.terms} tags and conditions in one query "
                            "(limits.query_terms)", "use fewer segments in one query")
        return node

    def tag_name(self, tok: Token) -> str:
        name = tok.value
        if self.known is None:
            return name
        if name.lower() in self.known:
            return self.known[name.lower()]
        close = _close(name, list(self.known.values()))
        hint = f"did you mean #{close[0]}?" if close else "see the tag list (t in the app)"
        raise self.fail(tok, f"unknown tag #{name}", hint)

    def condition(self) -> Node:
        name_tok = self.take()
        fname = name_tok.text.lower()
        field = self.fields.get(fname)
        if field is None:
            hint = self._colon_hint(name_tok)
            if not hint:
                close = _close(fname, list(self.fields))
                hint = f"did you mean {close[0]}?" if close else f"fields: {', '.join(sorted(self.fields))}"
            raise self.fail(name_tok, f"unknown field {name_tok.text!r}", hint)
        op_tok = self.take()
        op = "within" if op_tok.kind == "WITHIN" else op_tok.text if op_tok.kind == "OP" else ""
        allowed = {"time": TIME_OPS, "number": NUMBER_OPS, "enum": ENUM_OPS, "bool": ENUM_OPS,
                   "text": TEXT_OPS, "message": ("~",)}[field.kind]
        if op not in allowed:
            raise self.fail(op_tok, f"{field.name} takes {' '.join(allowed)}", self._example(field))
        val_tok = self.take()
        return Cond(field.name, op, self.value(field, op, val_tok), name_tok.pos)

    def _colon_hint(self, tok: Token) -> str:
        """``name:Ethan`` (as other search boxes take it) gets the form this language takes, ``name ~ Ethan``:
        the field, the operator its kind reads most naturally with, and the value typed after the colon."""
        head, colon, rest = tok.text.partition(":")
        field = self.fields.get(head.lower()) if colon else None
        if field is None:
            return ""
        if not rest and self.peek().kind in ("WORD", "STRING"):
            rest = self.peek().text  # name: Ethan, name:"Ethan Wilson"
        return f"did you mean {_form(field, rest)}?"

    def value(self, field: Field, op: str, tok: Token) -> Any:
        if tok.kind not in ("WORD", "STRING"):
            raise self.fail(tok, f"{field.name} {op} needs a value", self._example(field))
        raw = tok.value if tok.kind == "STRING" else tok.text
        if field.kind == "time":
            if op in ("=", "!="):
                if raw.lower() != "never":
                    raise self.fail(tok, f"{field.name} {op} takes only never",
                                    f"{field.name} {op} never; for a time write {field.name} > 30d or "
                                    f"{field.name} within 7d")
                return NEVER
            if raw.lower() == "never":
                raise self.fail(tok, f"{field.name} {op} needs a duration",
                                f"for customers it never happened to, write {field.name} = never")
            m = _DURATION.match(raw)
            if not m:
                raise self.fail(tok, f"{raw!r} is not a duration", "write 30d, 12h, 2w or 45m")
            try:
                return timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1))})
            except OverflowError:
                raise self.fail(tok, f"{raw!r} is longer than any time wtui can count",
                                "a duration is at most a few thousand years, e.g. 3650d") from None
        if field.kind == "number":
            try:
                number = float(raw)
            except ValueError:
                raise self.fail(tok, f"{raw!r} is not a number", self._example(field)) from None
            if number != number or number in (float("inf"), float("-inf")):
                raise self.fail(tok, f"{raw!r} is not a number", self._example(field))
            return number
        if field.kind == "bool":
            if raw.lower() not in ("yes", "no", "true", "false"):
                raise self.fail(tok, f"{field.name} is yes or no")
            return raw.lower() in ("yes", "true")
        if field.kind == "enum":
            value = raw.upper() if field.name == "region" else raw if field.name == "owner" else raw.lower()
            if field.values and value not in field.values:
                close = _close(value, list(field.values))
                hint = f"did you mean {close[0]}?" if close else f"one of {', '.join(field.values)}"
                raise self.fail(tok, f"{raw!r} is not a {field.name}", hint)
            return value
        if not raw:
            raise self.fail(tok, "search for some text", 'message ~ "compar"')
        return raw  # text and message

    @staticmethod
    def _example(field: Field) -> str:
        more = f", {field.name} > 30d, {field.name} != never" if field.kind == "time" else ""
        return f"e.g. {_form(field)}{more}"


# Each kind of field: the operator it reads most naturally with and a value to show (None: the field's first
# value). One table for the examples a mistake gets and for what ``name:Ethan`` (as other search boxes take
# it) becomes.
_FORMS: dict[str, tuple[str, str | None]] = {
    "time": ("within", "7d"), "number": (">=", "2000"), "enum": ("=", None), "bool": ("=", "yes"),
    "text": ("~", '"text"'), "message": ("~", '"compar"')}


def _form(field: Field, value: str = "") -> str:
    """``field op value`` in the form its kind takes; with no value, an example one."""
    op, example = _FORMS[field.kind]
    if (field.kind == "time" and value.lower() == "never") or (field.kind == "number" and value):
        op = "="  # last_read:never: it never happened (within takes a duration); purchases:3: just that
    return f"{field.name} {op} {value or example or (field.values[0] if field.values else 'value')}"


def _close(word: str, options: list[str]) -> list[str]:
    import difflib  # only on the error path

    return difflib.get_close_matches(word, options, n=1, cutoff=0.6)


def parse(text: str, fields_: dict[str, Field], known_tags: Iterable[str] | None = None,
          limits: Limits | None = None, segments: dict[str, str] | None = None, using: tuple[str, ...] = ()) -> Node:
    """Parse a query; QueryError names the position and gives a hint. ``limits``: the config's
    (``Limits.of(cfg)``); without them, the shipped defaults."""
    if limits is None:
        from wtui.core.config import shipped

        limits = Limits.of(shipped())
    return _Parser(text, known_tags, fields_, limits, segments, using).parse()


def tags_in(node: Node) -> set[str]:
    out: set[str] = set()
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, Tag):
            out.add(n.name)
        elif isinstance(n, Not):
            todo.append(n.inner)
        elif isinstance(n, (And, Or)):
            todo += (n.left, n.right)
    return out


# ---------------------------------------------------------------------------
# compiling to SQL. A query becomes a WHERE predicate on customers ``c``; to
# avoid scanning the whole book, the plan drives from the smallest positive tag
# of an AND (its (tag_id, present, customer_id) index range) and checks the rest
# per row, and splits an OR at the top into a UNION of such plans. Only a query
# with no positive tag to drive from scans every customer.

_TAG_ID = "(SELECT id FROM tags WHERE name = ? COLLATE NOCASE)"
_HAS_TAG = ("EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = c.id AND ct.tag_id = " + _TAG_ID +
            " AND ct.present = 1)")
_MESSAGE = ("EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.kind = 'in' "
            "AND i.retracted = 0 AND wtui_contains(i.text, ?))")
# For an ASCII needle, SQLite's LIKE (ASCII case-insensitive, in C) narrows first.
_MESSAGE_ASCII = ("EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.kind = 'in' "
                  "AND i.retracted = 0 AND i.text LIKE ? ESCAPE '\\' AND wtui_contains(i.text, ?))")


_UNION_MAX = 100  # an OR of more branches is one scan: SQLite takes at most 500 SELECTs in a UNION
_DRIVEN = ("SELECT c.id AS id FROM customer_tags d JOIN customers c ON c.id = d.customer_id "
           "WHERE d.tag_id = " + _TAG_ID + " AND d.present = 1")
_SCAN = "SELECT c.id AS id FROM customers c"


def _predicate(c: Cond, f: Field, now: datetime, me: str) -> tuple[str, list[Any]]:
    # Column and operator come from the fixed field table and operator lists above;
    # the user's values only ever travel as parameters. Every predicate is two-valued
    # (never NULL), so NOT means what a rep means by it on customers with empty fields.
    col = f.column
    if c.value is NEVER:
        return f"({col} IS {'' if c.op == '=' else 'NOT '}NULL)", []
    if f.kind == "time":
        cutoff = _cutoff(now, c.value).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
        if c.op in (">", ">="):  # longer ago than, or never
            return f"({col} IS NULL OR {col} {'<' if c.op == '>' else '<='} ?)", [cutoff]
        return f"({col} IS NOT NULL AND {col} {'>=' if c.op == '<=' else '>'} ?)", [cutoff]  # recently
    if f.kind == "message":
        if c.value.isascii():
            return _MESSAGE_ASCII, [like_contains(c.value), c.value]
        return _MESSAGE, [c.value]
    if c.op == "~":
        return f"wtui_contains({col}, ?)", [c.value]
    value: Any = c.value
    if f.kind == "bool":
        value = int(value)
    if f.name == "owner" and value == "me":
        value = me
    if c.op == "!=":
        return f"({col} IS NULL OR {col} != ?)", [value]
    return f"({col} IS NOT NULL AND {col} {c.op} ?)", [value]


def _cutoff(now: datetime, span: timedelta) -> datetime:
    """``now - span`` in UTC; a span reaching past year 1 gives year 1 (before anything that happened)."""
    try:
        return (now - span).astimezone(timezone.utc)
    except OverflowError:
        return datetime.min.replace(tzinfo=timezone.utc)


def predicate(node: Node, fields_: dict[str, Field], now: datetime, me: str = "") -> tuple[str, list[Any]]:
    """A boolean SQL expression over customers ``c`` and its parameters."""
    if isinstance(node, Tag):
        return _HAS_TAG, [node.name]
    if isinstance(node, Cond):
        return _predicate(node, fields_[node.field], now, me)
    if isinstance(node, Not):
        if isinstance(node.inner, Not):  # NOT NOT x is x: one level less for SQLite's parser
            return predicate(node.inner.inner, fields_, now, me)
        inner, params = predicate(node.inner, fields_, now, me)
        return f"NOT ({inner})", params
    # A chain of ANDs (or ORs) is one flat list, not a nest of parentheses: SQLite's parser
    # overflows its stack on ~40 nested ones.
    parts = conjuncts(node) if isinstance(node, And) else disjuncts(node)
    sqls, params = [], []
    for part in parts:
        sql, more = predicate(part, fields_, now, me)
        sqls.append(sql)
        params += more
    return "(" + f" {'AND' if isinstance(node, And) else 'OR'} ".join(sqls) + ")", params


def _chain(node: Node, kind: type) -> list[Node]:
    """The operands of a chain of ``kind`` (And or Or) in order, without recursing (a long chain is deep)."""
    out: list[Node] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, kind):
            todo += (n.right, n.left)
        else:
            out.append(n)
    return out


def conjuncts(node: Node) -> list[Node]:
    return _chain(node, And)


def disjuncts(node: Node) -> list[Node]:
    return _chain(node, Or)


def _all(nodes: list[Node]) -> Node | None:
    out: Node | None = None
    for n in nodes:
        out = n if out is None else And(out, n)
    return out


def to_sql(node: Node, fields_: dict[str, Field], now: datetime, me: str = "",
           tag_sizes: dict[str, int] | None = None) -> tuple[str, list[Any]]:
    """A SELECT of matching customer ids (column ``id``), and its parameters.

    ``tag_sizes`` (customers per tag, lower-cased names) picks the smallest tag
    to drive from; without it the first positive tag drives.
    """
    parts = conjuncts(node)
    tags = [p for p in parts if isinstance(p, Tag)]
    if tags:
        sizes = tag_sizes or {}
        driver = min(tags, key=lambda t: sizes.get(t.name.lower(), 0)) if sizes else tags[0]
        rest = _all([p for p in parts if p is not driver])
        sql, params = _DRIVEN, [driver.name]
        if rest is not None:
            pred, more = predicate(rest, fields_, now, me)
            sql, params = f"{sql} AND {pred}", params + more
        return sql, params
    split = next((p for p in parts if isinstance(p, Or)), None)
    if split is not None and len(disjuncts(split)) <= _UNION_MAX:
        rest = [p for p in parts if p is not split]
        pieces = [to_sql(_all([branch] + rest), fields_, now, me, tag_sizes) for branch in disjuncts(split)]
        return " UNION ".join(f"SELECT id FROM ({sql})" for sql, _ in pieces), [p for _, ps in pieces for p in ps]
    pred, params = predicate(node, fields_, now, me)
    return f"{_SCAN} WHERE {pred}", params


# ---------------------------------------------------------------------------
# the reference: the same tree read over plain dicts, for tests


def evaluate(node: Node, customer: dict[str, Any], now: datetime, me: str = "") -> bool:
    """Does ``customer`` match? ``customer`` holds the fields' columns by column name
    (``purchase_total``...), datetimes for times, ``tags`` (a set) and ``messages`` (inbound texts)."""
    if isinstance(node, Tag):
        return node.name.lower() in {t.lower() for t in customer["tags"]}
    if isinstance(node, Not):
        return not evaluate(node.inner, customer, now, me)
    if isinstance(node, And):
        return evaluate(node.left, customer, now, me) and evaluate(node.right, customer, now, me)
    if isinstance(node, Or):
        return evaluate(node.left, customer, now, me) or evaluate(node.right, customer, now, me)
    name = node.field
    if name == "message":
        return any(contains(m, node.value) for m in customer["messages"])
    column = {"spend": "purchase_total", "purchases": "purchase_count", "tier": "spend_tier"}.get(name, name)
    value = customer.get(column)
    if node.value is NEVER:
        return (value is None) == (node.op == "=")
    if isinstance(node.value, timedelta):
        cutoff = _cutoff(now, node.value)
        if node.op in (">", ">="):
            return value is None or (value < cutoff if node.op == ">" else value <= cutoff)
        return value is not None and (value >= cutoff if node.op == "<=" else value > cutoff)
    if node.op == "~":
        return contains(value, node.value)
    want = node.value
    if name == "owner" and want == "me":
        want = me
    if isinstance(want, bool):
        want = int(want)
    if node.op == "!=":
        return value is None or value != want
    if value is None:
        return False
    return {"=": value == want, ">": value > want, ">=": value >= want, "<": value < want, "<=": value <= want}[node.op]
