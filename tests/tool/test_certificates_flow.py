"""Issue 5 through real launches: certificates are issued when the course's rules are met,
once, from a frozen snapshot; anyone can verify them; the Open Badge verifies against the
tool's JWKS; admins revoke and re-issue; the learner's CPD record. SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
import threading
import zipfile

import jwt
import pytest
import requests
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import func, select

from lmspack.certificates.badge import BadgeError, verify_badge
from lmspack.certificates.snapshot import hours_and_minutes
from lmspack.cli import main
from lmspack.store.certificates import Certificate
from lmspack.tool import reports

from .api_client import (
    COURSE_MODEL,
    complete_course,
    launch_token,
    learner_api,
    post_admin_form,
)
from .workshop import book_and_attend, finish_workshop, send_session_evaluation


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def certificate_rows(tool, attempt_id: int) -> list[Certificate]:
    with tool.store.sessions() as s:
        return list(s.scalars(select(Certificate).where(Certificate.attempt_id == attempt_id)))


def certified(tool, platform, user: str, context: str = "cc1", link: str = "crl1") -> tuple:
    api = learner_api(tool, platform, user=user, context=context, link=link)
    complete_course(api)
    return api, finish_workshop(tool, api)


def pdf_text(data: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


# --------------------------------------------------------------------------- issuing


def test_not_issued_until_the_rules_are_met_then_exactly_once(tool, platform):
    """The workshop's rule, [pages, quiz, attendance, session-evaluation]: nothing after the
    pre-work, nothing at attendance, the certificate when the session's evaluation is sent."""
    api = learner_api(tool, platform, user="rules", context="cc1", link="crl1")
    att = claims(api.token)["att"]
    complete_course(api)  # pages + quiz passed + the pre-work's feedback
    body = api.get("/attempt").json()
    assert body["quiz"]["passed"] and body["certificate"] is None
    book_and_attend(tool, api)
    assert api.get("/attempt").json()["certificate"] is None  # the evaluation is still due
    assert certificate_rows(tool, att) == []
    r = send_session_evaluation(tool, api)
    assert r.status_code == 303, r.text[:300]
    cert = api.get("/attempt").json()["certificate"]
    assert re.fullmatch(r"([0-9A-Z]{4}-){4}[0-9A-Z]{4}", cert["code"])
    assert cert["urls"]["verify"] == f"{tool.url}/verify/{cert['code']}"
    # later saves and a resumed launch see the same certificate; none is added
    again = api.put("/attempt/state", {"page": "results"}).json()["certificate"]
    assert again["code"] == cert["code"]
    resumed = learner_api(tool, platform, user="rules", context="cc1", link="crl1")
    assert resumed.get("/attempt").json()["certificate"]["code"] == cert["code"]
    assert len(certificate_rows(tool, att)) == 1


def test_a_failed_quiz_gets_no_certificate(tool, platform):
    api = learner_api(tool, platform, user="failer", context="cc1", link="crl1")
    qs = COURSE_MODEL.quiz.questions
    complete_course(api, correct={q.id: False for q in qs[:6]})
    assert api.get("/attempt").json()["certificate"] is None


