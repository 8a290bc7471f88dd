"""The evaluation after the live session, through real launches on SQLite and PostgreSQL,
in the workshop's course (under another id: its certificate needs
`[pages, quiz, attendance, session-evaluation]`, as course_src's does): closed until the
learner's attendance is recorded, then a form on the tool whose answers are checked and
stored on the server; the certificate comes when it is sent (not at attendance); the peer
reflection goes into the CPD record (page, Markdown, PDF), escaped everywhere."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from lmspack.store.certificates import Certificate
from lmspack.store.models import Attempt, User
from lmspack.tool.course_site import CourseSite
from tests.certificates.conftest import plain_text
from tests.conftest import COURSE

from .api_client import Api, complete_course, form_fields, launch_token, post_admin_form
from .test_sessions_pages import add_session, ctx_of, session_ids
from .workshop import learner_post, session_answers

WORKSHOP_RULE = "require: [pages, quiz, attendance, session-evaluation]"
PAGE = "/sessions/evaluation"


@pytest.fixture(scope="module")
def workshop(tool, tmp_path_factory):
    """The workshop's course under another id, so its learners and certificates are apart
    from the other tests' (built once per database: a build takes about 2 s)."""
    folder = tmp_path_factory.mktemp("ws") / "ws-eval"
    shutil.copytree(COURSE, folder)
    yaml = folder / "course.yaml"
    text = yaml.read_text(encoding="utf-8").replace("id: resistance-prework\n", "id: ws-eval\n")
    assert WORKSHOP_RULE in text  # course_src's own rule
    yaml.write_text(text)
    site = CourseSite.build(folder, tool.url + "/api/v1")
    assert site.course.certificate_rules[-1] == "session-evaluation"
    sites = tool.app.extensions["lmspack.sites"]
    sites["ws-eval"] = site
    yield site.course
    sites.pop("ws-eval", None)


def _launch(platform, user: str, role: str, context: str) -> str:
    custom = json.dumps({"lmspack_course": "ws-eval"})
    return launch_token(
        platform, user=user, role=role, context=context, link=f"{context}-l", custom=custom
    )


def _get(tool, token: str, path: str = PAGE) -> requests.Response:
    return requests.get(tool.url + path, params={"t": token}, timeout=20)


def _send(tool, token: str, data: dict, form_html: str) -> requests.Response:
    fields = form_fields(form_html, PAGE)
    return requests.post(
        tool.url + PAGE, params={"t": token}, data={**fields, **data}, allow_redirects=False,
        timeout=20,
    )  # fmt: skip


def _certificates(tool, sub: str) -> list[Certificate]:
    with tool.store.sessions() as s:
        return s.scalars(
            select(Certificate)
            .join(Attempt, Attempt.id == Certificate.attempt_id)
            .join(User, User.id == Attempt.user_id)
            .where(User.sub == sub, Attempt.course_id == "ws-eval")
        ).all()


def _mark(tool, teacher: str, ctx: int, sid: int, mark: str) -> None:
    page = f"/admin/{ctx}/sessions/{sid}"
    html = _get(tool, teacher, page).text
    booking = next(
        k for k in form_fields_names(html, page + "/attendance") if k[1:].isdigit()
    )  # the one learner booked
    r = post_admin_form(
        tool, page, page + "/attendance", teacher, {booking: mark}, allow_redirects=False
    )
    assert r.status_code == 303, r.text[:300]


def form_fields_names(html: str, action: str) -> list[str]:
    """The booking fields (b<id>) of the page's attendance form."""
    form = re.search(rf'<form method="post" action="[^"]*{re.escape(action)}[^"]*">(.*?)</form>',
                     html, re.S)  # fmt: skip
    assert form, "no attendance form"
    return sorted(set(re.findall(r'name="(b\d+)"', form.group(1))))


