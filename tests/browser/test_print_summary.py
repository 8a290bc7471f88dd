"""The workshop's one-page summary is a page learners print or save as PDF: it must fit on
one A4 sheet, with the player's menus, pager and LMS panel left out, and all its text kept."""

from __future__ import annotations

import io
import re
import unicodedata

from pypdf import PdfReader


def test_summary_page_prints_on_one_a4_page(page, server, course) -> None:
    summary = next(p for p in course.pages if p.id == "summary")
    page.goto(f"{server}/pkg/local/index.html#page-summary")
    page.locator("#page-summary").wait_for(state="visible")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(pdf.pages) == 1, f"the summary prints on {len(pdf.pages)} pages"
    text = unicodedata.normalize("NFKC", pdf.pages[0].extract_text())  # ﬁ ligatures: fi
    printed = " ".join(text.split())
    for heading in re.findall(r"<h2[^>]*>(.*?)</h2>", summary.html):
        assert heading in printed
    assert "Previous" not in printed and "Save as PDF" not in printed  # pager, no-print note
    assert "significant harm" in printed