def test_concurrent_requests_issue_one_certificate(tool, platform):
    """Eight sends of the session's evaluation at once (a double-click, tabs): one is kept,
    the others refused, one certificate."""
    api = learner_api(tool, platform, user="racer", context="cc1", link="crl1")
    att = claims(api.token)["att"]
    complete_course(api)
    book_and_attend(tool, api)
    html = requests.get(f"{tool.url}/sessions/evaluation", params={"t": api.token}).text
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def send():
        barrier.wait()
        statuses.append(send_session_evaluation(tool, api, form_html=html).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = certificate_rows(tool, att)
    assert len(rows) == 1
    assert sorted(statuses) == [303] + [409] * 7, statuses
    assert api.get("/attempt").json()["certificate"]["code"] == rows[0].code


def test_the_snapshot_does_not_change_when_the_course_is_edited(tool, platform):
    _api, cert = certified(tool, platform, "frozen")
    code = cert["code"]
    before_pdf = pdf_text(requests.get(cert["urls"]["pdf"], timeout=30).content)
    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    original = site.course
    edited = dataclasses.replace(
        original,
        title="A completely different title",
        outcomes=tuple(dataclasses.replace(o, text="Edited " + o.text) for o in original.outcomes),
    )
    try:
        site.course = edited
        page = requests.get(f"{tool.url}/verify/{code}", timeout=10).text
        assert "A completely different title" not in page and "Edited " not in page
        assert "Understanding resistance" in page
        pdf = requests.get(cert["urls"]["pdf"], timeout=30).content
        text = pdf_text(pdf)
        assert "A completely different title" not in text and "Edited" not in text
        assert text == before_pdf
    finally:
        site.course = original


def test_a_snapshot_too_long_for_one_page_is_served_over_two(tool, platform, caplog):
    """A certificate whose snapshot can't fit one page even in the tightest layout (an
    outsized course) is still served, over more pages, and the tool logs why."""
    _api, cert = certified(tool, platform, "long-outcomes")
    with tool.store.transaction() as s:
        row = s.scalar(select(Certificate).where(Certificate.code == cert["code"]))
        snap = dict(row.snapshot)
        snap["outcomes"] = [
            {"id": f"LO{i}", "text": "A long learning outcome, written at length. " * 6}
            for i in range(40)
        ]
        row.snapshot = snap
    with caplog.at_level("WARNING", logger="lmspack.certificates.pdf"):
        resp = requests.get(cert["urls"]["pdf"], timeout=60)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(resp.content)).pages
    assert len(pages) >= 2
    assert "A long learning outcome" in pdf_text(resp.content)
    assert any(
        cert["code"] in r.getMessage() and "does not fit on one page" in r.getMessage()
        for r in caplog.records
    )


# --------------------------------------------------------------------------- verification


