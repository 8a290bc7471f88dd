"""The `lti` blueprint: OIDC login, launch (resource links and deep linking), JWKS, the
deep-linking picker's answer, the admin's configuration page. Dynamic registration is in
registration.py (same blueprint)."""

from __future__ import annotations

import random
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import OIDCException
from pylti1p3.lineitem import LineItem
from sqlalchemy import delete

from ..printable import problem
from ..store import cache, records
from ..store import keys as tool_keys
from ..store.models import CacheEntry
from . import embedded, registration
from .context import (
    autocommit_db,
    base_url,
    db,
    outbound_policy,
    read_db,
    sites,
    store,
    tool_config,
)
from .errors import error_page
from .framing import allow_framing_by
from .launch_token import LaunchClaims, issue_launch_token
from .message_launch import ToolMessageLaunch
from .pylti import (
    DbLaunchDataStorage,
    DbSessionService,
    DbToolConf,
    LaunchError,
    ToolCookieService,
    ToolOIDCLogin,
    http_session,
    platform_by_id,
)

bp = Blueprint("lti", __name__)
registration.attach(bp)

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DEEP_LINK_SALT = "lmspack deep link ticket"
COURSE_PARAM = "lmspack_course"


def launch_url() -> str:
    return base_url() + "/lti/launch"


def _check_target(target: object, where: str) -> None:
    """The target_link_uri must point at this tool (same host and port): a login or launch
    naming another address is a misconfiguration, or someone replaying it elsewhere."""
    if not target:
        return
    ours = urlsplit(base_url()).netloc.lower()
    theirs = urlsplit(str(target)).netloc.lower() if isinstance(target, str) else ""
    if theirs != ours:
        raise LaunchError(
            f"The {where} asks to open {str(target)[:200]!r}, which is not this tool "
            f"({base_url()}). The tool's registration in your learning platform may name "
            "the wrong address; see /lti/config."
        )


def _flask_request() -> FlaskRequest:
    return FlaskRequest(session={})


def _parts(session, read=None):
    """pylti1p3's pieces for this request. Lookups go through `read` (default: the read
    session, so that on SQLite a launch takes the write lock only for its writes at the end)."""
    req = _flask_request()
    read = read if read is not None else read_db()
    conf = DbToolConf(read)
    return req, conf, DbSessionService(req, session, read), ToolCookieService(req)


# --------------------------------------------------------------------------- login


@bp.route("/lti/login", methods=["GET", "POST"])
def login():
    # The login writes one row, which needs no transaction around it: its registration
    # lookup and INSERT commit by themselves (on PostgreSQL that saves the BEGIN and COMMIT
    # round trips; a platform removed in between fails the INSERT's foreign key). What login
    # writes (a nonce, state) lives minutes and is worthless after a crash: on PostgreSQL
    # `logins` is UNLOGGED (migration 0012), so its commit waits for no WAL flush.
    # On SQLite one transaction: the registration is read where the login is written (a read
    # session of its own cost a connection and a BEGIN more, for a lock held a millisecond less).
    session = autocommit_db()
    req, conf, sessions, cookies = _parts(session, read=session)
    oidc = ToolOIDCLogin(
        req,
        conf,
        session_service=sessions,
        cookie_service=cookies,
        launch_data_storage=DbLaunchDataStorage(session, session),
    )
    try:
        oidc.validate_oidc_login()
    except OIDCException as exc:
        iss = req.get_param("iss")
        if iss and str(exc).startswith("Could not find registration"):
            client = req.get_param("client_id")
            raise LaunchError(
                f"This tool has no registration for the platform {iss!r}"
                + (f" with client id {client!r}" if client else "")
                + ". An administrator registers it with `lmspack platform add` or by "
                "dynamic registration (see /lti/config)."
            ) from exc
        raise LaunchError(f"The login request is incomplete: {exc}.") from exc
    _check_target(req.get_param("target_link_uri"), "login")
    assert conf.platform is not None  # validate_oidc_login found it
    oidc.pass_params_to_launch({"platform_id": conf.platform.id})  # stored with state and nonce
    if tool_config().cookie_check and not req.get_param("lti1p3_new_window"):
        # in the platform's frame: keep the login's proof where this browser allows
        _p, new_window = oidc.get_cookies_allowed_js_check_params()
        auth_url = oidc.get_redirect_object(launch_url()).get_redirect_url()
        resp = embedded.login_page(
            auth_url,
            embedded.new_window_url(base_url() + "/lti/login", dict(new_window)),
            conf.platform.auth_login_url,
            cookies,
        )
    else:
        resp = oidc.redirect(launch_url())
    if random.random() < 0.01:
        cache.prune_expired(session)
    session.commit()
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --------------------------------------------------------------------------- launch


