"""Issue 14, the tool's pages in Chromium as Moodle shows them (inside the platform's iframe,
as wide as the window): axe-core (WCAG 2.2 AA) finds nothing on any admin page or learner
tool page at 1280 and 320 px, and none scrolls sideways; the completion page's headline
figures and chart say the seeded numbers; the charts switch to system colours in forced-colors
mode; revoking a certificate needs its confirmation ticked, without JavaScript."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_axe_clean, axe_in_frame, new_page

from .api_client import complete_course, launch_token, learner_api
from .platform import TestPlatform
from .screens import WIDTHS, open_framed, seed
from .test_browser_lti import in_chromium  # noqa: F401
from .workshop import finish_workshop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(tool):
    """One platform and context with learners in every status, for the whole module."""
    platform = TestPlatform(tool.url)
    tool.register(platform)
    screens = seed(tool, platform)
    yield platform, screens
    platform.stop()


def _figures(frame) -> dict[str, int]:
    items = frame.locator(".figures .figure")
    return {
        items.nth(i).locator(".figure-label").inner_text(): int(
            items.nth(i).locator(".figure-value").inner_text()
        )
        for i in range(items.count())
    }


def test_tool_pages_are_axe_clean_in_the_frame_at_1280_and_320(in_chromium, seeded):  # noqa: F811
    platform, screens = seeded
    pages = {k: v for k, v in screens.pages.items() if k != "course page"}  # the player's own

    def run(chromium):
        found: dict[str, list[str]] = {}
        wide: dict[str, int] = {}
        for width in WIDTHS:
            ctx, page, errors = new_page(chromium, width, 800)
            try:
                for label, url in pages.items():
                    frame = open_framed(page, platform, url)
                    assert frame.evaluate("location.origin") != page.evaluate("location.origin")
                    found[f"{label} @{width}px"] = axe_in_frame(frame)
                    scroll = frame.evaluate("document.documentElement.scrollWidth")
                    if scroll > width:
                        wide[f"{label} @{width}px"] = scroll
                    if label == "completion report":
                        _check_completion(frame)
                assert not errors, errors
            finally:
                ctx.close()
        assert_axe_clean(found)
        assert not wide, f"pages wider than the window: {wide}"
        assert len(found) == 2 * len(pages) and any("sessions" in k for k in found)

    in_chromium(run)


def _check_completion(frame) -> None:
    """Six on the roster: one certified, one passed (certificate revoked), one not passed,
    one in progress, two who never opened it."""
    assert _figures(frame) == {"Learners": 6, "Completed": 2, "Certified": 1, "Not started": 2}
    shares = frame.locator(".figures .figure-share").all_inner_texts()
    assert shares == ["33% of learners", "17% of learners", "33% of learners"]
    desc = frame.locator("#trend-desc").inner_text()
    assert "2 passed and 1 certified by" in desc, desc
    svg = frame.locator("svg.trend-plot")
    assert svg.get_attribute("role") == "img"
    assert svg.get_attribute("aria-labelledby") == "trend-caption trend-desc"
    last_row = frame.locator("#trend-table-caption ~ tbody tr").last.locator("td")
    assert last_row.all_text_contents() == ["2", "1"]  # in the closed <details>
    badges = frame.locator("tbody .badge").all_inner_texts()
    assert sorted(badges) == sorted(
        ["Certified", "Passed", "Not passed", "In progress", "Not started", "Not started"]
    )
    assert frame.locator("thead th").first.evaluate("e => getComputedStyle(e).position") == "sticky"
    score = frame.locator("thead th", has_text="Score")
    assert score.evaluate("e => getComputedStyle(e).textAlign") == "right"


def test_charts_use_system_colours_in_forced_colors_mode(in_chromium, seeded):  # noqa: F811
    platform, screens = seeded

    def run(chromium):
        ctx = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        try:
            for forced in ("none", "active"):
                page.emulate_media(forced_colors=forced)
                for label, selector in (
                    ("outcomes report", ".bar-list .fill"),
                    ("completion report", ".trend-plot .area"),
                    ("completion report", ".trend-plot .line.certified"),
                ):
                    frame = open_framed(page, platform, screens.admin[label])
                    prop = "stroke" if ".line" in selector else "fill"
                    fill, text = frame.locator(selector).first.evaluate(
                        "(e, p) => [getComputedStyle(e)[p], getComputedStyle(document.body).color]",
                        prop,
                    )
                    brand = frame.evaluate(
                        "getComputedStyle(document.documentElement).getPropertyValue('--brand')"
                    )
                    if forced == "active":  # CanvasText: the text's own colour
                        assert fill == text, (label, fill, text)
                    elif prop == "fill":
                        assert brand.strip() == "#0b5563" and fill == "rgb(11, 85, 99)", fill
                    else:  # the player's --ok
                        assert fill == "rgb(27, 106, 52)", fill
        finally:
            ctx.close()

    in_chromium(run)


def test_revoking_needs_the_confirmation_ticked(in_chromium, tool, seeded):  # noqa: F811
    platform, _screens = seeded
    api = learner_api(tool, platform, user="rv-learner", context="rvc", link="rvl")
    complete_course(api)
    code = finish_workshop(tool, api)["code"]
    teacher = launch_token(platform, user="rv-t", role="instructor", context="rvc", link="rvl")
    ctx_id = __import__("jwt").decode(teacher, options={"verify_signature": False})["ctx"]
    url = f"{tool.url}/admin/{ctx_id}/certificates/{code}?t={teacher}"

    def run(chromium):
        viewport = {"width": 320, "height": 800}
        ctx = chromium.new_context(viewport=viewport, java_script_enabled=False)
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        try:
            frame = open_framed(page, platform, url)
            button = frame.get_by_role("button", name="Revoke this certificate")
            assert "danger" in button.get_attribute("class")
            frame.get_by_label("Reason").first.fill("Issued to the wrong person")
            button.click()  # not ticked: the browser keeps the form
            page.wait_for_timeout(300)
            assert frame.locator("#revoke-confirm").evaluate("e => e.validity.valueMissing")
            assert "?done=revoked" not in frame.url
            assert api.get("/attempt").json()["certificate"]["revoked"] is False
            frame.get_by_label("I understand").check()
            with frame.expect_navigation():
                button.click()
            assert "done=revoked" in frame.url
            assert frame.get_by_role("status").inner_text() == "The certificate was revoked."
            assert frame.locator(".badge", has_text="Revoked").count() == 1
            assert frame.get_by_role("button", name="Revoke this certificate").count() == 0
        finally:
            ctx.close()

    in_chromium(run)
    assert api.get("/attempt").json()["certificate"]["revoked"] is True


def test_the_completion_tables_headers_stay_in_view(in_chromium, seeded):  # noqa: F811
    """The table scrolls inside its region (75% of the window high); its header row stays
    at the region's top while the rows scroll under it."""
    platform, screens = seeded

    def run(chromium):
        ctx = chromium.new_context(viewport={"width": 1280, "height": 400})
        page = ctx.new_page()
        try:
            frame = open_framed(page, platform, screens.admin["completion report"])
            region = frame.locator('[aria-labelledby="completion-caption"]')
            header = region.locator("thead th").first
            first_row = region.locator("tbody tr").first
            assert region.evaluate("e => e.scrollHeight > e.clientHeight")
            region.evaluate("e => { e.scrollTop = 150; }")
            top = region.evaluate("e => e.getBoundingClientRect().top + e.clientTop")
            assert abs(header.evaluate("e => e.getBoundingClientRect().top") - top) < 1
            assert first_row.evaluate("e => e.getBoundingClientRect().top") < top
        finally:
            ctx.close()

    in_chromium(run)
