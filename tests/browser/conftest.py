"""Browser tests: the built packages run in Debian's Chromium inside a stand-in LMS.

The LMS is real code: scorm-again's runtime (from npm) on `window.API` / `window.API_1484_11`
in a parent page (harness.html), the extracted package in an iframe, everything served over
http on 127.0.0.1. One browser per session; each test gets a fresh context.

Without Chromium or the npm packages these tests skip, except when CI is set: then they fail.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lmspack.course import Course, load_course

from ..conftest import require
from .cover_course import course_with_cover

ROOT = Path(__file__).resolve().parents[2]
COURSE_DIR = ROOT / "course_src"
CHROMIUM = Path(os.environ.get("LMSPACK_CHROMIUM", "/usr/bin/chromium"))
NODE_MODULES = ROOT / "node_modules"
SCORM_AGAIN = NODE_MODULES / "scorm-again" / "dist" / "scorm-again.min.js"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
HARNESS = Path(__file__).with_name("harness.html")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LEARNER = "Okafor, Grace"  # the LMS gives "Last, First"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page: axe is injected into every frame and
    run from the top page, each frame reporting its part (iframes: true)."""
    source = AXE.read_text(encoding="utf-8")
    for frame in page.frames:
        if frame.url.startswith("http") and not frame.evaluate("typeof window.axe === 'object'"):
            frame.evaluate(source)
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: true,
                                      resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return _violations(result)


def axe_in_frame(frame) -> list[str]:
    """`axe_violations` of one frame's document only (a tool page inside the platform's)."""
    if not frame.evaluate("typeof window.axe === 'object'"):
        frame.evaluate(AXE.read_text(encoding="utf-8"))
    result = frame.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return _violations(result)


def _violations(result: dict) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:4])
        for v in result["violations"]
    ]


def assert_axe_clean(found: dict[str, list[str]]) -> None:
    """Every page axe-core checked ({which page: violations}) had none."""
    bad = {k: v for k, v in found.items() if v}
    assert not bad, "axe violations:\n" + "\n".join(
        f"[{k}] {x}" for k, vs in bad.items() for x in vs
    )


def new_page(chromium, width: int, height: int):
    """A fresh browser context and page: (context, page, the page's script errors)."""
    ctx = chromium.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return ctx, page, errors


