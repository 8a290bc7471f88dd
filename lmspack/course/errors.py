"""Author-facing errors: every problem names the file, the line and the field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str
    column: int = 0
    hint: str = ""  # what to do about it, in plain English (may span lines)
    # The offending source line, shown under the message with a caret at `column`.
    source: str = field(default="", compare=False)
    # A file that does not parse is the cause of everything else: it is listed first.
    syntax: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class CourseError(Exception):
    """Raised with every problem found, so an author fixes them in one pass."""

    def __init__(self, problems: list[Problem], course_dir: Path | None = None):
        self.problems = sorted(set(problems), key=lambda p: (not p.syntax, p))
        # The folder the files are named from, so a command can print them as the author
        # opens them (lmspack.course.report); None where no folder was read.
        self.course_dir = course_dir
        super().__init__("\n".join(str(p) for p in self.problems))


class Problems:
    """Collects problems while loading; `raise_if_any` ends the load."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(
        self,
        file: str,
        line: int,
        field: str,
        message: str,
        *,
        column: int = 0,
        hint: str = "",
        source: str = "",
        syntax: bool = False,
    ) -> None:
        self.items.append(Problem(file, line, field, message, column, hint, source, syntax))

    def raise_if_any(self, course_dir: Path | None = None) -> None:
        if self.items:
            raise CourseError(self.items, course_dir)
