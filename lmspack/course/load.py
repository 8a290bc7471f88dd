"""Load `course_src/` into a checked Course, or raise CourseError listing every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .cover import check_cover_file, read_cover
from .errors import CourseError, Problems
from .evaluations import EvaluationsLoader, check_session_rule
from .fields import Fields
from .files import bad_name, inside, read_bytes, read_text, usable
from .links import Anchor, LinkContext
from .live_session import drop_old_keys, read_live_session
from .load_pages import RESERVED_NAV, PagesLoader
from .load_quiz import QuizLoader
from .markdown import render_markdown
from .model import (
    Course,
    Cpd,
    Evaluation,
    EvaluationQuestion,
    LiveSession,
    NavItem,
    Outcome,
    Page,
    Quiz,
    Reflection,
)
from .shapes import (
    CERTIFICATE,
    COURSE,
    CPD,
    EVALUATION_QUESTION,
    ID_RE,
    OUTCOME,
    REFLECTION,
    REFLECTIONS,
)
from .yamlerrors import report_syntax_error
from .yamlsrc import LineList, load_yaml


def load_course(course_dir: str | Path) -> Course:
    """Read and check a course folder. Raises CourseError with file:line:field problems."""
    root = Path(course_dir)
    problems = Problems()
    if not (root / "course.yaml").exists():
        # The file is named relative to the course folder, like every other problem.
        problems.add("course.yaml", 0, "", "not found: is this a course folder?")
    usable(root, "course.yaml", problems, missing="")
    problems.raise_if_any(root)
    loader = _Loader(root, problems)
    course = loader.load()
    problems.raise_if_any(root)
    assert course is not None
    return course


class _Loader(PagesLoader, QuizLoader, EvaluationsLoader):
    """Reads course.yaml and the files it needs; pages and quiz are read by the mixins."""

    def __init__(self, root: Path, problems: Problems):
        self.root = root
        self.problems = problems
        # Files missing, unreadable or unparsable: what they hold is unknown, so checks that
        # depend on them are skipped rather than reported falsely (e.g. "0 questions").
        self.unread: set[str] = set()

    # -- files -------------------------------------------------------------------------
    def _yaml(self, name: str, required: bool = True) -> Any:
        if not (self.root / name).exists() and not (self.root / name).is_symlink():
            if required:
                self.problems.add(name, 0, "", "file not found")
                self.unread.add(name)
            return None
        self.unread.add(name)
        if not usable(self.root, name, self.problems):
            return None
        text = read_text(self.root, name, self.problems)
        if text is None:
            return None
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            report_syntax_error(self.problems, name, exc, text)
            return None
        if data is None:
            self.problems.add(name, 1, "", "the file is empty (or holds only comments)")
            return None
        self.unread.discard(name)
        return data

    def _md(
        self,
        text: Any,
        file: str,
        line: int,
        field: str,
        *,
        inline: bool = False,
        page_id: str | None = None,
    ) -> str:
        """Markdown to checked, allowlisted HTML; `line`: the line the text starts on (for
        a page's body, the line before it); `inline` for short texts (prompts, options,
        feedback), with no paragraph around them."""
        if not text:
            return ""
        links = LinkContext(self.root, self.page_files, page_id)
        html = render_markdown(
            str(text),
            file=file,
            line_offset=line if page_id is not None else line - 1,
            links=links,
            problems=self.problems,
            field_name=field,
            inline=inline,
        )
        self.media.update(links.media)
        self.anchors.extend(links.anchors)
        if page_id is not None and links.parsed:
            self.headings[page_id] = links.headings
        return html

    def _check_anchors(self) -> None:
        """Links to a heading (`04-power.md#why`), now that every page's headings are known."""
        for a in self.anchors:
            if a.page_id not in self.headings:
                continue  # the page was not read: its own problem is reported
            if a.slug not in self.headings[a.page_id]:
                known = ", ".join(sorted(self.headings[a.page_id])) or "none"
                self.problems.add(
                    a.file,
                    a.line,
                    a.field,
                    f"link to {a.href!r}: page {a.page_id!r} has no heading #{a.slug} "
                    f"(its headings: {known})",
                )

    # -- course ------------------------------------------------------------------------
    def load(self) -> Course | None:
        self.media: set[str] = set()
        self.anchors: list[Anchor] = []
        self.headings: dict[str, set[str]] = {}
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
        drop_old_keys(cpd_raw, f)
        live = read_live_session(f.get("live_session", None), f, self.problems)
        nav_raw = f.get("nav", None)
        cert_raw = f.get("certificate", {})
        cover, cover_fields = read_cover(f.get("cover", None), f, self.problems)
        f.done()

        # None: course.yaml's outcomes could not be read, so references to them go unchecked.
        self.outcome_ids = {o.id for o in outcomes} if self.outcomes_read else None
        self.page_files = self._page_files()
        pages = self._pages()
        self.unread_pages = set(self.page_files.values()) - {p.id for p in pages}
        quiz = self._quiz()
        evaluation, session_evaluation = self._evaluations()
        reflections = self._reflections(set(self.page_files.values()))
        nav = self._nav(nav_raw, f, pages, quiz, evaluation)
        cpd = self._cpd(cpd_raw, f, pages, quiz, evaluation, live)
        rules = self._certificate(cert_raw, f)
        check_session_rule(rules, session_evaluation, live, f)
        self._check_coverage(outcomes, quiz, f)
        self._check_anchors()
        media = self._media()
        check_cover_file(cover, cover_fields, media)
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
            live_session=live,
            cover=cover,
            session_evaluation=session_evaluation,
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

    def _cpd(
        self, raw: dict, f: Fields, pages: list[Page], quiz: Quiz, ev: Evaluation,
        live: LiveSession | None,
    ) -> Cpd:  # fmt: skip
        c = Fields(raw, f.file, self.problems, "cpd", f.line_of("cpd"), CPD)
        default = sum(p.minutes for p in pages) + quiz.minutes + ev.minutes
        prework = c.get("prework_minutes", default)
        c.done()
        return Cpd(prework, live.minutes if live else 0, live.mode if live else "")

    def _certificate(self, raw: dict, f: Fields) -> tuple[str, ...]:
        c = Fields(raw, f.file, self.problems, "certificate", f.line_of("certificate"), CERTIFICATE)
        rules = c.get("require", ["pages", "quiz", "evaluation"])
        c.done()
        allowed = CERTIFICATE.fields["require"].kind.item.choices
        for rule in rules:
            if rule not in allowed:
                c.error("require", f"unknown rule {rule!r} (use: {', '.join(allowed)})")
        return tuple(rules)

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

    def _evaluation(self, f: Fields, file: str) -> Evaluation:
        """One evaluation of evaluation.yaml (`f`: today's form, or one of `evaluations:`)."""
        title = f.get("title", "Evaluation")
        minutes = f.get("minutes", 0)
        intro = self._md(f.get("intro", ""), file, f.value_line("intro"), "intro")
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
        if f.ok and isinstance(raw, list) and not raw:
            f.error("questions", "an evaluation needs at least one question")
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
        if not media_dir.is_dir() or not inside(self.root, media_dir):
            return files
        # Everything in media/ ships, referenced or not: authors may link from HTML blocks.
        for path in sorted(media_dir.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if path.name.startswith("."):
                continue
            if path.is_dir():
                if not inside(self.root, path):
                    self.problems.add(rel, 0, "", "is a link to a folder outside the course")
                continue
            why = bad_name(rel)
            if why:
                self.problems.add(rel.encode("utf-8", "replace").decode(), 0, "", why)
            elif usable(self.root, rel, self.problems):
                data = read_bytes(self.root, rel, self.problems)
                if data is not None:
                    files[rel] = data
        return files


__all__ = ["load_course", "CourseError", "ID_RE"]