@pytest.fixture(scope="session")
def browser_parts() -> None:
    require(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    require(SCORM_AGAIN.is_file() and AXE.is_file(),
             "npm packages missing: run `npm ci` (scorm-again, axe-core)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "the Python package playwright is not installed")


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(COURSE_DIR)


@pytest.fixture(scope="session")
def site_root(browser_parts: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """harness.html, vendor/ (scorm-again, axe) and pkg/<format>/ (each zip, extracted)."""
    from lmspack.build import build
    from lmspack.render import render_site

    root = tmp_path_factory.mktemp("lms")
    shutil.copy(HARNESS, root / "harness.html")
    (root / "vendor").mkdir()
    shutil.copy(SCORM_AGAIN, root / "vendor" / SCORM_AGAIN.name)
    shutil.copy(AXE, root / "vendor" / AXE.name)
    for pkg in build(COURSE_DIR, root / "dist", formats=("scorm12", "scorm2004")):
        with zipfile.ZipFile(pkg.path) as zf:
            zf.extractall(root / "pkg" / pkg.format)
    covered = course_with_cover(COURSE_DIR, root / "src-cover")  # pkg/cover/: with a cover
    for pkg in build(covered, root / "dist-cover", formats=("scorm2004",)):
        with zipfile.ZipFile(pkg.path) as zf:
            zf.extractall(root / "pkg" / "cover")
    site = render_site(load_course(COURSE_DIR), "local")  # what `lmspack preview` serves
    for path in site:
        target = root / "pkg" / "local" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(site[path])
    return root


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def server(site_root: Path) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_QuietHandler, directory=str(site_root)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser(browser_parts: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@dataclass
class Lms:
    """The stand-in LMS page, with the package running in its iframe."""

    page: Any
    base: str
    std: str  # scorm12 | scorm2004 | local
    preloaded: dict[str, int] = field(default_factory=dict)  # rows the LMS held at launch
    pkg: str = ""  # the folder under pkg/ (default: the standard's own package)

    def start(self, preload: dict | None = None, name: str = LEARNER, hash: str = "") -> Lms:
        self.preloaded = {a: len(_rows((preload or {}).get(a)))
                          for a in ("interactions", "objectives", "comments_from_learner")}
        self.page.goto(f"{self.base}/harness.html")
        api_std = "scorm2004" if self.std == "local" else self.std
        self.page.evaluate("([s, src, pre, name]) => lmsStart(s, src, pre, name)",
                           [api_std, f"/pkg/{self.pkg or self.std}/index.html{hash}", preload,
                            name])
        self.frame.locator("html.ready").wait_for(state="attached")
        return self

    @property
    def frame(self) -> Any:
        return self.page.frame_locator("#sco")

    @property
    def sco(self) -> Any:
        """The package's Frame, for evaluate()."""
        return self.page.frame(name="sco")

    @property
    def v12(self) -> bool:
        return self.std == "scorm12"

    def data(self) -> dict:
        return self.page.evaluate("lmsData()")["cmi"]

    def calls(self) -> list[dict]:
        return self.page.evaluate("lmsCalls")

    def sets(self) -> list[tuple[str, str]]:
        fn = "LMSSetValue" if self.v12 else "SetValue"
        return [(c["key"], c["value"]) for c in self.calls() if c["fn"] == fn]

    def last(self, key: str) -> str | None:
        """The last value the package set for `key`."""
        values = [v for k, v in self.sets() if k == key]
        return values[-1] if values else None

    def unload(self) -> None:
        """Leave the package (fires pagehide) and wait for it to finish the session."""
        self.page.evaluate("lmsUnload()")
        finish = "LMSFinish" if self.v12 else "Terminate"
        self.page.wait_for_function(f"lmsCalls.some(c => c.fn === {json.dumps(finish)})")


@pytest.fixture
def lms_factory(page: Any, server: str):
    return lambda std: Lms(page, server, std)


class Learner:
    """Works through the course in the iframe, reading the right answers from the model."""

    def __init__(self, lms: Lms, course: Course):
        self.lms = lms
        self.course = course
        self.f = lms.frame

    def current(self) -> str:
        return self.lms.sco.evaluate(
            "document.querySelector('main > section.step:not([hidden])').id")

    def next(self) -> None:
        before = self.current()
        self.f.locator("#lp-next").click()
        self.lms.sco.wait_for_function(
            f"document.querySelector('main > section.step:not([hidden])').id !== '{before}'")

    def go(self, step: str) -> None:
        """Through the page menu."""
        self.f.locator("#lp-menu > summary").click()
        self.f.locator(f'.menu-list a[data-step="{step}"]').click()
        self.f.locator(f"#page-{step}").wait_for(state="visible")

    def choice(self, q: Any, correct: bool) -> list[str]:
        if correct:
            return list(q.correct_ids)
        wrong = [o.id for o in q.options if not o.correct]
        return wrong[:1]

    def open_question(self, q: Any) -> None:
        """Show question `q` (one is shown at a time) through the list of questions."""
        if self.f.locator(f"#question-{q.id}").is_visible():
            return
        self.f.locator(f'.qnav a[data-question="{q.id}"]').click()
        self.f.locator(f"#question-{q.id}").wait_for(state="visible")
        assert self.lms.sco.evaluate("document.activeElement.id") == f"qh-{q.id}"

    def answer(self, q: Any, correct: bool = True) -> list[str]:
        """Answer question `q`, reached through the list of questions, and wait for feedback."""
        self.open_question(q)
        ids = self.choice(q, correct)
        for oid in ids:
            self.f.locator(f"#q-{q.id}-{oid}").check()
        self.f.locator(f"#question-{q.id} button.check").click()
        self.f.locator(f"#qfb-{q.id} .verdict").wait_for()
        return ids

    def reflect(self, text_for: Any) -> None:
        page_id = self.current().removeprefix("page-")
        for r in self.course.reflections_for(page_id):
            box = self.f.locator(f"#r-{r.id}")
            box.fill(text_for(r.id))
            box.blur()

    def evaluate_course(self, comment: str = "Clear and useful.") -> None:
        self.fill_evaluation(comment)
        self.f.locator("#lp-evaluation button[type=submit]").click()
        self.f.locator("#lp-evaluation-status .verdict").wait_for()

    def fill_evaluation(self, comment: str = "Clear and useful.") -> None:
        for e in self.course.evaluation.questions:
            if e.type == "yes-no":
                self.f.locator(f"#e-{e.id}-yes").check()
            elif e.type == "rating":
                self.f.locator(f"#e-{e.id}-4").check()
            else:
                box = self.f.locator(f"#e-{e.id}")
                box.fill(comment)
                box.blur()

    def complete(self, *, correct: bool | dict = True, text_for: Any = None,
                 comment: str = "Clear and useful.", stop_at: str | None = None) -> None:
        """From the first page to the results. `correct`: for all, or {question id: bool}."""
        text_for = text_for or (lambda rid: f"My reflection for {rid}.\nA second line.")
        for item in self.course.nav:
            assert self.current() == f"page-{item.id}"
            if item.id == stop_at:
                return
            if item.kind == "page":
                self.reflect(text_for)
            elif item.kind == "quiz":
                for q in self.course.quiz.questions:
                    ok = correct if isinstance(correct, bool) else correct.get(q.id, True)
                    self.answer(q, ok)
            else:
                self.evaluate_course(comment)
            self.next()
        assert self.current() == "page-results"


@pytest.fixture
def learner_for(course: Course):
    return lambda lms: Learner(lms, course)


class Keyboard:
    """Drives the package with the keyboard alone: Tab and Shift+Tab, Space, Enter, arrows."""

    def __init__(self, lms: Lms):
        self.lms = lms
        self.sco = lms.sco
        self.kb = lms.page.keyboard

    def active(self) -> str:
        return self.sco.evaluate("document.activeElement ? document.activeElement.id : ''")

    def tab_to(self, element_id: str, back: bool = False, limit: int = 150) -> None:
        for _ in range(limit):
            if self.active() == element_id:
                return
            self.kb.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"could not reach #{element_id} with the keyboard")

    def answer(self, q: Any) -> None:
        """Choose the right options of question `q` (shown), check it and wait for feedback."""
        ids = self.sco.evaluate(  # as shown: the options are shuffled for each try
            "q => [...document.querySelectorAll('#question-' + q + ' .option')]"
            ".map(o => o.dataset.option)",
            q.id,
        )
        if q.multiple:
            for oid in ids:
                self.tab_to(f"q-{q.id}-{oid}")
                if oid in q.correct_ids:
                    self.kb.press("Space")
        else:
            self.tab_to(f"q-{q.id}-{ids[0]}")
            self.kb.press("Space")  # choose the first option, then arrow to the right one
            for _ in range(ids.index(q.correct_ids[0])):
                self.kb.press("ArrowDown")
        self.tab_to(f"qc-{q.id}")
        self.kb.press("Enter")
        verdict = self.lms.frame.locator(f"#qfb-{q.id} .verdict")
        verdict.wait_for()
        assert verdict.inner_text() == "Your answer is correct."


def certified_state(course: Course, name: str = "") -> str:
    """The player's saved state (suspend_data) of a learner who has done everything: every
    page seen, every answer right, the evaluation sent; `name` as typed for the certificate."""
    state = {
        "v": 1, "loc": "results", "vis": "1" * (len(course.nav) + 1), "att": 1, "sh": 7,
        "a": {q.id: ",".join(q.correct_ids) + "+" for q in course.quiz.questions},
        "ev": {}, "t": {}, "evd": 1, "p": 1, "d": "2026-12-03",
        "last": {"s": 100, "o": {o.id: 100 for o in course.outcomes}},
    }  # fmt: skip
    if name:
        state["nm"] = name
    return json.dumps(state)


def interactions(cmi: dict) -> list[dict]:
    """scorm-again renders arrays as {"childArray": [...]} or as a list; normalise."""
    return _rows(cmi.get("interactions"))


def objectives(cmi: dict) -> list[dict]:
    return _rows(cmi.get("objectives"))


def _rows(value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):
        if "childArray" in value:
            return list(value["childArray"])
        keys = sorted((k for k in value if re.fullmatch(r"\d+", k)), key=int)
        return [value[k] for k in keys]
    return list(value)
