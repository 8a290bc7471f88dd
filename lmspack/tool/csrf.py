"""Per-form CSRF tokens for the admin pages' state-changing forms (revoke, re-issue, roster).

The admin pages are authorised by the launch token in the URL (`?t=`), not by a cookie, so a
page on another site cannot make the browser send a valid request by itself. Still, a launch
token travels in URLs (history, logs, a link pasted into an e-mail), and with it alone any
POST would go through. So every state-changing form also carries a token of its own:

    <input type="hidden" name="csrf_token" value="{{ csrf_token('reports.certificate_revoke',
                                                               context_id=ctx.id, code=code) }}">

    @bp.post("/admin/<int:context_id>/certificates/<code>/revoke")
    @require_launch("instructor")
    def certificate_revoke(context_id, code):
        ...                 # scope checks first: another tenant's object stays a 403 / 404
        check_form_token()  # then the form's token, for exactly this endpoint and URL

The token is signed with itsdangerous (key: the app's SECRET_KEY, salted for this use), has
a timestamp (refused after FORM_TOKEN_MAX_AGE seconds, default 4 hours like a launch) and
binds: the launch's platform, context and user, the endpoint (the action) and its URL
arguments (e.g. the certificate code). So a token from another course, another admin,
another certificate or another action, or one that was altered, is refused with a 403 page
that says what to do; nothing is changed.

The learner JSON API (/api/v1) needs no such token: it accepts the launch token only in an
`Authorization: Bearer` header, which a browser never adds by itself and a cross-site page
cannot set without a CORS preflight the tool does not allow.
"""

from __future__ import annotations

from flask import abort, current_app, g, make_response, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import error_page

FIELD = "csrf_token"
SALT = "lmspack admin form v1"
MAX_AGE = 4 * 3600  # seconds; FORM_TOKEN_MAX_AGE in the Flask config overrides it


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _binding(endpoint: str, args: dict) -> list:
    launch = g.launch
    url_args = sorted([str(k), str(v)] for k, v in args.items())
    return [launch.platform_id, launch.context_id, launch.user_id, endpoint, url_args]


def form_token(endpoint: str, **url_args) -> str:
    """The token for a form that posts to `endpoint` with these URL arguments, for the
    current launch (`g.launch`)."""
    return _serializer().dumps(_binding(endpoint, url_args))


def _refuse(message: str) -> None:

    abort(
        make_response(
            error_page(
                403,
                message,
                title="This form could not be accepted",
                hint="Reload the page (or open it again from your course) and submit the "
                "form again.",
            )
        )
    )


def check_form_token() -> None:
    """Refuse this POST (403 page) unless its form carries a valid, unexpired token for this
    launch, this endpoint and these URL arguments."""
    sent = request.form.get(FIELD, "")
    if not sent:
        _refuse("This form came without its security token, so nothing was changed.")
    max_age = int(current_app.config.get("FORM_TOKEN_MAX_AGE", MAX_AGE))
    try:
        bound = _serializer().loads(sent, max_age=max_age)
    except SignatureExpired:
        _refuse(
            "This form is too old (it was opened more than a few hours ago), so nothing "
            "was changed."
        )
    except BadSignature:
        _refuse("This form's security token is not valid, so nothing was changed.")
    expected = _binding(request.endpoint or "", request.view_args or {})
    if bound != expected:
        _refuse(
            "This form's security token was made for another page, course or person, so "
            "nothing was changed."
        )