def test_the_session_evaluation_opens_at_attendance_and_issues_the_certificate(
    tool, platform, workshop
):
    teacher = _launch(platform, "ev-teacher", "instructor", "ev-ctx")
    ctx = ctx_of(teacher)
    assert add_session(tool, teacher, ctx).status_code == 303
    (sid,) = session_ids(tool, teacher, ctx)
    token = _launch(platform, "ev-ann", "learner", "ev-ctx")
    complete_course(Api(tool.url, token))
    assert learner_post(tool, Api(tool.url, token), f"/sessions/{sid}/book").status_code == 303
    assert _certificates(tool, "ev-ann") == []  # the pre-work alone is not enough

    closed = _get(tool, token)
    assert closed.status_code == 200 and "opens once your attendance" in closed.text
    assert f'action="{PAGE}' not in closed.text
    assert "Evaluate the live session" not in _get(tool, token, "/record").text

    _mark(tool, teacher, ctx, sid, "attended")
    assert _certificates(tool, "ev-ann") == []  # attendance alone is not enough either
    record = _get(tool, token, "/record").text
    assert "Evaluate the live session and add your reflection" in record
    form = _get(tool, token)
    assert form.status_code == 200 and "psychologists" in form.text

    # a required answer missing: the form again, saying which, keeping what was typed
    typed = "<b>We</b> & the group\ntalked"
    r = _send(tool, token, session_answers(workshop, q_apply="", reflection=typed), form.text)
    assert r.status_code == 400
    assert "Do you intend to apply" in r.text.split("</ul>")[0]
    assert "&lt;b&gt;We&lt;/b&gt; &amp; the group" in r.text and "<b>We</b>" not in r.text
    # an answer of the wrong kind
    r = _send(tool, token, session_answers(workshop, q_confidence_after="9"), form.text)
    assert r.status_code == 400 and "a rating from 1 to 5" in r.text
    assert _certificates(tool, "ev-ann") == []

    r = _send(tool, token, session_answers(workshop, reflection=typed), form.text)
    assert r.status_code == 303, r.text[:300]
    (cert,) = _certificates(tool, "ev-ann")  # issued when the evaluation was sent
    with tool.store.sessions() as s:
        state = s.get(Attempt, cert.attempt_id).state
    assert state["sessionEvaluation"]["confidence_after"] == "4"
    assert state["sessionReflection"] == typed and state["sessionEvaluationSubmitted"]

    sent = _get(tool, token)
    assert "Thank you" in sent.text and "&lt;b&gt;We&lt;/b&gt;" in sent.text
    assert "<b>We</b>" not in sent.text and f'action="{PAGE}' not in sent.text
    # once only: a second post is refused and changes nothing
    r = _send(tool, token, session_answers(workshop, reflection="again"), form.text)
    assert r.status_code == 409
    assert len(_certificates(tool, "ev-ann")) == 1

    # the peer reflection is in the CPD record: page, Markdown (escaped) and PDF
    record = _get(tool, token, "/record").text
    assert "&lt;b&gt;We&lt;/b&gt; &amp; the group" in record and "<b>We</b>" not in record
    assert "See your evaluation" in record
    md = _get(tool, token, "/record.md").text
    peer = md.split("### Reflection with a peer or from the live session")[1]
    assert "\\<b\\>We\\</b\\> \\& the group" in peer and "Space for a peer" not in peer
    pdf = _get(tool, token, "/record.pdf")
    text = plain_text(PdfReader(io.BytesIO(pdf.content)))
    assert "<b>We</b> & the group talked" in text


def test_a_correction_to_no_show_closes_it_again(tool, platform, workshop):
    teacher = _launch(platform, "ev-t2", "instructor", "ev-ctx2")
    ctx = ctx_of(teacher)
    add_session(tool, teacher, ctx)
    (sid,) = session_ids(tool, teacher, ctx)
    token = _launch(platform, "ev-bob", "learner", "ev-ctx2")
    assert learner_post(tool, Api(tool.url, token), f"/sessions/{sid}/book").status_code == 303
    _mark(tool, teacher, ctx, sid, "attended")
    form = _get(tool, token)
    _mark(tool, teacher, ctx, sid, "no_show")  # the facilitator's correction
    r = _send(tool, token, session_answers(workshop), form.text)
    assert r.status_code == 409 and "opens once your attendance" in r.text
    # a form token of this page is refused without the launch that made it
    other = _launch(platform, "ev-cat", "learner", "ev-ctx2")
    assert _send(tool, other, session_answers(workshop), form.text).status_code == 403
    # the teacher's preview has no evaluation to send
    assert _get(tool, teacher).status_code == 403
