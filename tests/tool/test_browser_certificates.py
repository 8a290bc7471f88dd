"""Issue 5 in Chromium: the learner completes the course through the tool and the `lti`
adapter shows the issued certificate's links; axe-core (WCAG 2.2 AA) finds nothing on the
verification pages, the CPD record, and the admin report pages; those pages work at 320 px
(no page-level horizontal scrolling; wide tables scroll inside a focusable region)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_axe_clean, new_page

from .api_client import complete_course, launch_token, learner_api, post_admin_form
from .test_browser_lti import _context, _launch, axe_violations, in_chromium  # noqa: F401
from .workshop import book_and_attend, finish_workshop

pytestmark = pytest.mark.browser


def test_certificate_pages_are_axe_clean_and_work_at_320px(
    in_chromium, tool, platform, monkeypatch  # noqa: F811
):
    from lmspack.tool import reports

    learner = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    platform.services.roster["axc"] = [
        {"user_id": "axe-cert", "name": "Axe Cert", "roles": [learner]},
        {"user_id": "axe-roster", "name": "Roster Only", "roles": [learner]},
    ]
    api = learner_api(tool, platform, user="axe-cert", context="axc", link="axl")
    complete_course(api)
    two = learner_api(tool, platform, user="axe-two", context="axc", link="axl")
    complete_course(two)
    monkeypatch.setattr(reports, "COMMENTS_PER_PAGE", 1)  # the comments' pager shows
    cert = finish_workshop(tool, api)
    sid = book_and_attend(tool, two)
    teacher = launch_token(platform, user="axe-t", role="instructor", context="axc", link="axl")
    ctx = __import__("jwt").decode(teacher, options={"verify_signature": False})["ctx"]
    r = post_admin_form(tool, f"/admin/{ctx}/completions", f"/admin/{ctx}/roster", teacher, {})
    assert r.status_code == 200  # roster fetched: a roster-only row on the session page
    pages = {
        "verify (valid)": cert["urls"]["verify"],
        "verify form": f"{tool.url}/verify",
        "verify (unknown)": f"{tool.url}/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ",
        "CPD record": f"{tool.url}/record?t={api.token}",
        "completion report": f"{tool.url}/admin/{ctx}/completions?t={teacher}",
        "outcomes report": f"{tool.url}/admin/{ctx}/outcomes?t={teacher}",
        "evaluation report": f"{tool.url}/admin/{ctx}/evaluation?t={teacher}",
        "certificate admin": f"{tool.url}/admin/{ctx}/certificates/{cert['code']}?t={teacher}",
        "admin overview": f"{tool.url}/admin/{ctx}?t={teacher}",
        "live session": f"{tool.url}/admin/{ctx}/sessions/{sid}?t={teacher}",
    }
    import requests

    assert "Page 1 of 2" in requests.get(pages["evaluation report"], timeout=20).text
    assert 'for="walk-m' in requests.get(pages["live session"], timeout=20).text
    in_chromium(lambda chromium: _check(chromium, tool, platform, pages))


def _check(chromium, tool, platform, pages):
    found: dict[str, list[str]] = {}
    narrow: dict[str, int] = {}
    for width in (1280, 320):
        ctx, page, errors = new_page(chromium, width, 800)
        try:
            for label, url in pages.items():
                page.goto(url)
                page.locator("h1").wait_for()
                for v in axe_violations(page):
                    found.setdefault(f"{label} @{width}px", []).append(v)
                if width == 320:
                    over = page.evaluate("document.documentElement.scrollWidth")
                    if over > 320:
                        narrow[label] = over
            assert not errors, errors
        finally:
            ctx.close()
    assert_axe_clean(found)
    assert not narrow, f"pages wider than 320 px: {narrow}"


def test_the_lti_player_links_the_issued_certificate(in_chromium, tool, platform):  # noqa: F811
    def run(chromium):
        ctx, page, errors, _ = _context(chromium)
        try:
            _launch(page, platform, user="player-cert", role="learner", context="pc", link="pl")
            # finish the course through the API with the same launch, then reload the page
            token = page.evaluate(
                "JSON.parse(document.getElementById('lmspack-data').textContent).launch.token"
            )
            from .api_client import Api

            complete_course(Api(tool.url, token))
            finish_workshop(tool, Api(tool.url, token))
            page.reload()
            page.locator("html.ready").wait_for(state="attached")
            links = page.locator("#lp-tool-cert a")
            links.first.wait_for(state="attached")
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            assert any("/verify/" in h for h in hrefs), hrefs
            assert any(h.endswith(".pdf") for h in hrefs) and any("/record?t=" in h for h in hrefs)
            assert not errors, errors
        finally:
            ctx.close()

    in_chromium(run)


def test_the_cpd_record_keeps_its_token_out_of_the_address(in_chromium, tool, platform):  # noqa: F811
    """The CPD record opens in a new tab with the token in its address: the page takes it
    out (a copied link doesn't show someone else the learner's reflections), a reload carries
    on, the downloads still work, and the same address in another tab gets the 401 page."""
    api = learner_api(tool, platform, user="rec-addr", context="rac", link="ral")
    complete_course(api)

    def run(chromium):
        ctx, page, errors, _ = _context(chromium)
        try:
            page.goto(f"{tool.url}/record?t={api.token}")
            page.wait_for_url(lambda u: "t=" not in u)
            assert page.url == f"{tool.url}/record"
            stored = page.evaluate("sessionStorage.getItem('lmspack-launch:/record')")
            assert stored == api.token
            with page.expect_download() as download:
                page.get_by_role("link", name="PDF").click()
            assert download.value.suggested_filename == "cpd-record.pdf"
            assert download.value.failure() is None
            page.reload()
            page.wait_for_url(lambda u: "t=" not in u)
            assert page.locator("h1").inner_text() == "My CPD record"
            other = ctx.new_page()
            assert other.goto(f"{tool.url}/record").status == 401
            assert "launch from your course page" in other.locator("body").inner_text()
            assert not errors, errors
        finally:
            ctx.close()

    in_chromium(run)
