"""The SCORM package's certificate page: the design of the tool's PDF, and when printed (what
"Print or save as PDF" does) one landscape A4 page, read back with poppler's pdfinfo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from ..conftest import require
from .conftest import certified_state

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 320])
def test_the_certificate_prints_on_one_landscape_page(page, server, course, tmp_path, width):
    require(shutil.which("pdfinfo") is not None, "pdfinfo not found (apt-get install poppler)")
    page.set_viewport_size({"width": width, "height": 800})
    url = f"{server}/pkg/scorm2004/index.html"
    # no LMS: the player keeps its state in this browser (the local store), filled in here
    key = f"lmspack:{course.id}:{course.version}:scorm2004"
    saved = {"cmi.suspend_data": certified_state(course, name="Grace Okafor")}
    js = f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(saved))})"
    page.add_init_script(js)
    page.goto(url + "#page-certificate")
    page.locator("html.ready").wait_for(state="attached")
    assert page.locator("#page-certificate").is_visible()
    assert page.locator("#lp-cert-name").inner_text() == "Grace Okafor"
    assert page.locator("#lp-cert-score").inner_text() == f"100% (pass mark {course.pass_mark}%)"
    # the PDF's parts: an Activity and a CPD time table beside the numbered outcomes
    sheet = page.locator(".certificate .cert-sheet")
    assert [h.inner_text() for h in sheet.locator("h2").all()] == [
        "Activity", "CPD time", "Learning outcomes"]
    assert sheet.locator(".cert-outcomes li").count() == len(course.outcomes)
    pdf = tmp_path / "certificate.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(w), round(h)) == (842, 595), info  # A4 landscape, in points
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Grace Okafor" in text and "Print or save" not in text and "All pages" not in text
