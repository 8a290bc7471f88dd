"""The `lmspack` command line: new, check, build, preview (and the tool's commands)."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import click

from . import __version__
from .course import CourseError, load_course
from .course.report import problem_lines, problems_json, problems_text

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"

course_option = click.option(
    "--course",
    "-c",
    "course_dir",
    default="course_src",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The course source folder.",
)


def _load_or_exit(course_dir: Path, as_json: bool = False):
    try:
        return load_course(course_dir)
    except CourseError as exc:
        if as_json:
            doc = problems_json(exc.problems, course_dir)
            click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            _report(exc, course_dir)
        sys.exit(1)


def _report(exc: CourseError, course_dir: Path) -> None:
    head, *rest = problems_text(exc.problems, course_dir)
    click.secho(head, fg="red", err=True)
    for line in rest:
        click.echo(line, err=True)


class _Group(click.Group):
    """Errors from the machine rather than from lmspack (a file that cannot be read or
    written, a port in use, a course that does not load where a command did not expect it)
    end the command with one line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CourseError as exc:
            for problem in exc.problems:
                line = problem_lines(problem, exc.course_dir)[0] if exc.course_dir else problem
                click.echo(str(line), err=True)
            raise click.ClickException("the course has problems (see above)") from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lmspack")
def main() -> None:
    """Turn one plain-text course into SCORM packages and an LTI 1.3 tool."""


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
def new(directory: Path) -> None:
    """Create a new course project in DIRECTORY (a small, valid example course)."""
    target = directory / "course_src"
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} already exists and is not empty")
    shutil.copytree(
        SCAFFOLD / "course_src",
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    from .course.schema import add_modelines, write_schemas

    write_schemas(directory / "schemas")
    add_modelines(target, directory / "schemas")
    click.echo(f"Created {target} (and {directory / 'schemas'} for your editor)")
    click.echo(f"Next: cd {directory} && lmspack check && lmspack build && lmspack preview")


@main.command()
@course_option
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one JSON document: the summary, or {"ok": false, "problems": [...]}.',
)
def check(course_dir: Path, as_json: bool) -> None:
    """Check the course source and print a summary."""
    from .summary import summarise

    course = _load_or_exit(course_dir, as_json)
    summary = summarise(course)
    if as_json:
        click.echo(json.dumps({"ok": True, **summary}, indent=2, ensure_ascii=False))
        return
    click.secho(f"✓ {course.title} ({course.id} {course.version})", fg="green")
    click.echo(
        f"  {summary['pages']} pages + quiz + evaluation, about {summary['minutes']} minutes, "
        f"{summary['words']:,} words"
    )
    click.echo(
        f"  {summary['questions']} questions, pass mark {course.pass_mark}%; "
        + ", ".join(f"{k} {v}" for k, v in summary["question_types"].items())
    )
    for outcome in course.outcomes:
        n = summary["questions_per_outcome"][outcome.id]
        click.echo(f"    {outcome.id}: {n} questions  {outcome.text[:70]}")
    click.echo(
        f"  {summary['reflections']} reflection prompts, "
        f"{summary['evaluation_questions']} evaluation questions, "
        f"{summary['media_files']} media files"
    )
    review = summary["review"]
    click.echo(
        f"  quiz review: reveal {review['reveal']}, attempts "
        f"{review['attempts'] or 'unlimited'}, options shuffled in "
        f"{review['shuffled_questions']} of {summary['questions']} questions"
    )
    click.echo(
        f"  CPD: {course.cpd.prework_minutes} min pre-work + "
        f"{course.cpd.live_session_minutes} min live session"
    )


@main.command()
@click.option(
    "--out",
    "out_dir",
    default="schemas",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where the .schema.json files go.",
)
def schema(out_dir: Path) -> None:
    """Write JSON Schemas of the course files, so an editor checks them as you type."""
    from .course.schema import modeline, write_schemas

    for path in write_schemas(out_dir):
        click.echo(f"Wrote {path}")
    click.echo("Name a schema on a YAML file's first line, e.g. in course_src/course.yaml:")
    click.echo(f"  {modeline(Path('course_src'), out_dir, 'course')}")


@main.command()
@course_option
@click.option(
    "--out",
    "out_dir",
    default="dist",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Where the zips go.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["scorm12", "scorm2004", "all"]),
    default="all",
    show_default=True,
)
def build(course_dir: Path, out_dir: Path, fmt: str) -> None:
    """Check the source and build SCORM packages into dist/."""
    from .build import ALL_FORMATS
    from .build import build as run_build

    if out_dir.exists() and not out_dir.is_dir():
        raise click.BadParameter(f"{out_dir} is a file, not a folder", param_hint="--out")
    formats = ALL_FORMATS if fmt == "all" else (fmt,)
    start = time.perf_counter()
    click.echo(f"Building {course_dir} -> {out_dir}/")
    try:
        built = run_build(
            course_dir,
            out_dir,
            formats,
            progress=lambda f: click.echo(f"  ✓ {f} packaged", err=False),
        )
    except CourseError as exc:
        _report(exc, course_dir)
        click.secho(f"Build failed: {out_dir}/ was left as it was.", fg="red", err=True)
        sys.exit(1)
    total = time.perf_counter() - start
    width = max(len(str(b.path)) for b in built)
    click.echo(f"\n  {'package':<{width}}  {'files':>5}  {'size':>9}  {'time':>7}")
    for b in built:
        click.echo(
            f"  {str(b.path):<{width}}  {b.files:>5}  {b.size / 1024:>7.1f}KB  "
            f"{b.seconds * 1000:>5.0f}ms"
        )
    click.secho(f"Built {len(built)} package(s) in {total * 1000:.0f} ms", fg="green")


@main.command()
@course_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def preview(course_dir: Path, host: str, port: int) -> None:
    """Serve the course locally with the `local` adapter and an LMS data panel; the open
    page reloads when a source file is saved, and shows the source's problems."""
    from .preview import serve

    if not (course_dir / "course.yaml").is_file():
        _load_or_exit(course_dir)  # not a course folder: say so and stop
    serve(course_dir, host, port)


def _register_tool_commands() -> None:
    """The LTI tool's commands (serve, db, platform, keys, grades, report, ...) live with it."""
    from .tool.cli import register

    register(main)


_register_tool_commands()