def _message_launch(session) -> tuple[ToolMessageLaunch, DbToolConf]:
    req, conf, sessions, cookies = _parts(session)
    cfg = tool_config()
    ml = ToolMessageLaunch(
        req,
        conf,
        db=session,
        read=read_db(),
        cache_store=store(),
        leeway=cfg.jwt_leeway,
        tool_url=base_url(),
        outbound=outbound_policy(),
        timeout=cfg.http_timeout,
        session_service=sessions,
        cookie_service=cookies,
        launch_data_storage=DbLaunchDataStorage(session, read_db(), cookie_optional=True),
        requests_session=http_session(cfg.http_timeout),
    )
    return ml, conf


def is_instructor(roles: list[str]) -> bool:
    for role in roles or []:
        if not isinstance(role, str):
            continue
        name = role.rsplit("#", 1)[-1] if "#" in role else role.rsplit("/", 1)[-1]
        if "membership/" in role and "#" in role and "membership#" not in role:
            continue  # a sub-role such as membership/Instructor#TeachingAssistant
        if name in ("Instructor", "Administrator"):
            return True
    return False


@bp.post("/lti/launch")
def launch():
    if request.form.get("error") and not request.form.get("id_token"):
        err = request.form.get("error", "")[:100]
        desc = request.form.get("error_description", "")[:500]
        return error_page(
            400,
            f"Your learning platform could not complete the launch ({err})"
            + (f": {desc}" if desc else "."),
            title="The learning platform stopped the launch",
            hint="Go back to your course page and try again. If it keeps happening, "
            "your platform administrator can check the tool's registration.",
        )
    if not request.form.get("id_token"):
        raise LaunchError("The launch carries no id_token. Open the activity from your course.")
    session = db()
    ml, conf = _message_launch(session)
    try:
        ml.validate()
    except embedded.ProofNeeded as need:
        return _completion_page(need.platform_id)
    body = ml.get_launch_data()
    platform = conf.platform
    assert platform is not None
    allow_framing_by(platform.issuer, platform.auth_login_url)
    _check_target(body.get(LTI + "target_link_uri"), "launch")
    deployment = conf.deployment
    assert deployment is not None  # validate_deployment found it
    if ml.is_deep_link_launch():
        return _deep_link_picker(ml, body)
    if not ml.is_resource_launch():
        raise LaunchError("This tool accepts resource link and deep linking launches only.")
    if not body.get("sub"):
        raise LaunchError("The launch names no user (sub); anonymous launches are not supported.")
    if problem(str(body["sub"])):  # names are cleaned (records); an id can't be, so refuse it
        raise LaunchError(f"The launch's user id (sub) contains {problem(str(body['sub']))}.")

    site = _site_for(body)
    user_id = records.upsert_user(session, platform.id, deployment.id, body)
    context_id = records.upsert_context(session, platform.id, deployment.id, body)
    link_id = records.upsert_resource_link(session, platform.id, context_id, body, site.id)
    instructor = is_instructor(body.get(LTI + "roles") or [])
    attempt_id = (
        None
        if instructor
        else records.start_or_resume_attempt(
            session, platform.id, user_id, context_id, link_id, site.id, site.version
        )
    )
    claims = LaunchClaims(
        user_id=user_id,
        platform_id=platform.id,
        context_id=context_id,
        resource_link_id=link_id,
        attempt_id=attempt_id,
        role="instructor" if instructor else "learner",
        course_id=site.id,
    )
    summary = None
    if instructor:
        summary = records.context_summary(session, platform.id, context_id)
    session.commit()
    cfg = tool_config()
    token = issue_launch_token(
        current_app.config["SECRET_KEY"], claims, cfg.token_ttl, cfg.session_max_age
    )
    course_url = site.prefix + "?" + urlencode({"t": token})
    if instructor:
        g.launch = claims  # the page's header names the organisation; framing its platform
        return render_template(
            "instructor.html",
            site=site,
            context=summary["context"],
            link_title=(body.get(LTI + "resource_link") or {}).get("title"),
            learners=len(summary["rows"]),
            admin_url=f"/admin/{context_id}?" + urlencode({"t": token}),
            preview_url=course_url,
        ), {"Cache-Control": "no-store"}
    return redirect(course_url, code=303)


