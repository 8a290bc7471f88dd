"""Admin reports through real launches (SQLite and PostgreSQL): the completion table (NRPS
roster + everyone who launched), filters and sorting, outcome/question analysis, evaluation,
CSV exports (BOM, formula injection), the `lmspack report` command, and tenant isolation of
every admin page and export."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from click.testing import CliRunner

from lmspack.cli import main

from .api_client import (
    COURSE_MODEL,
    complete_course,
    launch_token,
    learner_api,
    post_admin_form,
)
from .platform import TestPlatform
from .workshop import finish_workshop

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
EVIL = '=HYPERLINK("http://evil.example","x")'
PAGES = ("completions", "outcomes", "evaluation")


def ctx_of(token: str) -> int:
    return jwt.decode(token, options={"verify_signature": False})["ctx"]


def member(sub: str, name: str, role: str = LEARNER) -> dict:
    return {"user_id": sub, "name": name, "email": f"{sub}@example.org", "roles": [role]}


def evaluate(api, comment: str, recommend: str = "yes") -> None:
    answers = {
        e.id: (recommend if e.id == "recommend" else "yes") if e.type == "yes-no" else comment
        for e in COURSE_MODEL.evaluation.questions
    }
    r = api.post("/evaluation", {"answers": answers})
    assert r.status_code == 200, r.text


@pytest.fixture
def course_ctx(tool, platform):
    """One context (rp1) with: certified, failed, in progress, roster-only, a teacher."""
    ctx = "rp1"
    platform.services.roster[ctx] = [
        member("cert", "Cert Ified"),
        member("fail", "Fay Led"),
        member("prog", "Pro Gress"),
        member("never", "Nev Er"),
        member("teach", "Tea Cher", TEACHER),
    ]
    platform.services.page_size = 10
    a = learner_api(tool, platform, user="cert", context=ctx, link="rl")
    complete_course(a, evaluate=False)
    evaluate(a, "<b>Great</b> course")
    finish_workshop(tool, a)
    qs = COURSE_MODEL.quiz.questions
    f = learner_api(tool, platform, user="fail", context=ctx, link="rl")
    complete_course(f, correct={q.id: False for q in qs[:8]}, evaluate=False)
    evaluate(f, "=1+2", recommend="no")
    p = learner_api(tool, platform, user="prog", context=ctx, link="rl")
    assert p.put("/attempt/state", {"page": COURSE_MODEL.nav[1].id}).status_code == 200
    # launched, not on the roster, with a name that is a spreadsheet formula
    from .platform import Browser

    r = Browser().launch(platform, user="evil", name=EVIL, role="learner", context=ctx, link="rl")
    assert r.status_code == 303
    teacher = launch_token(platform, user="teach", role="instructor", context=ctx, link="rl")
    c = ctx_of(teacher)
    r = post_admin_form(tool, f"/admin/{c}/completions", f"/admin/{c}/roster", teacher, {})
    assert r.status_code == 200, r.text  # 303 followed to the completion page
    return {"teacher": teacher, "ctx": ctx_of(teacher), "cert": a, "fail": f}


def get(tool, ctx: int, page: str, token: str, **params):
    return requests.get(f"{tool.url}/admin/{ctx}/{page}", params={"t": token, **params}, timeout=20)


def test_completion_table(tool, course_ctx):
    t, ctx = course_ctx["teacher"], course_ctx["ctx"]
    r = get(tool, ctx, "completions", t)
    assert r.status_code == 200, r.text
    html = r.text
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<th scope="row">([^<]+)<.*?</th>\s*<td>([^<]+)</td>', html, re.S)
    }
    assert rows["Cert Ified"] == "Certified"
    assert rows["Fay Led"] == "Not passed"
    assert rows["Pro Gress"] == "In progress"
    assert rows["Nev Er"] == "Not started"
    assert "Tea Cher" not in html  # teachers on the roster are not learners
    assert "=HYPERLINK(&#34;http://evil.example" in html or "=HYPERLINK(&quot;" in html
    assert "not on the roster" in html
    assert '<caption id="completion-caption">' in html and 'scope="col"' in html
    code = course_ctx["cert"].get("/attempt").json()["certificate"]["code"]
    assert code in html
    cert_row = re.search(r"<tr>\s*<th scope=\"row\">Cert Ified.*?</tr>", html, re.S).group(0)
    # score and every per-outcome result (all answers right)
    assert cert_row.count(">100%<") == 1 + len(COURSE_MODEL.outcomes), cert_row
    never_row = re.search(r"<tr>\s*<th scope=\"row\">Nev Er.*?</tr>", html, re.S).group(0)
    assert ">100%<" not in never_row and "—" in never_row
    # filter and sort
    only = get(tool, ctx, "completions", t, status="certified").text
    assert "Cert Ified" in only and "Fay Led" not in only and "Nev Er" not in only
    two = get(tool, ctx, "completions", t, status=["failed", "not started"]).text
    assert "Fay Led" in two and "Nev Er" in two and "Cert Ified" not in two
    by_score = get(tool, ctx, "completions", t, sort="score", desc="1").text
    assert by_score.index("Cert Ified") < by_score.index("Fay Led") < by_score.index("Nev Er")
    assert 'aria-sort="descending"' in by_score
    future = get(tool, ctx, "completions", t, since="2999-01-01").text
    assert "No learners match" in future
    # a date window around today's activity (UTC); learners with none are left out
    today = datetime.now(UTC).date()
    window = get(tool, ctx, "completions", t, since=today.isoformat(),
                 before=(today + timedelta(days=1)).isoformat()).text  # fmt: skip
    assert "Cert Ified" in window and "Fay Led" in window and "Nev Er" not in window
    assert "No learners match" in get(tool, ctx, "completions", t, before=today.isoformat()).text
    by_name = get(tool, ctx, "completions", t, sort="name", desc="1").text
    assert by_name.index("Pro Gress") < by_name.index("Fay Led") < by_name.index("Cert Ified")
    assert get(tool, ctx, "completions", t, status="bogus").status_code == 400
    assert get(tool, ctx, "completions", t, since="yesterday").status_code == 400
    assert get(tool, ctx, "completions", t, sort="password").status_code == 400


def test_completion_csv_is_excel_safe(tool, course_ctx):
    t, ctx = course_ctx["teacher"], course_ctx["ctx"]
    r = get(tool, ctx, "completions.csv", t)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    assert "Content-Length" not in r.headers  # streamed, not built in memory first
    assert r.content.startswith(b"\xef\xbb\xbf")
    text = r.content.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    by_name = {row["Name"]: row for row in rows}
    assert "'" + EVIL in by_name  # formula neutralised with a leading quote
    assert not any(name.startswith(("=", "+", "-", "@")) for name in by_name)
    cert = by_name["Cert Ified"]
    assert cert["Status"] == "certified" and cert["Score (%)"] == "100"
    assert cert["Certificate link"].startswith(f"{tool.url}/verify/")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cert["Last activity (UTC)"])
    filtered = get(tool, ctx, "completions.csv", t, status="failed").content.decode("utf-8-sig")
    assert [r["Name"] for r in csv.DictReader(io.StringIO(filtered))] == ["Fay Led"]


def test_outcome_and_question_analysis(tool, course_ctx):
    t, ctx = course_ctx["teacher"], course_ctx["ctx"]
    html = get(tool, ctx, "outcomes", t).text
    assert "Learning outcomes" in html and "Where learners struggle most" in html
    text = get(tool, ctx, "outcomes.csv", t).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    qs = COURSE_MODEL.quiz.questions
    q = {r["Id"]: r for r in rows if r["Kind"] == "question"}
    assert q[qs[0].id]["Answered"] == "2" and q[qs[0].id]["Correct"] == "1"  # fail got it wrong
    assert q[qs[-1].id]["Answered"] == "2" and q[qs[-1].id]["Correct"] == "2"
    total = sum(int(r["Answered"]) for r in rows if r["Kind"] == "outcome")
    assert total == 2 * len(qs)


def test_evaluation_results(tool, course_ctx):
    t, ctx = course_ctx["teacher"], course_ctx["ctx"]
    html = get(tool, ctx, "evaluation", t).text
    assert "2 evaluations sent" in html
    assert "&lt;b&gt;Great&lt;/b&gt; course" in html and "<b>Great</b>" not in html
    assert "50%" in html  # one of two would recommend
    text = get(tool, ctx, "evaluation.csv", t).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    rec = next(r for r in rows if r["Question"] == "recommend")
    assert (rec["Answered"], rec["Yes"], rec["Share yes (%)"]) == ("2", "1", "50.0")
    comments = sorted(r["Comment"] for r in rows if r["Kind"] == "comment")
    assert comments == ["'=1+2", "<b>Great</b> course"]


def test_evaluation_comments_are_paged(tool, course_ctx, monkeypatch):
    """The page shows the comments a page at a time, newest first; the CSV has them all."""
    from lmspack.tool import reports

    monkeypatch.setattr(reports, "COMMENTS_PER_PAGE", 1)
    t, ctx = course_ctx["teacher"], course_ctx["ctx"]
    first = get(tool, ctx, "evaluation", t).text
    assert "2 comments, newest first: 1 to 1 on this page" in first
    assert "Page 1 of 2" in first and "Next page" in first
    assert first.count('<p class="comment">') == 1
    assert "=1+2" in first  # the newer of the two
    nxt = re.search(r'href="([^"]*page=2)"', first).group(1).replace("&amp;", "&")
    second = requests.get(tool.url + nxt, timeout=20).text
    assert "Great" in second and "=1+2" not in second and "Previous page" in second
    assert "2 to 2 on this page" in second
    last = requests.get(f"{tool.url}/admin/{ctx}/evaluation", params={"t": t, "page": "99"})
    assert last.text.count("Page 2 of 2") == 1  # past the end: the last page


def test_report_cli(tool, course_ctx, platform, database_url):
    runner = CliRunner()
    base = ["--context", "rp1", "--platform", platform.issuer, "--database-url", database_url]
    r = runner.invoke(main, ["report", "completions", *base, "--format", "json"])
    assert r.exit_code == 0, r.output
    data = {row["name"]: row for row in json.loads(r.output)}
    assert data["Cert Ified"]["status"] == "certified" and data["Nev Er"]["status"] == "not started"
    r = runner.invoke(main, ["report", "evaluation", *base, "--format", "csv"])
    assert r.exit_code == 0 and r.stdout_bytes.startswith(b"\xef\xbb\xbf")
    r = runner.invoke(main, ["report", "outcomes", *base, "--format", "json"])
    assert r.exit_code == 0 and len(json.loads(r.output)["questions"]) == len(
        COURSE_MODEL.quiz.questions
    )
    r = runner.invoke(
        main, ["report", "completions", "--context", "no-such", "--database-url", database_url]
    )
    assert r.exit_code != 0 and "No context" in r.output


def test_tenant_isolation_of_every_admin_page_and_export(tool, platform):
    """Teacher of platform A / context X: B's and Y's pages and certificates are out of reach,
    whatever URL is tried with A's token."""
    other = TestPlatform(tool.url)
    tool.register(other)
    try:
        # A/X, A/Y and B/X (B uses the same LTI context id "iso-x" as A)
        for plat, ctx, user in (
            (platform, "iso-x", "ax"),
            (platform, "iso-y", "ay"),
            (other, "iso-x", "bx"),
        ):
            api = learner_api(tool, plat, user=user, context=ctx, link="l")
            complete_course(api)
            finish_workshop(tool, api)
        t_ax = launch_token(platform, user="tax", role="instructor", context="iso-x", link="l")
        t_ay = launch_token(platform, user="tay", role="instructor", context="iso-y", link="l")
        t_bx = launch_token(other, user="tbx", role="instructor", context="iso-x", link="l")
        ax, ay, bx = ctx_of(t_ax), ctx_of(t_ay), ctx_of(t_bx)
        assert len({ax, ay, bx}) == 3
        codes = {}
        for tok, ctx, user in ((t_ay, ay, "ay"), (t_bx, bx, "bx"), (t_ax, ax, "ax")):
            text = get(tool, ctx, "completions.csv", tok).content.decode("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text)))
            assert [r["Name"] for r in rows] == [f"User {user}"]  # only its own learner
            codes[user] = rows[0]["Certificate code"]
        pages = [*PAGES, *(p + ".csv" for p in PAGES)]
        for target in (ay, bx):
            for page in pages:
                r = get(tool, target, page, t_ax)
                assert r.status_code == 403, (target, page, r.status_code)
                assert "User ay" not in r.text and "User bx" not in r.text
            r = requests.post(f"{tool.url}/admin/{target}/roster", params={"t": t_ax})
            assert r.status_code == 403
            assert get(tool, target, f"certificates/{codes['ax']}", t_ax).status_code == 403
        # another tenant's certificate through A's own context: not found, not revocable
        for code in (codes["ay"], codes["bx"]):
            assert get(tool, ax, f"certificates/{code}", t_ax).status_code == 404
            for action in ("revoke", "reissue"):
                r = requests.post(
                    f"{tool.url}/admin/{ax}/certificates/{code}/{action}",
                    params={"t": t_ax},
                    data={"reason": "attack"},
                )
                assert r.status_code == 404, (code, action)
            v = requests.get(f"{tool.url}/verify/{code}", timeout=10).text
            assert "This certificate is valid" in v  # untouched
        # a learner's token and no token: no admin pages at all
        learner = learner_api(tool, platform, user="ax", context="iso-x", link="l")
        for page in pages:
            assert get(tool, ax, page, learner.token).status_code == 403
            r = requests.get(f"{tool.url}/admin/{ax}/{page}", timeout=10)
            assert r.status_code == 401
        # a tampered token (context changed, signature kept) is refused
        head, body, sig = t_ax.split(".")
        claims = jwt.decode(t_ax, options={"verify_signature": False})
        claims["ctx"] = bx
        forged = ".".join(
            [head, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig]
        )
        assert get(tool, bx, "completions", forged).status_code == 401
        # the CLI needs --platform when two platforms share a context id
        r = CliRunner().invoke(
            main,
            [
                "report",
                "completions",
                "--context",
                "iso-x",
                "--database-url",
                tool.store.engine.url.render_as_string(False),
            ],
        )
        assert r.exit_code != 0 and "several platforms" in r.output
    finally:
        other.stop()


def test_rating_questions_are_counted_from_the_learners_answers(tool, platform):
    """A course whose evaluation has a 1-5 rating: what learners send through the API is
    counted on the report page and in the CSV (answered, mean); blank ratings are not."""
    import dataclasses

    from lmspack.course.model import EvaluationQuestion

    site = tool.app.extensions["lmspack.sites"][COURSE_MODEL.id]
    original = site.course
    rating = EvaluationQuestion("clarity", "rating", "How clear was it?", False)
    site.course = dataclasses.replace(
        original,
        evaluation=dataclasses.replace(
            original.evaluation, questions=(*original.evaluation.questions, rating)
        ),
    )
    try:
        for user, value in (("rate-4", "4"), ("rate-5", 5), ("rate-none", "")):
            api = learner_api(tool, platform, user=user, context="rp-rate", link="rl")
            qs = original.evaluation.questions
            answers = {e.id: "yes" if e.type == "yes-no" else "Fine." for e in qs}
            r = api.post("/evaluation", {"answers": {**answers, "clarity": value}})
            assert r.status_code == 200, r.text
        teacher = launch_token(platform, user="t-rate", role="instructor", context="rp-rate",
                               link="rl")  # fmt: skip
        ctx = ctx_of(teacher)
        html = get(tool, ctx, "evaluation", teacher).text
        assert "3 evaluations sent" in html
        row = re.search(r"How clear was it\?</th>(.*?)</tr>", html, re.S).group(1)
        assert re.findall(r'class="num">([^<]+)<', row) == ["2", "4.5"]
        text = get(tool, ctx, "evaluation.csv", teacher).content.decode("utf-8-sig")
        clarity = next(r for r in csv.DictReader(io.StringIO(text)) if r["Question"] == "clarity")
        got = (clarity["Kind"], clarity["Answered"], clarity["Mean rating"])
        assert got == ("rating", "2", "4.5")
    finally:
        site.course = original


def names_in_report(platform, context: str, database_url: str) -> list[str]:
    """The learners' names in `lmspack report completions --format json` of a context."""
    base = ["--context", context, "--platform", platform.issuer, "--database-url", database_url]
    r = CliRunner().invoke(main, ["report", "completions", *base, "--format", "json"])
    assert r.exit_code == 0, r.output
    return [row["name"] for row in json.loads(r.output)]


def test_one_name_for_one_learner(tool, platform, database_url):
    """A platform whose full name is not given + family (a title, a preferred name): the
    completion report shows the name the certificate carries, not another one."""
    api = learner_api(
        tool,
        platform,
        user="ada",
        context="rp-name",
        link="rl",
        name="Dr Ada Lovelace",
        given="Ada",
        family="Lovelace",
    )
    complete_course(api)
    cert = finish_workshop(tool, api)
    page = requests.get(cert["urls"]["verify"], timeout=10).text
    assert "Ada Lovelace" in page and "Dr Ada" not in page
    assert names_in_report(platform, "rp-name", database_url) == ["Ada Lovelace"]


def test_the_player_is_given_the_name_the_report_shows(tool, platform, database_url):
    """A platform that sends a blank given name and a full name: the player (which asks for a
    name only when the platform gave none) and the completion report both use the full name."""
    api = learner_api(
        tool,
        platform,
        user="grace",
        context="rp-blank",
        link="rl",
        name="Grace Hopper",
        given="  ",
        family="",
    )
    assert api.get("/attempt").json()["learner"]["name"] == "Grace Hopper"
    assert names_in_report(platform, "rp-blank", database_url) == ["Grace Hopper"]
