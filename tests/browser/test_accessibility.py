"""WCAG 2.2 AA checks with the package running in a frame, as an LMS shows it.

axe-core is injected into every frame and reports zero violations on every page and in
every quiz state; the whole course is completed with the keyboard alone; nothing scrolls
sideways at 320 CSS px; with JavaScript off every page is still there to read.
"""

from __future__ import annotations

import pytest

from .conftest import Keyboard, Learner, Lms, axe_violations, certified_state

pytestmark = pytest.mark.browser


class Audit:
    def __init__(self, page):
        self.page = page
        self.found: dict[str, list[str]] = {}
        self.states: list[str] = []

    def __call__(self, state: str) -> None:
        self.states.append(state)
        violations = axe_violations(self.page)
        if violations:
            self.found[state] = violations

    def assert_clean(self) -> None:
        assert not self.found, "axe violations:\n" + "\n".join(
            f"[{state}] {v}" for state, vs in self.found.items() for v in vs)


def test_axe_every_page_and_quiz_state(lms_factory, course):
    lms = lms_factory("scorm2004").start()
    learner = Learner(lms, course)
    f = learner.f
    audit = Audit(lms.page)
    audit("first page")
    f.locator("#lp-menu > summary").click()
    audit("page menu open")
    f.locator("#lp-menu > summary").click()
    qs = course.quiz.questions
    for item in course.nav:
        if learner.current() != f"page-{item.id}":
            learner.next()
        if item.kind == "page" and item.id != course.nav[0].id:
            audit(f"page {item.id}")
        elif item.kind == "quiz":
            audit("quiz unanswered")
            f.locator(f'.qnav a[data-question="{qs[4].id}"]').click()
            audit("quiz: question 5 from the list of questions")
            f.locator("#lp-qprev").click()
            f.locator(f'.qnav a[data-question="{qs[0].id}"]').click()
            f.locator(f"#question-{qs[0].id} button.check").click()
            f.locator(f"#qe-{qs[0].id}").wait_for(state="visible")
            audit("quiz: checked with nothing chosen")
            learner.answer(qs[0], correct=False)
            audit("quiz: answered wrong, feedback shown")
            learner.answer(qs[1], correct=True)
            audit("quiz: answered right, feedback shown")
            for q in qs[2:]:
                learner.answer(q, correct=q.outcome not in ("LO2", "LO3"))
            assert "not passed" in f.locator("#lp-quiz-result").inner_text()
            audit("quiz failed")
            f.locator("#lp-retake").click()
            audit("quiz retake, unanswered")
            for q in qs:
                learner.answer(q)
            assert "You passed." in f.locator("#lp-quiz-result").inner_text()
            audit("quiz passed")
        elif item.kind == "evaluation":
            audit("evaluation")
            f.locator("#lp-evaluation button[type=submit]").click()
            audit("evaluation with errors")
            learner.evaluate_course()
            audit("evaluation sent")
    learner.next()
    audit("results")
    f.locator("#lp-cert-actions a").click()
    f.locator("#page-certificate").wait_for(state="visible")
    audit("certificate")
    audit.assert_clean()
    assert len(audit.states) >= len(course.nav) + 10


def test_axe_preview_panel_and_missing_lms_notice(lms_factory, page, server, course):
    lms = lms_factory("local").start()
    learner = Learner(lms, course)
    learner.go("quiz")
    learner.answer(course.quiz.questions[0])
    learner.f.locator("#lp-lms > summary").click()
    audit = Audit(page)
    audit("preview with LMS data panel open")
    page.goto(f"{server}/pkg/scorm12/index.html")  # no LMS anywhere: a notice
    page.locator("#lp-notice").wait_for(state="visible")
    audit("no LMS found notice")
    audit.assert_clean()


def test_reflows_at_320_css_pixels(lms_factory, course):
    lms = lms_factory("scorm12")
    lms.page.set_viewport_size({"width": 320, "height": 640})
    lms.start()
    learner = Learner(lms, course)
    wide = []

    def check(state: str) -> None:
        width = lms.sco.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if width[0] > width[1]:
            wide.append(f"{state}: {width[0]}px content in {width[1]}px")

    check("first page")
    for item in course.nav[1:]:
        learner.next()
        if item.kind == "quiz":
            for i, q in enumerate(course.quiz.questions):
                learner.answer(q, correct=i != 0)
        check(item.id)
    learner.evaluate_course()
    learner.next()
    check("results")
    learner.f.locator("#lp-cert-actions a").click()
    check("certificate")
    assert not wide, wide


