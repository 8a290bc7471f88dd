"""Reading pages/: file names to page ids, front matter and the Markdown body."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .fields import Fields
from .files import bad_name, read_text, usable
from .markdown import word_count
from .model import Page
from .shapes import FRONT_MATTER
from .yamlerrors import report_syntax_error
from .yamlsrc import load_yaml

PAGE_FILE_RE = re.compile(r"^(?:\d+[-_])?(?P<id>[a-z0-9][a-z0-9-]*)\.md$")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
FRONT_MATTER_OPEN_RE = re.compile(r"\A---[ \t]*\r?\n")
RESERVED_NAV = ("quiz", "evaluation")
# The player uses these ids for its own steps (#page-results, #page-certificate).
RESERVED_PAGE_IDS = (*RESERVED_NAV, "results", "certificate")


class PagesLoader:
    """The pages part of the course loader (mixed into load._Loader, whose state it uses)."""

    def _page_files(self) -> dict[str, str]:
        pages_dir = self.root / "pages"
        result: dict[str, str] = {}
        if not pages_dir.is_dir():
            self.problems.add("pages/", 0, "", "folder not found: a course needs at least one page")
            return result
        seen: dict[str, str] = {}
        for path in sorted(pages_dir.glob("*.md")):
            m = PAGE_FILE_RE.match(path.name)
            rel = f"pages/{path.name}"
            why = bad_name(path.name)
            if why:
                self.problems.add(rel.encode("utf-8", "replace").decode(), 0, "", why)
                continue
            if not m:
                self.problems.add(
                    rel,
                    0,
                    "",
                    "page file names are NN-page-id.md (lowercase letters, digits, hyphens)",
                )
                continue
            pid = m.group("id")
            if pid in RESERVED_PAGE_IDS:
                self.problems.add(
                    rel,
                    0,
                    "",
                    f"page id {pid!r} is reserved for the player's own {pid} page: rename the file",
                )
                continue
            if pid in seen:
                self.problems.add(rel, 0, "", f"duplicate page id {pid!r} (also {seen[pid]})")
                continue
            seen[pid] = rel
            result[path.name] = pid
        if pages_dir.is_dir() and not result and not self.problems.items:
            self.problems.add("pages/", 0, "", "no pages: add a file like 01-welcome.md")
        return result

    def _pages(self) -> list[Page]:
        return [p for p in (self._page(name, pid) for name, pid in self.page_files.items()) if p]

    def _page(self, name: str, pid: str) -> Page | None:
        rel = f"pages/{name}"
        # A folder or a link to nowhere named like a page is kept as a page that could not be
        # read, so nav and reflections naming it are not reported as well.
        text = None
        if usable(self.root, rel, self.problems):
            text = read_text(self.root, rel, self.problems)
        if text is None:
            return None
        m = FRONT_MATTER_RE.match(text)
        if not m and FRONT_MATTER_OPEN_RE.match(text):
            self.problems.add(
                rel,
                1,
                "",
                "front matter is opened with --- but never closed: add a line with just --- "
                "after its last field (minutes:, or outcomes:)",
            )
            return None
        if not m:
            self.problems.add(
                rel,
                1,
                "",
                "missing front matter: start the file with ---, title:, minutes:, then ---",
            )
            return None
        try:
            meta = load_yaml(m.group(1))
        except yaml.YAMLError as exc:
            report_syntax_error(self.problems, rel, exc, m.group(1), line_offset=1)
            return None
        if meta is None:
            self.problems.add(rel, 1, "front matter", "is empty: it needs title: and minutes:")
            return None
        _shift_lines(meta, 1)
        f = Fields(meta, rel, self.problems, "", 1, FRONT_MATTER)
        title = f.get("title", "")
        minutes = f.get("minutes", 0)
        outcomes = self._outcome_refs(f, "outcomes")
        f.done()
        body = text[m.end() :]
        body_offset = text[: m.end()].count("\n")
        if not body.strip():
            self.problems.add(rel, body_offset + 1, "body", "page has no text")
        html = self._md(body, rel, body_offset, "body", page_id=pid)
        return Page(pid, title, minutes or 0, tuple(outcomes), html, rel, word_count(body))

    def _outcome_refs(self, f: Fields, key: str) -> list[str]:
        refs = f.get(key, [])
        for ref in refs:
            if self.outcome_ids is not None and ref not in self.outcome_ids:
                f.error(
                    key,
                    f"unknown outcome {ref!r} (outcomes: {', '.join(sorted(self.outcome_ids))})",
                )
        return [str(r) for r in refs]


def _shift_lines(value: Any, by: int) -> None:
    """Front matter starts after the opening `---`: shift its lines to file lines."""
    if hasattr(value, "line"):
        value.line += by
    if hasattr(value, "key_lines"):
        for k in value.key_lines:
            value.key_lines[k] += by
            value.value_lines[k] += by
        for v in value.values():
            _shift_lines(v, by)
    if hasattr(value, "item_lines"):
        value.item_lines = [n + by for n in value.item_lines]
        for v in value:
            _shift_lines(v, by)
