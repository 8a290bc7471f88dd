"""Load `course_src/` into a checked Course, or raise CourseError listing every problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import CourseError, Problems
from .fields import Fields
from .markdown import LinkContext, render_inline, render_markdown, word_count
from .model import (
    Course,
    Cpd,
    Evaluation,
    EvaluationQuestion,
    NavItem,
    Option,
    Outcome,
    Page,
    Question,
    Quiz,
    Reflection,
)
from .quiz_review import read_question_shuffle, read_review
from .shapes import (
    CERTIFICATE,
    COURSE,
    CPD,
    EVALUATION,
    EVALUATION_QUESTION,
    FEEDBACK,
    FRONT_MATTER,
    ID_RE,
    OPTION,
    OUTCOME,
    QUESTION,
    QUIZ,
    REFLECTION,
    REFLECTIONS,
)
from .yamlerrors import report_syntax_error
from .yamlsrc import LineList, load_yaml

PAGE_FILE_RE = re.compile(r"^(?:\d+[-_])?(?P<id>[a-z0-9][a-z0-9-]*)\.md$")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?\n?", re.S | re.M)
FRONT_MATTER_OPEN_RE = re.compile(r"\A---[ \t]*\r?\n")
MIN_QUESTIONS_PER_OUTCOME = 2
RESERVED_NAV = ("quiz", "evaluation")
# The player uses these ids for its own steps (#page-results, #page-certificate).
RESERVED_PAGE_IDS = (*RESERVED_NAV, "results", "certificate")


def load_course(course_dir: str | Path) -> Course:
    """Read and check a course folder. Raises CourseError with file:line:field problems."""
    root = Path(course_dir)
    problems = Problems()
    if not (root / "course.yaml").is_file():
        # The file is named relative to the course folder, like every other problem.
        problems.add("course.yaml", 0, "", "not found: is this a course folder?")
        problems.raise_if_any()
    loader = _Loader(root, problems)
    course = loader.load()
    problems.raise_if_any()
    assert course is not None
    return course


class _Loader:
    def __init__(self, root: Path, problems: Problems):
        self.root = root
        self.problems = problems
        # Files missing, unreadable or unparsable: what they hold is unknown, so checks that
        # depend on them are skipped rather than reported falsely (e.g. "0 questions").
        self.unread: set[str] = set()

    # -- files -------------------------------------------------------------------------
    def _yaml(self, name: str, required: bool = True) -> Any:
        path = self.root / name
        if not path.is_file():
            if required:
                self.problems.add(name, 0, "", "file not found")
                self.unread.add(name)
            return None
        self.unread.add(name)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problems.add(name, 0, "", f"not UTF-8 text ({exc.reason})")
            return None
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            report_syntax_error(self.problems, name, exc, text)
            return None
        self.unread.discard(name)
        return data

    def _md(self, text: Any, file: str, line: int, field: str) -> str:
        if not text:
            return ""
        links = LinkContext(self.root, self.page_files)
        html = render_markdown(
            str(text),
            file=file,
            line_offset=line,
            links=links,
            problems=self.problems,
            field_name=field,
        )
        self.media.update(links.media)
        return html

    # -- course ------------------------------------------------------------------------
    def load(self) -> Course | None:
        self.media: set[str] = set()
        raw = self._yaml("course.yaml")
        f = Fields(raw, "course.yaml", self.problems, shape=COURSE)
        course_id = f.get("id", "")
        title = f.get("title", "")
        version = f.get("version", "")
        language = f.get("language", "en")
        description = f.get("description", "")
        audience = f.get("audience", "")
        provider = f.get("provider", "")
        facilitators = self._str_list(f, "facilitators")
        pass_mark = f.get("pass_mark", 80)
        outcomes = self._outcomes(f)
        cpd_raw = f.get("cpd", {})
        nav_raw = f.get("nav", None)
        cert_raw = f.get("certificate", {})
        f.done()

        # None: course.yaml's outcomes could not be read, so references to them go unchecked.
        self.outcome_ids = {o.id for o in outcomes} if self.outcomes_read else None
        self.page_files = self._page_files()
        pages = self._pages()
        self.unread_pages = set(self.page_files.values()) - {p.id for p in pages}
        quiz = self._quiz()
        evaluation = self._evaluation()
        reflections = self._reflections(set(self.page_files.values()))
        nav = self._nav(nav_raw, f, pages, quiz, evaluation)
        cpd = self._cpd(cpd_raw, f, pages, quiz, evaluation)
        rules = self._certificate(cert_raw, f)
        self._check_coverage(outcomes, quiz, f)
        media = self._media()
        if self.problems.items:
            return None
        return Course(
            id=course_id,
            title=title,
            version=version,
            language=language,
            description=description,
            audience=audience,
            provider=provider,
            facilitators=tuple(facilitators),
            cpd=cpd,
            pass_mark=pass_mark,
            outcomes=tuple(outcomes),
            pages=tuple(pages),
            quiz=quiz,
            reflections=tuple(reflections),
            evaluation=evaluation,
            nav=tuple(nav),
            certificate_rules=rules,
            media=media,
        )

    def _str_list(self, f: Fields, key: str) -> list[str]:
        items = f.get(key, [])
        if not all(isinstance(i, str) and i.strip() for i in items):
            f.error(key, "should be a list of non-empty texts")
            return []
        return [i.strip() for i in items]

    def _outcomes(self, f: Fields) -> list[Outcome]:
        raw = f.get("outcomes", [])
        self.outcomes_read = f.ok and isinstance(f.data.get("outcomes"), list)
        outcomes: list[Outcome] = []
        self.outcome_lines: dict[str, int] = {}
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else f.line
            o = Fields(item, f.file, self.problems, f"outcomes[{i}]", line, OUTCOME)
            oid = o.get("id", "")
            text = o.get("text", "")
            o.done()
            if oid in seen:
                o.error("id", f"duplicate outcome id {oid!r}")
            seen.add(oid)
            outcomes.append(Outcome(oid, text))
            self.outcome_lines[oid] = line
        if self.outcomes_read and not raw:
            f.error("outcomes", "a course needs at least one learning outcome")
        return outcomes

    def _cpd(self, raw: dict, f: Fields, pages: list[Page], quiz: Quiz, ev: Evaluation) -> Cpd:
        c = Fields(raw, f.file, self.problems, "cpd", f.line_of("cpd"), CPD)
        default = sum(p.minutes for p in pages) + quiz.minutes + ev.minutes
        prework = c.get("prework_minutes", default)
        live = c.get("live_session_minutes", 0)
        mode = c.get("live_session_mode", "")
        c.done()
        return Cpd(prework, live, mode)

    def _certificate(self, raw: dict, f: Fields) -> tuple[str, ...]:
        c = Fields(raw, f.file, self.problems, "certificate", f.line_of("certificate"), CERTIFICATE)
        rules = c.get("require", ["pages", "quiz", "evaluation"])
        c.done()
        allowed = CERTIFICATE.fields["require"].kind.item.choices
        for rule in rules:
            if rule not in allowed:
                c.error("require", f"unknown rule {rule!r} (use: {', '.join(allowed)})")
        return tuple(rules)

    # -- pages -------------------------------------------------------------------------
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
                self.problems.add(rel, 0, "", f"page id {pid!r} is reserved for the player's "
                                  f"own {pid} page: rename the file")
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
        try:
            text = (self.root / "pages" / name).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problems.add(rel, 0, "", f"not UTF-8 text ({exc.reason})")
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
        html = self._md(body, rel, body_offset, "body")
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

    # -- quiz --------------------------------------------------------------------------
    def _quiz(self) -> Quiz:
        file = "quiz.yaml"
        f = Fields(self._yaml(file), file, self.problems, shape=QUIZ)
        title = f.get("title", "Check your understanding")
        minutes = f.get("minutes", 0)
        intro = self._md(f.get("intro", ""), file, f.line_of("intro"), "intro")
        review, retake = read_review(f)
        raw = f.get("questions", [])
        f.done()
        questions: list[Question] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else f.line
            q = self._question(item, file, i, line)
            if q is None:
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
            prompt=render_inline(prompt),
            options=options,
            feedback_correct=render_inline(fb_correct),
            feedback_incorrect=render_inline(fb_incorrect),
            scenario_html=self._md(scenario, file, q.line_of("scenario"), q.name("scenario")),
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
            options.append(Option(oid, render_inline(text), bool(correct), render_inline(feedback)))
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
            return  # its questions are unknown: "0 question(s)" would be false
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

    # -- reflections, evaluation, nav, media -------------------------------------------
    def _reflections(self, page_ids: set[str]) -> list[Reflection]:
        file = "reflections.yaml"
        raw_doc = self._yaml(file, required=False)
        if raw_doc is None:
            return []
        f = Fields(raw_doc, file, self.problems, shape=REFLECTIONS)
        raw = f.get("reflections", [])
        f.done()
        result: list[Reflection] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else f.line
            r = Fields(item, file, self.problems, f"reflections[{i}]", line, REFLECTION)
            rid = r.get("id", "")
            page = r.get("page", "")
            if page and page not in page_ids:
                r.error("page", f"no page with id {page!r}")
            heading = r.get("heading", "learned")
            prompt = r.get("prompt", "")
            hint = r.get("hint", "")
            r.done()
            if rid in seen:
                r.error("id", f"duplicate reflection id {rid!r}")
            seen.add(rid)
            result.append(Reflection(rid, page, heading, prompt, hint))
        return result

    def _evaluation(self) -> Evaluation:
        file = "evaluation.yaml"
        f = Fields(self._yaml(file), file, self.problems, shape=EVALUATION)
        title = f.get("title", "Evaluation")
        minutes = f.get("minutes", 0)
        intro = self._md(f.get("intro", ""), file, f.line_of("intro"), "intro")
        raw = f.get("questions", [])
        f.done()
        questions: list[EvaluationQuestion] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.item_lines[i] if isinstance(raw, LineList) else f.line
            e = Fields(item, file, self.problems, f"questions[{i}]", line, EVALUATION_QUESTION)
            eid = e.get("id", "")
            etype = e.get("type", "text")
            prompt = e.get("prompt", "")
            required = e.get("required", etype != "text")
            e.done()
            if eid in seen:
                e.error("id", f"duplicate evaluation question id {eid!r}")
            seen.add(eid)
            questions.append(EvaluationQuestion(eid, etype, prompt, required))
        return Evaluation(title, minutes or 0, intro, tuple(questions))

    def _nav(
        self, raw: list | None, f: Fields, pages: list[Page], quiz: Quiz, ev: Evaluation
    ) -> list[NavItem]:
        by_id = {p.id: p for p in pages}
        special = {
            "quiz": NavItem("quiz", "quiz", quiz.title, quiz.minutes),
            "evaluation": NavItem("evaluation", "evaluation", ev.title, ev.minutes),
        }
        if raw is None:
            order = [p.id for p in pages] + list(RESERVED_NAV)
            lines = [f.line] * len(order)
        else:
            order = [str(x) for x in raw]
            lines = raw.item_lines if isinstance(raw, LineList) else [f.line] * len(order)
        nav: list[NavItem] = []
        seen: set[str] = set()
        for item, line in zip(order, lines, strict=True):
            if item in seen:
                self.problems.add(f.file, line, "nav", f"{item!r} appears twice")
                continue
            seen.add(item)
            if item in special:
                nav.append(special[item])
            elif item in by_id:
                p = by_id[item]
                nav.append(NavItem("page", p.id, p.title, p.minutes))
            elif item in self.unread_pages:
                continue  # the page's own problem is reported; it is not missing
            else:
                self.problems.add(
                    f.file, line, "nav", f"no page with id {item!r} (pages: {', '.join(by_id)})"
                )
        for missing in [*by_id, *special]:
            if raw is not None and missing not in seen:
                self.problems.add(
                    f.file,
                    f.line_of("nav"),
                    "nav",
                    f"{missing!r} is not in nav: every page, the quiz and the "
                    "evaluation must be placed",
                )
        return nav

    def _media(self) -> dict[str, bytes]:
        media_dir = self.root / "media"
        files: dict[str, bytes] = {}
        if media_dir.is_dir():
            # Everything in media/ ships, referenced or not: authors may link from HTML blocks.
            for path in sorted(media_dir.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[path.relative_to(self.root).as_posix()] = path.read_bytes()
        return files


def _shift_lines(value: Any, by: int) -> None:
    """Front matter starts after the opening `---`: shift its lines to file lines."""
    if hasattr(value, "line"):
        value.line += by
    if hasattr(value, "key_lines"):
        for k in value.key_lines:
            value.key_lines[k] += by
        for v in value.values():
            _shift_lines(v, by)
    if hasattr(value, "item_lines"):
        value.item_lines = [n + by for n in value.item_lines]
        for v in value:
            _shift_lines(v, by)


__all__ = ["load_course", "CourseError", "ID_RE"]