def test_whole_course_with_the_keyboard_alone(lms_factory, course):
    """Tab, Shift+Tab, Space, Enter and arrow keys only; focus goes to each new page's h1."""
    lms = lms_factory("scorm12").start()
    sco = lms.sco
    kb = lms.page.keyboard
    active = "document.activeElement ? document.activeElement.id : ''"

    keys = Keyboard(lms)
    tab_to = keys.tab_to

    def next_page(expected: str) -> None:
        tab_to("lp-next")
        kb.press("Enter")
        assert sco.evaluate(active) == f"h-{expected}", "focus should move to the new h1"

    kb.press("Tab")  # from the LMS page into the frame: the skip link comes first
    assert "skip-link" in sco.evaluate("document.activeElement.className")
    kb.press("Enter")
    assert sco.evaluate(active) == f"h-{course.nav[0].id}"

    for i, item in enumerate(course.nav):
        if i == 1:  # Shift+Tab from Next reaches Previous, which goes back a page
            tab_to("lp-next")
            kb.press("Shift+Tab")
            assert sco.evaluate(active) == "lp-prev"
            kb.press("Enter")
            assert sco.evaluate(active) == f"h-{course.nav[0].id}"
            next_page(item.id)
        if item.kind == "page":
            for r in course.reflections_for(item.id):
                tab_to(f"r-{r.id}")
                kb.type("Typed with the keyboard.")
        elif item.kind == "quiz":
            for n, q in enumerate(course.quiz.questions):
                if n:  # one question at a time: Next question, and focus on its heading
                    tab_to("lp-qnext")
                    kb.press("Enter")
                    assert sco.evaluate(active) == f"qh-{q.id}"
                keys.answer(q)
            assert "You passed." in lms.frame.locator("#lp-quiz-result").inner_text()
        else:
            for e in course.evaluation.questions:
                if e.type == "text":
                    tab_to(f"e-{e.id}")
                    kb.type("Thank you.")
                else:
                    tab_to(f"e-{e.id}-yes" if e.type == "yes-no" else f"e-{e.id}-1")
                    kb.press("Space")
                    for _ in range(3 if e.type == "rating" else 0):
                        kb.press("ArrowRight")
            tab_to("lp-evaluation-send")
            kb.press("Enter")
            lms.frame.locator("#lp-evaluation-status .verdict").wait_for()
        next_page(course.nav[i + 1].id if i + 1 < len(course.nav) else "results")

    tab_to("lp-cert-link")
    kb.press("Enter")
    assert sco.evaluate(active) == "h-certificate"
    assert lms.frame.locator("#lp-cert-name").inner_text() == "Grace Okafor"
    tab_to("lp-print", back=True)  # the print button sits above the certificate
    lms.unload()
    assert lms.last("cmi.core.lesson_status") == "passed"
    assert lms.last("cmi.core.score.raw") == "100"


def test_readable_without_javascript(browser, server, course):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server}/pkg/scorm12/index.html")
        for item in course.nav:
            section = page.locator(f"#page-{item.id}")
            assert section.is_visible()
            assert section.locator("h1").inner_text() == item.title
        assert page.get_by_text("The quiz needs JavaScript").is_visible()
        for q in course.quiz.questions:  # one at a time only with JavaScript
            assert page.locator(f"#question-{q.id}").is_visible()
        assert page.locator(".qnav a").count() == len(course.quiz.questions)
        assert not page.locator("#lp-qnext").is_visible()
        assert not page.locator("button.check").first.is_visible()
        assert page.locator("html").get_attribute("lang") == course.language
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_cover_quiz_list_results_certificate_and_resume(page, server, course, width):
    """The new states, with a cover image, at 1280 and 320 CSS px: the cover (Start), a
    question from the list, the quiz's result with a bar per outcome, the results page, the
    certificate, and the cover with Continue where you left off; nothing scrolls sideways."""
    page.set_viewport_size({"width": width, "height": 800})
    lms = Lms(page, server, "scorm2004", pkg="cover").start()
    learner = Learner(lms, course)
    audit = Audit(page)
    wide: list[str] = []

    def check(state: str) -> None:
        audit(state)
        w = lms.sco.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if w[0] > w[1]:
            wide.append(f"{state}: {w[0]}px content in {w[1]}px")

    check("cover")
    qs = course.quiz.questions
    learner.go("quiz")
    learner.answer(qs[0], correct=False)
    learner.answer(qs[3])
    check("question from the list, answered")
    lms.unload()
    done = {"suspend_data": certified_state(course, name="Grace Okafor"), "location": "quiz"}
    lms.start(preload=done)  # a returning learner who has done everything
    learner.f.locator("#lp-quiz-result .bars").wait_for()
    check("quiz result, a bar per outcome")
    learner.go("results")
    check("results")
    learner.f.locator("#lp-cert-actions a").click()
    learner.f.locator("#page-certificate").wait_for(state="visible")
    check("certificate")
    learner.go(course.nav[0].id)
    assert learner.f.locator("#lp-continue").is_visible()
    check("cover: continue where you left off")
    audit.assert_clean()
    assert not wide, wide


MEASURE = """() => {
  const sec = document.querySelector('main > section.step:not([hidden])');
  const size = (sel) => parseFloat(getComputedStyle(sec.querySelector(sel)).fontSize);
  // characters per line: the longest paragraph's text over its full lines (a Range's
  // rectangles, one or more per line, grouped by their top)
  const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; };
  const paras = [...sec.querySelectorAll('.content > p')];
  const p = paras.sort((a, b) => lines(b) - lines(a))[0];
  const perLine = p.textContent.length / (lines(p) - 0.5);
  const label = sec.querySelector('.reflections .field');
  return {h1: size('h1'), h2: size('.content h2'), text: p.getBoundingClientRect().width,
          perLine, field: label.getBoundingClientRect().width};
}"""


@pytest.mark.parametrize("width", [320, 1280])
def test_type_scale_and_line_length(lms_factory, course, width):
    """h2 clearly smaller than h1 at every width; lines of about 65 characters on a desktop
    (counted: the characters of the longest paragraph over its lines; main had 80);
    at 320 px no box inside a box: text and reflections keep the width of the screen."""
    lms = lms_factory("scorm2004")
    lms.page.set_viewport_size({"width": width, "height": 800})
    page_id = course.nav[1].id
    assert course.reflections_for(page_id)
    lms.start(hash=f"#page-{page_id}")
    m = lms.sco.evaluate(MEASURE)
    assert m["h1"] >= 1.2 * m["h2"], m
    if width == 320:
        assert m["text"] >= 280 and m["field"] >= 280, m  # 320 less 2 x 1rem of the page
    else:
        assert 58 <= m["perLine"] <= 72, m
