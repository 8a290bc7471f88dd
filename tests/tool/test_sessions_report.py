"""The live sessions report through real launches (SQLite and PostgreSQL): a session added
on the admin page, learners who book, finish the pre-work, are marked attended or no-show,
and send the evaluation after the session on the tool's page; then the admin page, its CSV
and `lmspack report sessions` give the three measures, confidence and attendance, and the
people to follow up. (The figures on richer data: tests/reports/test_workshop.py.)"""

from __future__ import annotations

import csv
import io
import json
from html import unescape

import requests
from click.testing import CliRunner

from lmspack.cli import main

from .api_client import complete_course, form_fields, learner_api, post_admin_form
from .test_sessions_pages import _bookings, add_session, session_ids, teacher
from .workshop import learner_post

EVAL = "/sessions/evaluation"


def _evaluate(tool, api, course, **answers) -> None:
    html = requests.get(tool.url + EVAL, params={"t": api.token}, timeout=20).text
    value = {"yes-no": "yes", "rating": "4", "text": "About 2 hours"}
    data = {f"q_{q.id}": value[q.type] for q in course.session_evaluation.questions}
    data.update({f"q_{k}": v for k, v in answers.items()}, **form_fields(html, EVAL))
    r = requests.post(
        tool.url + EVAL, params={"t": api.token}, data=data, allow_redirects=False, timeout=20
    )
    assert r.status_code == 303, r.text[:300]


def test_the_sessions_report_page_csv_and_cli(tool, platform, database_url):
    token, ctx = teacher(platform, "ses-rep")
    add_session(tool, token, ctx)
    (sid,) = session_ids(tool, token, ctx)
    apis = {
        who: learner_api(tool, platform, user=f"rep-{who}", context="ses-rep", link="ses-rep-l")
        for who in ("dee", "eve", "fay")
    }
    complete_course(apis["dee"])
    complete_course(apis["fay"])  # the pre-work done, never booked
    for who in ("dee", "eve"):
        assert learner_post(tool, apis[who], f"/sessions/{sid}/book").status_code == 303
    dee_b, eve_b = sorted(b.id for b in _bookings(tool, sid))
    page = f"/admin/{ctx}/sessions/{sid}"
    marks = {f"b{dee_b}": "attended", f"b{eve_b}": "no_show"}
    r = post_admin_form(tool, page, page + "/attendance", token, marks, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    course = tool.app.extensions["lmspack.sites"]["resistance-prework"].course
    _evaluate(tool, apis["dee"], course, useful="no", confidence_before="2", confidence_after="5")

    r = requests.get(f"{tool.url}/admin/{ctx}/sessions-report", params={"t": token}, timeout=20)
    assert r.status_code == 200, r.text[:300]
    html = unescape(r.text)
    assert "100.0% (1 of 1)" in html and "0.0% (0 of 1)" in html  # recommend; useful
    assert "2.0 (n=1)" in html and "5.0 (n=1)" in html  # confidence before, after
    assert "50.0%" in html  # one attended of the two marked
    assert 'aria-current="page">Live sessions report' in html
    follow_up = html.split("Booked but did not attend")[1]
    no_show, not_booked = follow_up.split("Completed the pre-work but not booked")
    assert "rep-eve@example.org" in no_show and "rep-dee" not in no_show
    assert "rep-fay@example.org" in not_booked and "rep-dee" not in not_booked

    r = requests.get(f"{tool.url}/admin/{ctx}/sessions-report.csv", params={"t": token})
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    col = {h: i for i, h in enumerate(rows[0])}
    overall = next(x for x in rows if x[0] == "overall")
    assert overall[col["recommend yes (%)"]] == "100.0" and overall[col["useful yes (%)"]] == "0.0"
    assert overall[col["Attended"]] == "1" and overall[col["No-show"]] == "1"
    kinds = ["session", "overall", "no-show", "pre-work done, not booked"]
    assert [x[0] for x in rows[1:]] == kinds and rows[-1][col["Email"]] == "rep-fay@example.org"

    base = ["--context", "ses-rep", "--platform", platform.issuer, "--database-url", database_url]
    out = CliRunner().invoke(main, ["report", "sessions", *base, "--format", "json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)["overall"]
    assert [(m["id"], m["answered"], m["yes"]) for m in got["measures"]] == [
        ("recommend", 1, 1), ("useful", 1, 0), ("expertise", 1, 1),
    ]  # fmt: skip
    assert got["share_attended"] == 0.5 and got["confidence"][1]["mean"] == 5.0

    # another context's teacher cannot read it
    other, _ = teacher(platform, "ses-rep-other")
    r = requests.get(f"{tool.url}/admin/{ctx}/sessions-report.csv", params={"t": other})
    assert r.status_code == 403
