"""Themes: which folder's templates and static files make the player.

A course project's own theme (`templates/` beside or inside the course folder, holding an
`index.html.j2`) overrides only what it has: every template and static file it lacks comes
from the default theme. So an author can change one template, or only the stylesheet,
without copying the rest, and a theme copied without `static/` still gets the player.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import jinja2

from .course.errors import CourseError, Problem

STATIC_DIR = "static"
PLAYER_SCRIPT = f"{STATIC_DIR}/player.js"
_LOADED = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"'#?]+)""", re.I)


class ThemeError(CourseError):
    """A theme that cannot make a working player; reported like a source problem, with the
    theme file's absolute path (a theme need not be inside the course folder)."""

    def __init__(self, problems: list[Problem]):
        super().__init__([replace(p, file=str(Path(p.file).absolute())) for p in problems])


def default_theme() -> Path:
    """The default theme: the checkout's templates/ folder, or its copy in an installed wheel."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "templates"
    if (checkout / "index.html.j2").is_file():
        return checkout
    return here / "theme"


def theme_for(course_dir: Path | None) -> Path:
    """A course project may override the theme with its own templates/ folder (inside the
    course folder, or beside it), holding any template or a static/ folder."""
    if course_dir is not None:
        for candidate in (course_dir / "templates", course_dir.parent / "templates"):
            if (candidate / STATIC_DIR).is_dir() or any(candidate.glob("**/*.j2")):
                return candidate
    return default_theme()


def is_default(theme: Path) -> bool:
    return Path(theme).resolve() == default_theme().resolve()


def loader(theme: Path) -> jinja2.BaseLoader:
    """The theme's templates first, then the default theme's."""
    own = jinja2.FileSystemLoader(str(theme))
    if is_default(theme):
        return own
    return jinja2.ChoiceLoader([own, jinja2.FileSystemLoader(str(default_theme()))])


def static_files(theme: Path, leave_out: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """`static/...` path -> bytes: the default theme's files, each replaced by the theme's own
    file of the same name, plus the theme's extra files. Hidden files and the names in
    `leave_out` are skipped."""
    folders = [default_theme()] if is_default(theme) else [default_theme(), theme]
    files: dict[str, bytes] = {}
    for folder in folders:
        static = folder / STATIC_DIR
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.name not in leave_out:
                files[f"{STATIC_DIR}/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return dict(sorted(files.items()))


def template_error(theme: Path, exc: jinja2.TemplateError) -> ThemeError:
    """A Jinja error as a problem naming the theme file and line."""
    file, line = "", 0
    if isinstance(exc, jinja2.TemplateSyntaxError):
        file, line = exc.filename or exc.name or "", exc.lineno
    else:  # Jinja puts the template's file and line into the traceback
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                file, line = frame.filename, frame.lineno or 0
                break
    if isinstance(exc, jinja2.TemplateNotFound):
        message = (
            f"template {exc.name!r} is in neither this theme ({theme}) nor the default theme"
        )
    else:
        message = f"theme template error: {exc.message or exc}"
    return ThemeError([Problem(file=file or str(theme), line=line, field="", message=message)])


def check_site(theme: Path, files: Mapping[str, bytes]) -> None:
    """Every script and stylesheet index.html loads is in the package, and it loads the
    player: without it the package shows every section at once and tracks nothing."""
    html = files["index.html"].decode("utf-8", "replace")
    loaded = [ref for ref in _LOADED.findall(html) if "://" not in ref and not ref.startswith("/")]
    index = str(theme / "index.html.j2")
    problems = [
        Problem(
            file=index,
            line=0,
            field="",
            message=f"loads {ref}, which is in neither the theme's static/ nor the default's",
        )
        for ref in loaded
        if ref not in files
    ]
    if PLAYER_SCRIPT not in loaded:
        problems.append(
            Problem(
                file=index,
                line=0,
                field="",
                message=f"the page does not load the player script ({PLAYER_SCRIPT}); "
                f'add <script src="{PLAYER_SCRIPT}"></script> as the default theme does',
            )
        )
    if problems:
        raise ThemeError(problems)
