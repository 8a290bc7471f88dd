"""Course -> Site: the rendered player, as an in-memory map of path -> bytes.

Every output (each SCORM package, the preview, the LTI tool) is made from a Site, so
they show the learner the same thing. Only the tracking adapter differs, and in `lti`
mode the answer key and feedback are left out: the tool's server keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .course.model import Course
from .theming import STATIC_DIR, check_site, default_theme, loader, static_files, template_error
from .theming import theme_for as theme_for

ADAPTERS = ("scorm12", "scorm2004", "local", "lti")
__all__ = ["STATIC_DIR", "Site", "default_theme", "environment", "render_site", "theme_for"]


@dataclass(frozen=True)
class Site(Mapping[str, bytes]):
    """path -> bytes, in a fixed order so packages come out byte-identical."""

    files: tuple[tuple[str, bytes], ...]

    def __getitem__(self, path: str) -> bytes:
        for p, data in self.files:
            if p == path:
                return data
        raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        return (p for p, _ in self.files)

    def __len__(self) -> int:
        return len(self.files)


def environment(theme: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader(theme),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


@lru_cache(maxsize=8)
def _site_environment(theme: str) -> jinja2.Environment:
    """One environment per theme for the process, so building several packages compiles
    each template once (a third of a build's time). FileSystemLoader checks each template's
    mtime when it is asked for, so `lmspack preview` still sees edits."""
    return environment(Path(theme))


# Certificate rules that only the tool can check: a package has no server to record
# attendance at the live session or to hold the evaluation asked after it.
TOOL_ONLY_RULES = ("attendance", "session-evaluation")


def certificate_rules(course: Course, adapter: str) -> list[str]:
    """The rules the player checks: all of them under the tool (lti), else those a package
    can check on its own (the certificate then covers the pre-work)."""
    rules = list(course.certificate_rules)
    return rules if adapter == "lti" else [r for r in rules if r not in TOOL_ONLY_RULES]


def player_data(course: Course, adapter: str, *, api_base: str = "") -> dict[str, Any]:
    """What the player's JavaScript needs. In `lti` mode: no answer key, no feedback."""
    with_key = adapter != "lti"
    questions = []
    for q in course.quiz.questions:
        item: dict[str, Any] = {
            "id": q.id,
            "outcome": q.outcome,
            "type": q.type,
            "options": [o.id for o in q.options],
            "shuffle": q.shuffle,
        }
        if with_key:
            item["correct"] = list(q.correct_ids)
            item["feedback"] = {
                "correct": q.feedback_correct,
                "incorrect": q.feedback_incorrect,
                "options": {o.id: o.feedback for o in q.options if o.feedback},
            }
        questions.append(item)
    return {
        "adapter": adapter,
        "apiBase": api_base,
        "course": {
            "id": course.id,
            "title": course.title,
            "version": course.version,
            "language": course.language,
            "provider": course.provider,
            "facilitators": list(course.facilitators),
            "passMark": course.pass_mark,
            "cpd": {
                "preworkMinutes": course.cpd.prework_minutes,
                "liveSessionMinutes": course.cpd.live_session_minutes,
                "liveSessionMode": course.cpd.live_session_mode,
            },
            "certificateRules": certificate_rules(course, adapter),
        },
        "outcomes": [{"id": o.id, "text": o.text} for o in course.outcomes],
        "nav": [
            {"kind": n.kind, "id": n.id, "title": n.title, "minutes": n.minutes} for n in course.nav
        ],
        "questions": questions,
        "retake": course.quiz.retake,
        # when the key may be shown (the tool decides in lti mode; the player in a package)
        "review": {
            "reveal": course.quiz.review.reveal,
            "attempts": course.quiz.review.attempts,
            "shuffle": course.quiz.review.shuffle,
        },
        "reflections": [
            {"id": r.id, "page": r.page, "heading": r.heading} for r in course.reflections
        ],
        "evaluation": [
            {"id": e.id, "type": e.type, "required": e.required}
            for e in course.evaluation.questions
        ],
    }


def script_json(data: Any) -> str:
    """JSON safe to place inside <script type="application/json">."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_site(
    course: Course, adapter: str, *, theme: Path | None = None, api_base: str = ""
) -> Site:
    if adapter not in ADAPTERS:
        raise ValueError(f"unknown adapter {adapter!r}")
    theme = theme or default_theme()
    env = _site_environment(str(theme))
    data = player_data(course, adapter, api_base=api_base)
    try:
        html = env.get_template("index.html.j2").render(
            course=course,
            adapter=adapter,
            with_answer_key=adapter != "lti",
            tool_only_rules=[r for r in course.certificate_rules if r in TOOL_ONLY_RULES],
            player_json=script_json(data),
        )
    except jinja2.TemplateError as exc:
        raise template_error(theme, exc) from exc
    files: dict[str, bytes] = {"index.html": html.encode("utf-8")}
    # An adapter kept in its own script (static/<adapter>.js) ships only with that adapter.
    others = frozenset(f"{name}.js" for name in ADAPTERS if name != adapter)
    files.update(static_files(theme, others))
    files.update(course.media)
    check_site(theme, files)
    return Site(tuple(sorted(files.items())))