def test_verify_valid_unknown_and_normalised(tool, platform):
    _api, cert = certified(tool, platform, "verified")
    code = cert["code"]
    r = requests.get(f"{tool.url}/verify/{code}", timeout=10)
    assert r.status_code == 200 and "This certificate is valid" in r.text
    assert "User verified" in r.text
    assert COURSE_MODEL.title in r.text
    # the organisation whose platform the learner came through, as the admin named it
    organisation = platform.cli_args()["name"]
    assert f"<dt>Completed through</dt><dd>{organisation} (learning platform" in r.text
    assert platform.issuer in r.text
    assert f"{hours_and_minutes(COURSE_MODEL.cpd.prework_minutes)} of e-learning" in r.text
    assert r.headers["Cache-Control"] == "no-store"
    typed = code.lower().replace("-", " ").replace("0", "o")
    r = requests.get(f"{tool.url}/verify/{typed}", timeout=10, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/verify/{code}")
    r = requests.get(f"{tool.url}/verify", params={"code": typed}, allow_redirects=False)
    assert r.status_code == 303
    for unknown in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not-a-code", "<script>"):
        r = requests.get(f"{tool.url}/verify/{unknown}", timeout=10)
        assert r.status_code == 404 and "No certificate has this code" in r.text
        assert "<script>" not in r.text
    assert requests.get(f"{tool.url}/certificates/ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ.pdf").status_code == 404
    pdf = requests.get(cert["urls"]["pdf"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert code in pdf_text(pdf.content)
    assert f"Completed through {organisation}" in pdf_text(pdf.content)
    with tool.store.sessions() as s:
        stored = s.scalar(select(Certificate.snapshot).where(Certificate.code == code))
    assert (stored["organisation"], stored["organisation_url"]) == (organisation, platform.issuer)


def test_badge_verifies_with_the_tools_jwks_and_a_tampered_copy_does_not(tool, platform):
    _api, cert = certified(tool, platform, "badger")
    body = requests.get(cert["urls"]["badge"], timeout=10).json()
    jwks = requests.get(f"{tool.url}/lti/jwks", timeout=10).json()
    credential = verify_badge(body["credential"], jwks)
    assert "OpenBadgeCredential" in credential["type"]
    assert credential["id"] == cert["urls"]["verify"]
    ach = credential["credentialSubject"]["achievement"]
    assert ach["name"] == COURSE_MODEL.title
    assert [a["targetCode"] for a in ach["alignment"]] == [o.id for o in COURSE_MODEL.outcomes]
    assert credential["issuer"]["id"] == f"{tool.url}/issuer"
    source = credential["credentialSubject"]["source"]
    assert source == {"id": platform.issuer, "type": ["Profile"],
                      "name": platform.cli_args()["name"]}  # fmt: skip
    head, payload, sig = body["credential"].split(".")
    data = json.loads(jwt.utils.base64url_decode(payload))
    data["credentialSubject"]["result"][0]["value"] = "100"
    forged = ".".join([head, jwt.utils.base64url_encode(json.dumps(data).encode()).decode(), sig])
    with pytest.raises(BadgeError):
        verify_badge(forged, jwks)
    with pytest.raises(BadgeError):  # another key set (another tool) does not verify it either
        verify_badge(body["credential"], {"keys": []})


def test_cli_revoke_and_reissue(tool, platform, database_url):
    _api, cert = certified(tool, platform, "revoked-cli")
    code = cert["code"]
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "certificates",
            "revoke",
            code.lower(),
            "--reason",
            "Issued in error",
            "--database-url",
            database_url,
        ],
    )
    assert r.exit_code == 0, r.output
    page = requests.get(f"{tool.url}/verify/{code}", timeout=10)
    assert page.status_code == 200 and "was revoked" in page.text
    assert "Issued in error" not in page.text  # the reason is not public
    assert requests.get(cert["urls"]["pdf"], timeout=10).status_code == 410
    assert requests.get(cert["urls"]["badge"], timeout=10).status_code == 410
    r = runner.invoke(
        main,
        [
            "certificates",
            "reissue",
            code,
            "--reason",
            "Name corrected",
            "--name",
            "Grace Okafor",
            "--base-url",
            tool.url,
            "--database-url",
            database_url,
        ],
    )
    assert r.exit_code == 0, r.output
    new = re.search(r"new certificate (\S+)", r.output).group(1)
    page = requests.get(f"{tool.url}/verify/{new}", timeout=10)
    assert "This certificate is valid" in page.text and "Grace Okafor" in page.text
    old_page = requests.get(f"{tool.url}/verify/{code}", timeout=10).text
    assert "new certificate was issued in its place" in old_page
    r = runner.invoke(
        main, ["certificates", "revoke", "nope", "--reason", "x", "--database-url", database_url]
    )
    assert r.exit_code != 0 and "No certificate" in r.output


def test_cli_export_evidence_pack(tool, platform, database_url, tmp_path, monkeypatch):
    """One context's certificates in a zip: valid ones as the PDFs the learners download,
    revoked ones listed only; another context's certificate is not in it."""
    _api, kept = certified(tool, platform, "pack-a", context="cc-pack", link="pl1")
    _api, gone = certified(tool, platform, "pack-b", context="cc-pack", link="pl1")
    _api, other = certified(tool, platform, "pack-c", context="cc-pack-other", link="pl2")
    runner = CliRunner()
    db = ["--database-url", database_url]
    r = runner.invoke(main, ["certificates", "revoke", gone["code"], "--reason", "x", *db])
    assert r.exit_code == 0, r.output
    out = tmp_path / "pack.zip"
    args = ["certificates", "export", "--context", "cc-pack", "--out", str(out), *db]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "1 certificate PDF(s) and 1 revoked" in r.output
    with zipfile.ZipFile(out) as z:
        manifest = z.read("certificates.csv").decode("utf-8-sig")
        pdfs = [n for n in z.namelist() if n.endswith(".pdf")]
        assert len(pdfs) == 1 and kept["code"] in pdfs[0]
        assert z.read(pdfs[0]) == requests.get(kept["urls"]["pdf"], timeout=10).content
    assert kept["code"] in manifest and gone["code"] in manifest and ",revoked," in manifest
    assert other["code"] not in manifest
    r = runner.invoke(main, ["certificates", "export", "--context", "cc-none", *db])
    assert r.exit_code != 0 and "No context" in r.output
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    r = runner.invoke(main, [*args[:-4], "--out", str(blocked / "pack.zip"), *db])
    assert r.exit_code == 1 and f"Cannot write {blocked / 'pack.zip'}" in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)  # a message, no traceback

    # the same pack from the completion report, for the context's teacher only
    teacher = launch_token(
        platform, user="pack-t", role="instructor", context="cc-pack", link="pl1"
    )
    ctx = claims(teacher)["ctx"]
    page = requests.get(f"{tool.url}/admin/{ctx}/completions", params={"t": teacher}, timeout=20)
    link = re.search(r'href="([^"]*certificates\.zip[^"]*)">Download every certificate', page.text)
    assert link, page.text
    r = requests.get(tool.url + link.group(1).replace("&amp;", "&"), timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    assert r.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z, zipfile.ZipFile(out) as cli:
        assert z.testzip() is None and z.namelist() == cli.namelist()
        assert z.read(pdfs[0]) == cli.read(pdfs[0])
        assert z.read("certificates.csv") == cli.read("certificates.csv")
    zip_url = f"{tool.url}/admin/{ctx}/certificates.zip"
    # in parts, by name, when there are more than a web request should make at once
    monkeypatch.setattr(reports, "PACK_PART", 1)
    page = requests.get(f"{tool.url}/admin/{ctx}/completions", params={"t": teacher}, timeout=20)
    links = re.findall(r'href="([^"]*certificates\.zip[^"]*)">Part (\d) of 2 \(zip\)', page.text)
    assert [n for _u, n in links] == ["1", "2"], page.text
    codes = []
    for url, n in links:
        r = requests.get(tool.url + url.replace("&amp;", "&"), timeout=60)
        assert r.headers["Content-Disposition"].endswith(f'certificates-{ctx}-part{n}-of-2.zip"')
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            rows = z.read("certificates.csv").decode("utf-8-sig").splitlines()[1:]
            codes += [row.split(",")[0] for row in rows]
    assert sorted(codes) == sorted([kept["code"], gone["code"]])
    for bad in ("3", "0", "x"):
        r = requests.get(zip_url, params={"t": teacher, "part": bad}, timeout=20)
        assert r.status_code == 404 and "2 part(s)" in r.text
    stranger = launch_token(platform, user="pack-t2", role="instructor", context="cc-pack-other")
    learner = launch_token(platform, user="pack-a", role="learner", context="cc-pack", link="pl1")
    for token in (stranger, learner):
        assert requests.get(zip_url, params={"t": token}, timeout=20).status_code == 403
    assert requests.get(zip_url, timeout=20).status_code == 401


def test_admin_revoke_and_reissue_buttons(tool, platform):
    _api, cert = certified(tool, platform, "revoked-web", context="cc2", link="crl2")
    code = cert["code"]
    teacher = launch_token(platform, user="t-cc2", role="instructor", context="cc2", link="crl2")
    ctx = claims(teacher)["ctx"]
    page = requests.get(f"{tool.url}/admin/{ctx}/certificates/{code}", params={"t": teacher})
    assert page.status_code == 200 and "Revoke this certificate" in page.text
    r = post_admin_form(
        tool,
        f"/admin/{ctx}/certificates/{code}",
        f"/admin/{ctx}/certificates/{code}/reissue",
        teacher,
        {"reason": "Typo in the name", "name": "Ann <b>Smith</b>"},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text
    new = re.search(r"/certificates/([0-9A-Z-]+)\?", r.headers["Location"]).group(1)
    v = requests.get(f"{tool.url}/verify/{new}", timeout=10).text
    assert "Ann &lt;b&gt;Smith&lt;/b&gt;" in v and "<b>Smith" not in v
    r = post_admin_form(
        tool,
        f"/admin/{ctx}/certificates/{new}",
        f"/admin/{ctx}/certificates/{new}/revoke",
        teacher,
        {"reason": "Withdrawn"},
        allow_redirects=False,
    )
    assert r.status_code == 303
    assert "was revoked" in requests.get(f"{tool.url}/verify/{new}", timeout=10).text
    # a learner's token cannot use the admin forms
    learner = learner_api(tool, platform, user="revoked-web", context="cc2", link="crl2")
    r = requests.post(
        f"{tool.url}/admin/{ctx}/certificates/{new}/revoke",
        params={"t": learner.token},
        data={"reason": "x"},
    )
    assert r.status_code == 403


def test_the_attempt_api_is_issued_for_the_learner_only(tool, platform):
    api, cert = certified(tool, platform, "mine", context="cc3", link="crl3")
    other = learner_api(tool, platform, user="not-mine", context="cc3", link="crl3")
    assert other.get("/attempt").json()["certificate"] is None
    assert api.get("/attempt").json()["certificate"]["code"] == cert["code"]


# --------------------------------------------------------------------------- CPD record


def test_cpd_record_page_and_downloads(tool, platform):
    api = learner_api(tool, platform, user="recorder", context="cc1", link="crl1")
    refl = COURSE_MODEL.reflections
    texts = {r.id: f"<script>alert('{r.id}')</script> & =SUM(A1)" for r in refl}
    assert api.put("/attempt/state", {"reflections": texts}).status_code == 200
    complete_course(api)
    finish_workshop(tool, api)
    page = requests.get(f"{tool.url}/record", params={"t": api.token}, timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    for heading in (
        "What I learned",
        "How it will change my practice",
        "The impact on the people I work with",
        "Reflection with a peer",
    ):
        assert heading in html
    assert "must not identify" in html
    code = api.get("/attempt").json()["certificate"]["code"]
    assert code in html
    md = requests.get(f"{tool.url}/record.md", params={"t": api.token}, timeout=10)
    assert md.status_code == 200 and md.headers["Content-Type"].startswith("text/markdown")
    assert "## Reflections" in md.text and "<script>" not in md.text
    assert "\\<script\\>" in md.text
    pdf = requests.get(f"{tool.url}/record.pdf", params={"t": api.token}, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "What I learned" in pdf_text(pdf.content)
    # no token, or a teacher's token: no record
    assert requests.get(f"{tool.url}/record", timeout=10).status_code == 401
    teacher = launch_token(platform, user="t1", role="instructor", context="cc1", link="crl1")
    assert requests.get(f"{tool.url}/record", params={"t": teacher}).status_code == 403


@contextlib.contextmanager
def prework_only(tool):
    """The served course, for the test, issues after the pre-work (`require: [pages, quiz,
    evaluation]`, the rule of a course whose live session is optional)."""
    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    original = site.course
    site.course = dataclasses.replace(original, certificate_rules=("pages", "quiz", "evaluation"))
    try:
        yield
    finally:
        site.course = original


def cli_attend(platform, database_url: str, context: str, user: str, on: str):
    """`lmspack certificates attend` for one learner."""
    return CliRunner().invoke(
        main,
        ["certificates", "attend", "--context", context, "--platform", platform.issuer,
         "--user", user, "--date", on, "--database-url", database_url],
    )  # fmt: skip


def test_attendance_recorded_by_the_cli_opens_the_evaluation(tool, platform, database_url):
    """The workshop's rule: attendance recorded (here by the CLI, for a learner who never
    booked) is not enough; the evaluation after it opens, and sending it issues."""
    api = learner_api(tool, platform, user="attender", context="cc4", link="crl4")
    complete_course(api)
    assert api.get("/attempt").json()["certificate"] is None
    closed = requests.get(f"{tool.url}/sessions/evaluation", params={"t": api.token}).text
    assert 'name="q_recommend"' not in closed  # not open before attendance
    r = cli_attend(platform, database_url, "cc4", "attender", "2025-06-03")
    assert r.exit_code == 0, r.output
    r = cli_attend(platform, database_url, "cc4", "nobody", "2025-06-03")
    assert r.exit_code != 0 and "roster does not list them" in r.output
    assert api.put("/attempt/state", {"page": "results"}).json()["certificate"] is None
    assert send_session_evaluation(tool, api).status_code == 303
    cert = api.get("/attempt").json()["certificate"]
    assert cert is not None
    page = requests.get(cert["urls"]["verify"], timeout=10).text
    assert "Live session attended" in page and "3 June 2025" in page


def test_issuing_counts_in_the_db(tool):
    with tool.store.sessions() as s:
        dupes = s.execute(
            select(Certificate.attempt_id, func.count())
            .where(Certificate.seq == 1)
            .group_by(Certificate.attempt_id)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


def test_reissue_adds_attendance_recorded_after_the_certificate(tool, platform, database_url):
    """A course that issues after the pre-work (pre-work time only); the live session is
    attended later:
    the admin's re-issue adds it, the old certificate is untouched but revoked."""
    with prework_only(tool):
        api = learner_api(tool, platform, user="late-attender", context="cc5", link="crl5")
        complete_course(api)
        cert = api.get("/attempt").json()["certificate"]
    first = requests.get(cert["urls"]["verify"], timeout=10).text
    assert "Live session attended" not in first
    r = cli_attend(platform, database_url, "cc5", "late-attender", "2025-06-10")
    assert r.exit_code == 0, r.output
    teacher = launch_token(platform, user="t-cc5", role="instructor", context="cc5", link="crl5")
    ctx = claims(teacher)["ctx"]
    page = f"/admin/{ctx}/certificates/{cert['code']}"
    r = post_admin_form(
        tool,
        page,
        page + "/reissue",
        teacher,
        {"reason": "Attended the live session"},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text
    new = re.search(r"/certificates/([0-9A-Z-]+)\?", r.headers["Location"]).group(1)
    page = requests.get(f"{tool.url}/verify/{new}", timeout=10).text
    assert "Live session attended" in page and "10 June 2025" in page
    total = COURSE_MODEL.cpd.prework_minutes + COURSE_MODEL.cpd.live_session_minutes
    assert hours_and_minutes(total) in page
