"""One exception family, with messages written for a rep.

The CLI prints ``str(error)`` and exits with ``error.exit_code``: 2 for bad
input (the rep can fix it), 1 for a fault of ours. A traceback on bad input is
a bug.
"""


class WtuiError(Exception):
    """Base of every error wtui raises on purpose."""

    exit_code = 2


class BadInput(WtuiError):
    """Something typed, imported or configured cannot be used as it is."""


class ConfigError(BadInput):
    """A config file is malformed or out of range: names the file and key."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {reason}")


class PhoneError(BadInput):
    """A phone number that cannot be normalised to E.164, with the reason."""

    def __init__(self, raw: str, reason: str) -> None:
        self.raw, self.reason = raw, reason
        super().__init__(f"{raw!r}: {reason}")


class PreferenceError(BadInput):
    """A preference note that does not parse, naming the part that fails."""


class BookError(WtuiError):
    """The book file cannot be used (newer schema, not a wtui book, locked)."""


class ReadOnlyBook(BookError):
    """A write to a book this rep may only read (the file or its directory is not theirs to write)."""

    def __init__(self, path: object) -> None:
        self.path = path
        super().__init__(f"the book is read-only for you: {path}")


class BookBusy(BookError):
    """Another process held the book past the busy timeout (a long import or bulk action): try again."""


class NotFound(BadInput):
    """A customer or tag that the book does not hold."""


class PermissionDenied(BadInput):
    """An action reserved to admins (creating tags, editing rules)."""