def _completion_page(platform_id: int):
    """No state cookie came back, but the state names a login in flight: the tool's own page
    looks for the login's proof in this browser and posts the launch again (embedded.py)."""
    platform = platform_by_id(read_db(), platform_id)
    if platform is None:
        raise LaunchError("The launch's platform is no longer registered with this tool.")
    allow_framing_by(platform.issuer, platform.auth_login_url)
    return embedded.completion_page(platform.auth_login_url)


def _site_for(body: dict):
    served = sites()
    wanted = (body.get(LTI + "custom") or {}).get(COURSE_PARAM)
    if wanted:
        if wanted not in served:
            raise LaunchError(f"This tool does not serve the course {wanted!r}.", 404)
        return served[wanted]
    return next(iter(served.values()))


# --------------------------------------------------------------------------- deep linking


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEEP_LINK_SALT)


def _deep_link_picker(ml: ToolMessageLaunch, body: dict):
    if not is_instructor(body.get(LTI + "roles") or []):
        raise LaunchError("Only teachers and administrators can add this tool to a course.", 403)
    db().commit()  # keep the launch for the picker's answer
    ctx = body.get(LTI + "context") or {}
    return render_template(
        "deep_link.html",
        sites=list(sites().values()),
        ticket=_serializer().dumps(ml.get_launch_id()),
        context_title=ctx.get("title"),
    ), {"Cache-Control": "no-store"}


@bp.post("/lti/deep-link")
def deep_link_select():
    try:
        launch_id = _serializer().loads(request.form.get("ticket", ""), max_age=900)
    except SignatureExpired as exc:
        raise LaunchError("The course picker has expired; start again from your course.") from exc
    except BadSignature as exc:
        raise LaunchError("The course picker's answer was not recognised.") from exc
    site = sites().get(request.form.get("course", ""))
    if site is None:
        raise LaunchError("Choose one of the courses listed.")
    session = db()
    ml, _conf = _message_launch(session)
    data = ml.get_session_service().get_launch_data(launch_id)
    if not data:
        raise LaunchError(
            "The course picker has expired or was used; start again from your course."
        )
    ml.set_launch_id(launch_id).set_auto_validation(enable=False).set_jwt(
        {"body": data}
    ).set_restored().validate_registration()
    resource = (
        DeepLinkResource()
        .set_url(launch_url())
        .set_title(site.course.title)
        .set_lineitem(
            LineItem().set_score_maximum(100).set_label(site.course.title).set_resource_id(site.id)
        )
        .set_custom_params({COURSE_PARAM: site.id})
    )
    html = ml.get_deep_link().output_response_form([resource])
    # single use: the stored launch goes
    suffix = launch_id.removeprefix("lti1p3-")
    session.execute(delete(CacheEntry).where(CacheEntry.key.like(f"%{suffix}")))
    session.commit()
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Adding the course</title></head><body><main><p>Adding "
        f"the course to your page…</p>{html}</main></body></html>"
    )
    return page, {"Cache-Control": "no-store"}


# --------------------------------------------------------------------------- keys, config


@bp.get("/lti/jwks")
def jwks():
    data = tool_keys.published_jwks(read_db())
    return data, {"Cache-Control": f"public, max-age={tool_keys.JWKS_MAX_AGE}"}


@bp.get("/lti/config")
def config_page():
    b = base_url()
    urls = {
        "launch": b + "/lti/launch",
        "login": b + "/lti/login",
        "jwks": b + "/lti/jwks",
        "register": b + "/lti/register",
    }
    first = next(iter(sites().values()))
    return render_template(
        "config.html",
        urls=urls,
        tool_name=f"lmspack: {first.course.title}",
        registration_key=bool(tool_config().registration_key),
    )


@bp.get("/lti/launch")
def launch_get():
    abort(405, description="A launch arrives by POST from your learning platform.")
