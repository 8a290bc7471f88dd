"""The learner's CPD record, for Social Work England or the HCPC: Markdown and tagged PDF.

A `CpdRecord` is plain data; `record_for(course, ...)` fills one from the course model and the
learner's reflections. `record_markdown(record)` gives text a social worker can paste into
their regulator's online CPD form; `record_pdf(record)` a portrait A4 PDF (PDF/UA-1) to upload.

Learner-typed text (reflections, their name) is never trusted as markup: in the PDF it goes
through Jinja's autoescape; in Markdown every character that could start markup is
backslash-escaped and line starts are neutralised, so a reflection can't add headings, lists,
links, HTML or tables to the record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from ..course.model import REFLECTION_HEADINGS, Course
from ..printable import clean
from .rendering import long_date, pdf_template
from .snapshot import CertificateSnapshot, OutcomeText, hours_and_minutes

TEMPLATE = "record/record.html.j2"
STYLESHEET = "record/record.css"
PRIVACY_REMINDER = (
    "Your CPD record must not identify any of the people you work with: no names, initials, "
    "dates of birth, places or details from which a child, family or colleague could be "
    "recognised."
)
PEER_PLACEHOLDER = (
    "Space for a peer reflection after the live session: what you discussed with a colleague "
    "or in the group, and what you will take from it."
)


@dataclass(frozen=True)
class CpdActivity:
    """One part of the activity, e.g. the e-learning pre-work or the live online workshop."""

    type: str  # "E-learning (pre-work)", "Live online workshop"
    mode: str  # "Online, self-paced", "Live online workshop (Zoom)"
    on: date | None  # completed / attended on; None if not yet
    minutes: int

    @property
    def when(self) -> str:
        if self.on:
            return long_date(self.on)
        return "Not yet attended" if "live" in self.type.casefold() else "Not yet completed"


@dataclass(frozen=True)
class ReflectionEntry:
    heading: str  # a key of REFLECTION_HEADINGS: learned, practice, impact, peer
    prompt: str
    text: str


@dataclass(frozen=True)
class ReflectionGroup:
    heading: str
    title: str
    entries: tuple[ReflectionEntry, ...]

    @property
    def empty(self) -> bool:
        return not any(e.text.strip() for e in self.entries)


@dataclass(frozen=True)
class CpdRecord:
    learner_name: str
    title: str
    provider: str
    facilitators: tuple[str, ...]
    activities: tuple[CpdActivity, ...]
    outcomes: tuple[OutcomeText, ...]
    score: int | None  # percent; None if the quiz was not taken
    pass_mark: int
    reflections: tuple[ReflectionEntry, ...] = ()
    language: str = "en-GB"
    certificate_code: str = ""
    verify_url: str = ""
    generated_on: date = field(default_factory=lambda: datetime.now(UTC).date())

    @property
    def total_minutes(self) -> int:
        return sum(a.minutes for a in self.activities)

    @property
    def passed(self) -> bool | None:
        return None if self.score is None else self.score >= self.pass_mark

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(sorted(a.on for a in self.activities if a.on))

    def groups(self) -> tuple[ReflectionGroup, ...]:
        """Every regulator heading, in order, even when empty (the peer one especially)."""
        return tuple(
            ReflectionGroup(key, title, tuple(e for e in self.reflections if e.heading == key))
            for key, title in REFLECTION_HEADINGS.items()
        )


def record_for(
    course: Course,
    *,
    learner_name: str,
    prework_completed_on: date | datetime | None,
    score: int | None,
    answers: Mapping[str, str],
    session_reflection: str = "",
    live_session_date: date | None = None,
    certificate: CertificateSnapshot | None = None,
    generated_on: date | None = None,
) -> CpdRecord:
    """A learner's record from the course and their reflection answers (id -> text).

    Reflections left blank are kept (with their prompt) so the learner sees where to write;
    answers to reflection ids the course no longer has are ignored. `session_reflection`:
    the peer reflection sent with the evaluation after the live session (under `peer`).
    """
    if isinstance(prework_completed_on, datetime):
        prework_completed_on = prework_completed_on.astimezone(UTC).date()
    activities = [
        CpdActivity(
            "E-learning (pre-work)",
            "Online, self-paced",
            prework_completed_on,
            course.cpd.prework_minutes,
        )
    ]
    if course.cpd.live_session_minutes:
        activities.append(
            CpdActivity(
                "Live online workshop",
                course.cpd.live_session_mode or "Live online",
                live_session_date,
                course.cpd.live_session_minutes if live_session_date else 0,
            )
        )
    entries = tuple(
        ReflectionEntry(r.heading, r.prompt, clean(str(answers.get(r.id, "") or "")))
        for r in course.reflections
    )
    after = course.session_evaluation
    if after is not None and after.reflection and session_reflection.strip():
        entries += (ReflectionEntry("peer", after.reflection, clean(session_reflection)),)
    return CpdRecord(
        learner_name=clean(learner_name).strip(),  # stored text may predate the API's check
        title=course.title,
        provider=course.provider,
        facilitators=tuple(course.facilitators),
        activities=tuple(activities),
        outcomes=tuple(OutcomeText(o.id, o.text) for o in course.outcomes),
        score=score,
        pass_mark=course.pass_mark,
        reflections=entries,
        language=course.language,
        certificate_code=certificate.code if certificate else "",
        verify_url=certificate.verify_url if certificate else "",
        generated_on=generated_on or datetime.now(UTC).date(),
    )


# -- Markdown ---------------------------------------------------------------------------------

_INLINE = re.compile(r"([\\`*_\[\]<>#|~&!{}])")
_ORDERED = re.compile(r"(\d{1,9})([.)])")


def md_escape(text: str) -> str:
    """Learner text as inert Markdown: no markup, no HTML, no structure.

    Backslash-escapes every character that can start inline markup or HTML (CommonMark lets
    any ASCII punctuation be escaped), then neutralises what only matters at the start of a
    line (list markers, block quotes, setext underlines, numbered lists) and strips leading
    indentation, which would otherwise make an indented code block. Line breaks are kept;
    runs of blank lines become one paragraph break.
    """
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _INLINE.sub(r"\\\1", raw.strip())
        if m := _ORDERED.match(line):  # "1." or "1)" would start an ordered list
            line = f"{m.group(1)}\\{m.group(2)}{line[m.end() :]}"
        elif line[:1] in ("-", "+", "="):  # bullet list, thematic break, setext underline
            line = "\\" + line
        lines.append(line)
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out).strip("\n")
    # Keep single line breaks as hard breaks, so a learner's list of points stays a list.
    return re.sub(r"(?<!\n)\n(?!\n)", "  \n", out)


def _md_line(text: str) -> str:
    """Text we control but that comes from the course (titles, outcomes): one escaped line."""
    return md_escape(" ".join(text.split()))


def record_markdown(record: CpdRecord) -> str:
    out: list[str] = []
    add = out.append
    add(f"# CPD record: {_md_line(record.title)}")
    add("")
    add(f"**Name:** {_md_line(record.learner_name)}  ")
    add(f"**Provider:** {_md_line(record.provider)}  ")
    if record.facilitators:
        add(f"**Facilitated by:** {_md_line(', '.join(record.facilitators))}  ")
    if record.dates:
        first, last = record.dates[0], record.dates[-1]
        span = long_date(first) if first == last else f"{long_date(first)} to {long_date(last)}"
        add(f"**Dates:** {span}  ")
    add(f"**Total CPD time:** {hours_and_minutes(record.total_minutes)}")
    add("")
    add("## Activity")
    add("")
    add("| Activity | Mode | Date | Time |")
    add("| --- | --- | --- | --- |")
    for a in record.activities:
        time = hours_and_minutes(a.minutes) if a.minutes else "-"
        add(f"| {_md_line(a.type)} | {_md_line(a.mode)} | {a.when} | {time} |")
    add("")
    add("## Learning outcomes")
    add("")
    for i, o in enumerate(record.outcomes, 1):
        add(f"{i}. {_md_line(o.text)}")
    add("")
    add("## Quiz result")
    add("")
    if record.score is None:
        add("Not taken.")
    else:
        verdict = "passed" if record.passed else "not passed"
        add(f"{record.score}% ({verdict}; pass mark {record.pass_mark}%)")
    if record.certificate_code:
        add("")
        add(
            f"Certificate {record.certificate_code}, verify at <{record.verify_url}>"
            if record.verify_url
            else f"Certificate {record.certificate_code}"
        )
    add("")
    add("## Reflections")
    add("")
    add(f"> **Remember:** {PRIVACY_REMINDER}")
    for group in record.groups():
        add("")
        add(f"### {_md_line(group.title)}")
        if group.heading == "peer" and group.empty:
            add("")
            add(f"*{PEER_PLACEHOLDER}*")
            add("\n\n")  # room to write, in the text file
            continue
        for entry in group.entries:
            add("")
            add(f"*{_md_line(entry.prompt)}*")
            add("")
            add(md_escape(entry.text) if entry.text.strip() else "*(Not written yet.)*")
    add("")
    add(f"*Record produced on {long_date(record.generated_on)} by lmspack.*")
    add("")
    return "\n".join(out)


# -- PDF --------------------------------------------------------------------------------------


def record_html(record: CpdRecord, *, theme: Path | None = None) -> str:
    return pdf_template(theme, TEMPLATE, STYLESHEET).html(_context(record) | {"density": ""})


def _context(record: CpdRecord) -> dict[str, object]:
    return {
        "r": record,
        "privacy_reminder": PRIVACY_REMINDER,
        "peer_placeholder": PEER_PLACEHOLDER,
    }


def record_pdf(record: CpdRecord, *, theme: Path | None = None) -> bytes:
    """Portrait A4, as many pages as the reflections need."""
    return pdf_template(theme, TEMPLATE, STYLESHEET).pdf(_context(record))
