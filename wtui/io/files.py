"""Files from outside, read and written so that a bad path or a huge input ends in a clear message.

``read_capped`` never reads more than its limit plus one byte, whatever the
file claims to be (``/dev/zero``, a pipe, a file still growing), and says which
limit was hit. ``check_target`` refuses, before anything is written to the
book, a path that cannot take the report or export meant for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from wtui.errors import BadInput

_CHUNK = 1 << 20


def size_text(n: float) -> str:
    """1536 -> '1.5 KB', 3 * 2**20 -> '3 MB' (binary units, as the limits are set)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def read_stream(fh: BinaryIO, limit: int, what: str, setting: str) -> bytes:
    """At most ``limit`` bytes of ``fh``; one byte more is refused (``setting`` names the limit in config)."""
    parts, total = [], 0
    while True:
        chunk = fh.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise BadInput(f"{what} is larger than {size_text(limit)}, the limit ({setting}): refused unread")


def read_capped(path: str | Path, limit: int, setting: str) -> bytes:
    """The file's bytes, refused early when it is (or turns out to be) larger than ``limit``."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size > limit:
                raise BadInput(f"{p} is {size_text(st.st_size)}, more than {size_text(limit)}, the limit ({setting})")
            return read_stream(fh, limit, str(p), setting)
    except IsADirectoryError:
        raise BadInput(f"{p} is a directory, not a file") from None
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror})") from None


def check_target(path: str | Path, what: str, *, access: bool = True, replace: bool = True) -> Path:
    """A path a file can be written to: not a folder, in a folder that exists and (``access``) that this
    process may write to; not a file already there unless ``replace``. Checked before a command changes
    the book, so a bad path leaves it as it was."""
    p = Path(path)
    if str(path) == "-":
        raise BadInput(f"{what} -: give a file name (the command's report goes to standard output)")
    if not replace and (p.exists() or p.is_symlink()) and not p.is_dir():
        raise BadInput(f"{what} {p} exists: --replace writes over it")
    if p.is_dir():
        raise BadInput(f"{what} {p} is a directory: give a file name, e.g. {p / 'out.csv'}")
    folder = p.parent
    if not folder.is_dir():
        raise BadInput(f"{what} {p}: no directory {folder}")
    if access and (not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK))):
        raise BadInput(f"{what} {p}: not writable for you")
    return p


def open_for_writing(path: str | Path, what: str, **kw):
    """``open(path, "w", ...)`` whose failure is a clear BadInput naming ``what``."""
    p = check_target(path, what, access=False)  # the open itself says whether it may
    try:
        return open(p, "w", **kw)  # noqa: SIM115 - the caller closes it (with ...)
    except OSError as exc:
        raise BadInput(f"{what} {p}: cannot write ({exc.strerror})") from None
