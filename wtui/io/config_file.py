"""Writing keys into a TOML config file (the team's, for spend break-points): a text edit that keeps
the file's comments and order, checked by loading the result before it replaces the file."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path

from wtui.errors import BadInput


def set_keys(path: Path, section: str, values: dict[str, float]) -> None:
    """Set ``section.key = value`` for each value: replace the key's line in the section, else add it
    under the section's header, else append the section. The new text must load as TOML and keep every
    other value, or nothing is written."""
    text = path.read_text("utf-8") if path.exists() else ""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        lines += (["", f"[{section}]"] if lines else [f"[{section}]"]) + [f"{k} = {v!r}" for k, v in values.items()]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
        for key, value in values.items():
            pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
            at = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
            if at is None:
                lines.insert(start + 1, f"{key} = {value!r}")
                end += 1
            else:
                lines[at] = f"{key} = {value!r}"
    new = "\n".join(lines) + "\n"
    try:
        before, after = tomllib.loads(text), tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML ({exc}); the file was not changed") from None
    expected = dict(before)
    expected[section] = {**before.get(section, {}), **values}
    if after != expected:
        raise BadInput(f"{path}: the edit would change more than [{section}] {', '.join(values)}; the file was not "
                       "changed (edit it by hand)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
