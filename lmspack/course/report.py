"""Problems as the author sees them: lines for the terminal, or one JSON document for tools.

Files are named as the author would open them (`course_src/quiz.yaml`), the offending line
of a syntax error is shown with a caret under the column, and the hint follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import Problem
from .yamlerrors import UNPRINTABLE


def problem_path(problem: Problem, course_dir: Path) -> str:
    """The problem's file as a path from where the command was run."""
    if Path(problem.file).is_absolute():
        return problem.file
    return str(course_dir / problem.file)


def problem_lines(problem: Problem, course_dir: Path) -> list[str]:
    """One problem: `file:line:col: field: message`, then the source line and caret, then hint."""
    where = problem_path(problem, course_dir)
    if problem.line:
        where += f":{problem.line}"
        if problem.column:
            where += f":{problem.column}"
    field = f" {problem.field}:" if problem.field else ""
    lines = [f"{where}:{field} {problem.message}"]
    if problem.source and problem.line:
        number = str(problem.line)
        lines.append(f"  {number} | {_visible(problem.source)}")
        if problem.column:
            lines.append(f"  {' ' * len(number)} | {' ' * (problem.column - 1)}^")
    hint = problem.hint.splitlines()
    if hint:
        lines.append(f"  hint: {hint[0]}")
        lines.extend(f"        {h}" for h in hint[1:])
    return lines


def _visible(line: str) -> str:
    """The line with tabs and control characters shown, one column each (so the caret fits)."""
    return UNPRINTABLE.sub("\N{REPLACEMENT CHARACTER}", line.replace("\t", "→"))


def problems_text(problems: list[Problem], course_dir: Path) -> list[str]:
    """The whole report: a count line, then each problem indented under it."""
    n = len(problems)
    lines = [f"{course_dir}: {n} problem{'s' if n != 1 else ''} found"]
    for problem in problems:
        lines.extend(f"  {line}" for line in problem_lines(problem, course_dir))
    return lines


def problem_dict(p: Problem, course_dir: Path) -> dict[str, Any]:
    """One problem for tools and the preview's panel; unknown line/column/field/hint are null."""
    return {
        "file": problem_path(p, course_dir),
        "line": p.line or None,
        "column": p.column or None,
        "field": p.field or None,
        "message": p.message,
        "hint": p.hint or None,
    }


def problems_json(problems: list[Problem], course_dir: Path) -> dict[str, Any]:
    """`{"ok": false, "problems": [...]}`, as `lmspack check --json` prints it."""
    return {"ok": False, "problems": [problem_dict(p, course_dir) for p in problems]}
