"""Mutated course sources, for the fuzz test and bench/fuzz_sources.py.

Each case copies a real source (the workshop course or `lmspack new`'s example), applies one
to three mutations drawn from what authors and their tools do to files (YAML and Markdown
edits, HTML, files removed or replaced by folders, invalid UTF-8, BOMs, CRLF, links) and
runs the build as `lmspack build` does. A case fails when the build raises anything but
CourseError, a problem has no file or no line where the file has lines, the case takes over
`SLOW` seconds of CPU, or a failed build changed dist/. CPU time, not wall-clock time: a hang
spends CPU, a machine shared with other work only stretches the wall clock.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lmspack.build import build
from lmspack.course import CourseError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"course": ROOT / "course_src", "new": ROOT / "lmspack" / "scaffold" / "course_src"}
SLOW = 5.0

# Values an author (or a bad paste) puts where a field's value goes.
VALUES = [
    "", "~", "[a, b]", "{a: b}", "[[LO1]]", "{LO1: x}", "*a", "&a x", "!!int abc", "!!binary x",
    "!!timestamp 2024-13-01", "2024-13-01", "2024-01-01", "1.10", "010", "0x1F", ".inf", "-1",
    "99999999999999999999999", "true", "No", '"unclosed', "'it''s'", "`tick`", "@at", "#hash",
    "a: b: c", "\t- x", '"\\x00"', '"\\x07bell"', '"\\u202e"', "x" * 300,
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", '"<svg onload=alert(1)>"', "javascript:alert(1)",
    "[x](javascript:alert(1))", "![](https://example.org/x.png)", "? [a]\n  : b", "- - - x",
    "|\n  block", ">-\n  folded", "!!set {a, b}", "!!omap [a: 1]", "!!python/object:os.system x",
]  # fmt: skip
# Text put into a page or a Markdown field.
SNIPPETS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>', "<img src=\"../media/x.svg\">",
    '<a href="javascript:alert(1)">x</a>', '<img alt="d" src="data:image/png;base64,AA==">',
    '<img alt="e" src="https://example.org/x.png">', "[p](02-the-topic)", "[p](04-power.md#nope)",
    "[p](01-welcome.md#)", "[a](#)", "[a](#page-quiz)", "![](../media/diagram.svg)",
    "![d](../../etc/passwd)", "<div " + "< on" * 3000, "[" * 2000, "*" * 3000, "`" * 1000,
    "> " * 200 + "deep", "- " * 300 + "list", "<" * 5000, "&#0; &#xD800; \u0000 \ufffe",
    "<p style=\"background:url(https://x)\">s</p>", "<math><mi>x</mi></math>",
    "<a href=\"04-power.md#why\">w</a>", "<details open><summary>s</summary>d</details>",
    "| a |\n| - |\n" + "| b |\n" * 300, "<!-- " * 500, "<![CDATA[x]]>", "<?php x ?>",
]  # fmt: skip


@dataclass
class Outcome:
    """What one case did."""

    case: int
    source: str
    mutations: list[str]
    seconds: float = 0.0  # CPU time of the build
    wall: float = 0.0
    built: bool = False
    problems: int = 0
    traceback: str = ""
    no_line: list[str] = field(default_factory=list)
    dist_changed: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.traceback or self.no_line or self.dist_changed or self.seconds > SLOW)


class _Timeout(Exception):
    pass


def _files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in suffixes)


def _edit_text(path: Path, rng: random.Random, change: Callable[[list[str]], None]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) or ["\n"]
    change(lines)
    path.write_text("".join(lines), encoding="utf-8")


def _yaml_value(root: Path, rng: random.Random) -> str:
    path = rng.choice(_files(root, (".yaml", ".md")))
    value = rng.choice(VALUES)

    def change(lines: list[str]) -> None:
        keyed = [i for i, line in enumerate(lines) if ": " in line] or [0]
        i = rng.choice(keyed)
        key, _, _ = lines[i].partition(": ")
        lines[i] = f"{key}: {value}\n"

    _edit_text(path, rng, change)
    return f"{path.relative_to(root)}: value {value[:30]!r}"


def _yaml_line(root: Path, rng: random.Random) -> str:
    path = rng.choice(_files(root, (".yaml", ".md")))
    how = rng.choice(["delete", "duplicate", "indent", "dedent", "tab", "truncate", "swap"])

    def change(lines: list[str]) -> None:
        i = rng.randrange(len(lines))
        if how == "delete":
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "indent":
            lines[i] = "  " + lines[i]
        elif how == "dedent":
            lines[i] = lines[i].lstrip()
        elif how == "tab":
            lines[i] = "\t" + lines[i]
        elif how == "truncate":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]

    _edit_text(path, rng, change)
    return f"{path.relative_to(root)}: {how} a line"


def _markdown(root: Path, rng: random.Random) -> str:
    path = rng.choice(_files(root, (".md",)))
    snippet = rng.choice(SNIPPETS)

    def change(lines: list[str]) -> None:
        lines.insert(rng.randrange(5, len(lines) + 1) if len(lines) > 5 else len(lines),
                     "\n" + snippet + "\n")  # fmt: skip

    _edit_text(path, rng, change)
    return f"{path.relative_to(root)}: insert {snippet[:30]!r}"


def _quiz_html(root: Path, rng: random.Random) -> str:
    path = root / "quiz.yaml"
    snippet = rng.choice(SNIPPETS[:8]).replace('"', "'")

    def change(lines: list[str]) -> None:
        keyed = [i for i, ln in enumerate(lines) if ln.strip().startswith(("prompt:", "text:"))]
        if keyed:
            i = rng.choice(keyed)
            key, _, _ = lines[i].partition(":")
            lines[i] = f'{key}: "{snippet}"\n'

    _edit_text(path, rng, change)
    return f"quiz.yaml: HTML {snippet[:30]!r}"


def _file(root: Path, rng: random.Random) -> str:
    candidates = [p for p in root.rglob("*") if p.is_file()]
    path = rng.choice(candidates)
    how = rng.choice(["remove", "folder", "bad-utf8", "bom", "crlf", "empty", "nul", "latin1"])
    data = path.read_bytes()
    if how == "remove":
        path.unlink()
    elif how == "folder":
        path.unlink()
        path.mkdir()
        (path / "inside.txt").write_text("x")
    elif how == "bad-utf8":
        at = rng.randrange(len(data) + 1)
        path.write_bytes(data[:at] + b"\xff\xfe\xc3" + data[at:])
    elif how == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + data)
    elif how == "crlf":
        path.write_bytes(data.replace(b"\n", b"\r\n"))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "nul":
        at = rng.randrange(len(data) + 1)
        path.write_bytes(data[:at] + b"\x00" + data[at:])
    else:
        path.write_bytes(data.decode("utf-8", "replace").encode("latin-1", "replace"))
    return f"{path.relative_to(root)}: {how}"


def _extra(root: Path, rng: random.Random) -> str:
    how = rng.choice(["page-folder", "page-dangling", "media-outside", "media-control", "alias"])
    if how == "page-folder":
        (root / "pages" / "50-folder.md").mkdir(parents=True, exist_ok=True)
    elif how == "page-dangling":
        (root / "pages").mkdir(exist_ok=True)
        os.symlink(root / "nowhere.md", root / "pages" / "51-dangling.md")
    elif how == "media-outside":
        (root / "media").mkdir(exist_ok=True)
        os.symlink("/etc/passwd", root / "media" / "passwd.txt")
    elif how == "media-control":
        (root / "media").mkdir(exist_ok=True)
        (root / "media" / "bad\x07name.svg").write_text("<svg/>")
    else:
        path = rng.choice(_files(root, (".md",)) or [root / "course.yaml"])
        bomb = "".join(f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]\n" for i in
                       range(1, 9))  # fmt: skip
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            path.write_text(text.replace("---\n", "---\nb0: &b0 x\n" + bomb, 1), encoding="utf-8")
        else:
            path.write_text("b0: &b0 x\n" + bomb + text, encoding="utf-8")
    return how


MUTATIONS = [_yaml_value, _yaml_line, _markdown, _quiz_html, _file, _extra]
WEIGHTS = [4, 3, 3, 1, 2, 1]


def _dist_state(dist: Path) -> dict[str, str]:
    return {
        str(p.relative_to(dist)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(dist.rglob("*"))
        if p.is_file()
    }


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def run_case(case: int, seed: int, work: Path) -> Outcome:
    """One mutated copy of a source, built into a dist/ that already holds a package."""
    rng = random.Random(seed * 1_000_003 + case)
    name = rng.choice(sorted(SOURCES))
    folder = work / f"case{case}"
    root = folder / "course_src"
    shutil.copytree(SOURCES[name], root, symlinks=True)
    outcome = Outcome(case, name, [])
    for _ in range(rng.choice([1, 1, 2, 3])):
        mutate = rng.choices(MUTATIONS, WEIGHTS)[0]
        try:
            outcome.mutations.append(mutate(root, rng))
        except (OSError, IndexError, ValueError, UnicodeDecodeError):
            outcome.mutations.append(f"{mutate.__name__}: could not apply")
    dist = folder / "dist"
    dist.mkdir()
    (dist / "earlier-scorm12.zip").write_bytes(b"an earlier build")
    before = _dist_state(dist)
    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, SLOW * 4)  # CPU seconds
    start, cpu = time.perf_counter(), time.process_time()
    try:
        build(root, dist)
        outcome.built = True
    except CourseError as exc:
        outcome.problems = len(exc.problems)
        outcome.no_line = [str(p) for p in exc.problems if not _placed(p)]
        outcome.dist_changed = _dist_state(dist) != before
    except _Timeout:
        outcome.traceback = f"no result after {SLOW * 4} s of CPU"
    except BaseException:  # noqa: BLE001 - any other exception is what the fuzzer looks for
        outcome.traceback = traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)
        outcome.seconds = time.process_time() - cpu
        outcome.wall = time.perf_counter() - start
    shutil.rmtree(folder, ignore_errors=True)
    return outcome


# Problems about a file as a whole (it is missing, a folder, a bad link, unreadable, or its
# name is wrong): the only ones with no line to point at.
WHOLE_FILE = ("not found", "is a folder", "is a link", "is not a regular file",
              "cannot be read", "page file names", "page id", "its name", "no pages")  # fmt: skip


def _placed(problem) -> bool:
    """A problem names its file, and a line unless it is about the file as a whole."""
    return bool(problem.file) and (
        problem.line > 0 or any(w in problem.message for w in WHOLE_FILE)
    )


def run_cases(cases: int, seed: int) -> Iterator[Outcome]:
    with tempfile.TemporaryDirectory(prefix="lmspack-fuzz-") as tmp:
        for case in range(cases):
            yield run_case(case, seed, Path(tmp))
