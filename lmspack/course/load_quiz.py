"""Reading quiz.yaml: questions, options, feedback, and each outcome's question count."""

from __future__ import annotations

from typing import Any

from .fields import Fields
from .model import Option, Outcome, Question, Quiz
from .quiz_review import read_question_shuffle, read_review
from .shapes import FEEDBACK, OPTION, QUESTION, QUIZ
from .yamlsrc import LineList

MIN_QUESTIONS_PER_OUTCOME = 2


class QuizLoader:
    """The quiz part of the course loader (mixed into load._Loader, whose state it uses)."""

    def _quiz(self) -> Quiz:
        file = "quiz.yaml"
        f = Fields(self._yaml(file), file, self.problems, shape=QUIZ)
        title = f.get("title", "Check your understanding")
        minutes = f.get("minutes", 0)
        intro = self._md(f.get("intro", ""), file, f.value_line("intro"), "intro")
        review, retake = read_review(f)
        raw = f.get("questions", [])
        f.done()
        if not isinstance(f.data.get("questions"), list):
            self.unread.add(file)  # no questions could be read: counting them would mislead
        questions: list[Question] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else f.line
            q = self._question(item, file, i, line)
            if q is None:
                self.unread.add(file)  # a question that is not a mapping: counts would be off
                continue
            if q.id in seen:
                self.problems.add(
                    file, line, f"questions[{i}].id", f"duplicate question id {q.id!r}"
                )
            seen.add(q.id)
            questions.append(q)
        return Quiz(title, minutes or 0, intro, tuple(questions), retake, review)

    def _question(self, item: Any, file: str, i: int, line: int) -> Question | None:
        q = Fields(item, file, self.problems, f"questions[{i}]", line, QUESTION)
        if not q.ok:
            return None
        qid = q.get("id", "")
        outcome = q.get("outcome", "")
        if outcome and self.outcome_ids is not None and outcome not in self.outcome_ids:
            q.error(
                "outcome",
                f"unknown outcome {outcome!r} (outcomes: {', '.join(sorted(self.outcome_ids))})",
            )
        qtype = q.get("type", "single")
        prompt = q.get("prompt", "")
        scenario = q.get("scenario", "")
        if qtype == "scenario" and not scenario:
            q.error("scenario", "a scenario question needs a `scenario:` text")
        elif scenario and qtype != "scenario":
            q.error("scenario", "only `type: scenario` questions have a scenario")
        fb = Fields(
            q.get("feedback", {}),
            file,
            self.problems,
            q.name("feedback"),
            q.line_of("feedback"),
            FEEDBACK,
        )
        fb_correct = fb.get("correct", "")
        fb_incorrect = fb.get("incorrect", "")
        fb.done()
        if qtype == "true-false":
            answer = q.req("answer", bool, True)  # QUESTION's `when`: required for true-false
            options = (
                Option("true", "True", answer is True),
                Option("false", "False", answer is False),
            )
            if "options" in q.data:
                q.error("options", "true-false questions take `answer: true|false`, not options")
        else:
            options = self._options(q, qtype)
        shuffle = read_question_shuffle(q, qtype)
        q.done()
        return Question(
            id=qid,
            outcome=outcome,
            type=qtype,
            prompt=self._md(prompt, file, q.value_line("prompt"), q.name("prompt"), inline=True),
            options=options,
            feedback_correct=self._md(
                fb_correct, file, fb.value_line("correct"), fb.name("correct"), inline=True
            ),
            feedback_incorrect=self._md(
                fb_incorrect, file, fb.value_line("incorrect"), fb.name("incorrect"), inline=True
            ),
            scenario_html=self._md(scenario, file, q.value_line("scenario"), q.name("scenario")),
            shuffle=shuffle,
        )

    def _options(self, q: Fields, qtype: str) -> tuple[Option, ...]:
        if "answer" in q.data:
            q.error("answer", "`answer:` is for true-false questions; mark options `correct: true`")
        raw = q.req("options", list, [])  # QUESTION's `when`: required but for true-false
        options: list[Option] = []
        seen: set[str] = set()
        for j, item in enumerate(raw):
            line = raw.item_lines[j] if isinstance(raw, LineList) else q.line
            o = Fields(item, q.file, self.problems, q.name(f"options[{j}]"), line, OPTION)
            oid = o.get("id", "")
            text = o.get("text", "")
            correct = o.get("correct", False)
            feedback = o.get("feedback", "")
            o.done()
            if oid in seen:
                o.error("id", f"duplicate option id {oid!r}")
            seen.add(oid)
            text_html = self._md(text, o.file, o.value_line("text"), o.name("text"), inline=True)
            feedback_html = self._md(
                feedback, o.file, o.value_line("feedback"), o.name("feedback"), inline=True
            )
            options.append(Option(oid, text_html, bool(correct), feedback_html))
        if isinstance(q.data.get("options"), list) and len(raw) < 2:
            q.error("options", "a question needs at least two options")
        n_correct = sum(o.correct for o in options)
        if raw and n_correct == 0:
            q.error("options", "no option is marked `correct: true`")
        elif qtype in ("single", "scenario") and n_correct > 1:
            q.error(
                "options",
                f"{n_correct} options are correct; a {qtype} question has one "
                "(use type: multiple for more)",
            )
        return tuple(options)

    def _check_coverage(self, outcomes: list[Outcome], quiz: Quiz, f: Fields) -> None:
        if "quiz.yaml" in self.unread:
            return  # its questions are not all known: "0 question(s)" could be false
        for o in outcomes:
            n = len(quiz.for_outcome(o.id))
            if n < MIN_QUESTIONS_PER_OUTCOME:
                self.problems.add(
                    "course.yaml",
                    self.outcome_lines.get(o.id, f.line_of("outcomes")),
                    f"outcomes.{o.id}",
                    f"outcome {o.id!r} has {n} question(s) in quiz.yaml; "
                    f"each outcome needs at least {MIN_QUESTIONS_PER_OUTCOME}",
                )
