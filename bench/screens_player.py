"""Screenshots of every learner state of the player, at 1280 and 320 CSS px, with axe-core's
WCAG 2.2 AA violations counted on each (in the frame, as an LMS shows the package).

    .venv/bin/python bench/screens_player.py [/tmp/screens/player]

The SCORM 2004 package of the workshop course, with a cover (tests/browser/cover_course.py),
runs in scorm-again's runtime (npm ci) in Chromium (/usr/bin/chromium). Writes
<width>-<state>.png and prints one line per screen; exits 1 if any screen has a violation.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import threading
import zipfile
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lmspack.build import build  # noqa: E402
from lmspack.course import load_course  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    COURSE_DIR,
    HARNESS,
    SCORM_AGAIN,
    Learner,
    Lms,
    _QuietHandler,
    axe_violations,
)
from tests.browser.cover_course import course_with_cover  # noqa: E402

WIDTHS = {1280: 900, 320: 640}


def site(root: Path) -> None:
    shutil.copy(HARNESS, root / "harness.html")
    (root / "vendor").mkdir()
    for part in (SCORM_AGAIN, AXE):
        shutil.copy(part, root / "vendor" / part.name)
    src = course_with_cover(COURSE_DIR, root / "src")
    for pkg in build(src, root / "dist", formats=("scorm2004",)):
        with zipfile.ZipFile(pkg.path) as zf:
            zf.extractall(root / "pkg" / "cover")


class Shots:
    def __init__(self, page, out: Path, width: int):
        self.page, self.out, self.width = page, out, width
        self.counts: dict[str, int] = {}

    def __call__(self, state: str, lms: Lms) -> None:
        violations = axe_violations(self.page)
        self.counts[state] = len(violations)
        height = lms.sco.evaluate("document.documentElement.scrollHeight")
        self.page.evaluate("h => { document.getElementById('sco').style.height = h + 'px' }",
                           height)
        self.page.screenshot(path=str(self.out / f"{self.width}-{state}.png"), full_page=True)
        self.page.evaluate("() => { document.getElementById('sco').style.height = ''; }")
        print(f"{self.width:>5} {state:<18} axe violations: {len(violations)}")
        for v in violations:
            print(f"        {v}")


def walk(browser, base: str, out: Path, width: int, course) -> dict[str, int]:
    ctx = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    shot = Shots(page, out, width)
    lms = Lms(page, base, "scorm2004", pkg="cover").start()
    learner = Learner(lms, course)
    f = learner.f
    qs = course.quiz.questions
    shot("cover", lms)
    learner.next()
    learner.reflect(lambda rid: "Silence at the door can be a way of keeping safe.")
    shot("page", lms)
    learner.go("quiz")
    shot("question", lms)
    learner.answer(qs[0], correct=False)
    shot("question-feedback", lms)
    for i, q in enumerate(qs[1:6]):
        learner.answer(q, correct=i % 3 != 0)
    f.locator("#lp-qnext").click()
    f.locator(".qnav").scroll_into_view_if_needed()
    shot("navigator", lms)
    for q in qs[6:]:
        learner.answer(q, correct=q.outcome != "LO3")
    shot("quiz-result", lms)
    f.locator("#lp-retake").click()
    for q in qs:
        learner.answer(q)
    for item in course.nav:
        if item.kind == "page":
            learner.go(item.id)
    learner.go("evaluation")
    learner.evaluate_course()
    learner.go("results")
    shot("results", lms)
    f.locator("#lp-cert-actions a").click()
    f.locator("#page-certificate").wait_for(state="visible")
    shot("certificate", lms)
    learner.go(course.nav[2].id)
    lms.unload()
    lms.start(preload=lms.data())  # a returning learner, back on the bookmarked page
    learner.go(course.nav[0].id)
    shot("resume", lms)
    ctx.close()
    return shot.counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="/tmp/screens/player")
    out = Path(ap.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        site(root)
        course = load_course(root / "src")
        httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
        )
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        counts = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for width in WIDTHS:
                counts[width] = walk(browser, base, out, width, course)
            browser.close()
        httpd.shutdown()
    total = sum(sum(c.values()) for c in counts.values())
    screens = sum(len(c) for c in counts.values())
    print(f"{screens} screens in {out}; axe violations in all: {total}")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
