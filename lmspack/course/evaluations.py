"""evaluation.yaml in either form: one evaluation (today's form, asked after the pre-work),
or `evaluations:`, a list of them, each with `when: after-prework | after-session`. The
after-session one is asked by the tool once the learner's attendance is recorded, and may
ask for the learner's peer reflection from the session (`reflection:`).

A mixin of the course loader: each evaluation is read by the loader's `_evaluation`, so
both forms check questions the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import Problems
from .fields import Fields
from .model import Evaluation, LiveSession
from .shapes import EVALUATION, EVALUATION_ITEM, EVALUATIONS
from .yamlsrc import LineList

FILE = "evaluation.yaml"


class EvaluationsLoader:
    """Needs the loader's `_yaml`, `_evaluation(f, file)` and `problems`."""

    problems: Problems
    _yaml: Callable[..., Any]
    _evaluation: Callable[[Fields, str], Evaluation]

    def _evaluations(self) -> tuple[Evaluation, Evaluation | None]:
        """(the after-prework evaluation, the after-session one or None)."""
        doc = self._yaml(FILE)
        if not (isinstance(doc, dict) and "evaluations" in doc):
            f = Fields(doc, FILE, self.problems, shape=EVALUATION)
            return self._evaluation(f, FILE), None
        top = Fields(doc, FILE, self.problems, shape=EVALUATIONS)
        items = top.get("evaluations", [])
        top.done()
        if top.ok and isinstance(items, list) and not items:
            top.error("evaluations", "give at least one evaluation (when: after-prework)")
        found: dict[str, Evaluation] = {}
        for i, item in enumerate(items):
            line = items.item_lines[i] if isinstance(items, LineList) else top.line
            f = Fields(item, FILE, self.problems, f"evaluations[{i}]", line, EVALUATION_ITEM)
            when = f.get("when", "")
            reflection = f.get("reflection", "")
            ev = self._evaluation(f, FILE)
            if reflection and when == "after-prework":
                f.error("reflection", "only the after-session evaluation asks for a reflection")
            if when in found:
                f.error("when", f"a second {when} evaluation: give each `when` once")
            elif when:
                found[when] = Evaluation(
                    ev.title, ev.minutes, ev.intro_html, ev.questions, reflection
                )
        prework = found.get("after-prework")
        if prework is None:
            if top.ok and items:
                top.error(
                    "evaluations",
                    "no `when: after-prework` evaluation: the pre-work needs its own "
                    "(a short feedback form)",
                )
            prework = Evaluation("Evaluation", 0, "", ())
        return prework, found.get("after-session")


def check_session_rule(
    rules: tuple[str, ...], session: Evaluation | None, live: LiveSession | None, f: Fields
) -> None:
    """`certificate.require: [..., session-evaluation]` needs the evaluation it names and a
    live session to attend (the evaluation opens once attendance is recorded)."""
    if "session-evaluation" not in rules:
        return
    if session is None:
        f.error(
            "certificate",
            "require: session-evaluation needs a `when: after-session` evaluation in "
            "evaluation.yaml",
        )
    elif live is None:
        f.error("certificate", "require: session-evaluation needs a live_session")
