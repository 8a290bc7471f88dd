"""Reading the course folder's files, each failure as a problem with the file's name: missing,
a folder where a file belongs, a link to nowhere or to outside the course (a symlink in
media/ to /etc/passwd would ship it in every package), unreadable, or not UTF-8 text.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import Problems

# Control characters, and what a file name holds that is not UTF-8 (surrogate escapes):
# neither can go into a manifest or a zip name.
_BAD_NAME = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symlink followed, is within the course folder."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def usable(root: Path, rel: str, problems: Problems, *, missing: str = "file not found") -> bool:
    """Whether `root/rel` is a regular file of the course; if not, say why."""
    path = root / rel
    if path.is_symlink() and not path.exists():
        problems.add(rel, 0, "", "is a link to a file that does not exist")
    elif path.is_dir():
        problems.add(rel, 0, "", "is a folder: a file is needed here")
    elif not path.exists():
        if missing:
            problems.add(rel, 0, "", missing)
    elif not path.is_file():
        problems.add(rel, 0, "", "is not a regular file")
    elif not inside(root, path):
        problems.add(rel, 0, "", "is a link to a file outside the course folder: copy the file in")
    else:
        return True
    return False


def read_bytes(root: Path, rel: str, problems: Problems) -> bytes | None:
    try:
        return (root / rel).read_bytes()
    except OSError as exc:
        problems.add(rel, 0, "", f"cannot be read ({exc.strerror or exc})")
        return None


def read_text(root: Path, rel: str, problems: Problems) -> str | None:
    """The file's text (a BOM dropped), or None with the problem reported."""
    data = read_bytes(root, rel, problems)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(
            rel,
            line,
            "",
            f"not UTF-8 text ({exc.reason}): save the file as UTF-8",
            column=exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1,
        )
        return None


def bad_name(name: str) -> str:
    """Why a file name cannot go into a package, or ""."""
    bad = _BAD_NAME.search(name)
    if bad is None:
        return ""
    if "\ud800" <= bad.group() <= "\udfff":
        return "its name is not UTF-8: rename it"
    return f"its name holds an invisible control character (U+{ord(bad.group()):04X}): rename it"
