"""LTI Dynamic Registration (1EdTech LTI DR 1.0), closed by default.

0. The tool's administrator runs `lmspack platform invite --name "Acme Council"`, which
   prints <LMSPACK_BASE_URL>/lti/register?invite=T; the Moodle admin pastes that URL.
   Without a valid invite (or LMSPACK_REGISTRATION_KEY as ?key=K) the answer is 403 and
   nothing is fetched.
1. The platform opens /lti/register?invite=T&openid_configuration=URL&registration_token=R
   (in an iframe or a new window).
2. The invite is spent (store.invites.consume, committed before anything is fetched): one
   invite, one registration attempt, even for two requests at the same moment.
3. We fetch the platform's OpenID configuration through the address guard
   (lmspack.lti.outbound: https, public addresses, size, redirects and time capped) and
   check it (same origin as the issuer, endpoints present and allowed, RS256 supported).
4. We POST our client registration to its registration_endpoint with
   `Authorization: Bearer R`: application_type web, response_types id_token,
   initiate_login_uri, redirect_uris, jwks_uri, token_endpoint_auth_method private_key_jwt,
   the AGS and NRPS scopes, and the lti-tool-configuration object.
5. We store the returned client_id and deployment_id as a platform (named after the invite,
   so certificates name the organisation the administrator invited) + deployment, note the
   outcome on the invite, and show a page that closes with
   window.parent.postMessage({subject: 'org.imsglobal.lti.close'}).

Every refusal is a page for the administrator (RegistrationError): 403 without a usable
invite, 400 for a configuration this tool will not use or a registration the platform
refused, 502 when the platform could not be reached or answered wrongly; no page echoes
what the platform answered.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import requests
from flask import Blueprint, render_template, request
from requests_hardened.ip_filter import InvalidIPAddress, filter_host

from ..lti.outbound import OutboundError, OutboundPolicy, fetch_json, guarded_session
from ..store import invites, platforms
from .context import base_url, db, outbound_policy, read_db, sites, tool_config
from .errors import error_page
from .framing import allow_framing_by
from .pylti import LaunchError

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
ANSWER_LIMIT = 64 * 1024  # bytes of a configuration or registration answer
ADMIN_HINT = (
    "This page is for the administrator registering the tool. Make a new invite with "
    "`lmspack platform invite` and paste its URL into your platform again."
)
ASK_FOR_INVITE = "Ask the tool's administrator for a new invite (`lmspack platform invite`)."


class RegistrationError(LaunchError):
    """A registration refused, with a page for the administrator (not the learner's hint)."""

    def __init__(self, message: str, status: int = 400, *, hint: str | None = ADMIN_HINT):
        super().__init__(message, status)
        self.hint = hint


def _registration_error(exc: RegistrationError):
    title = "Registration needs an invite" if exc.status == 403 else "Registration failed"
    return error_page(exc.status, str(exc), title=title, hint=exc.hint)


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def client_registration(base: str, title: str) -> dict:
    """The registration request body we send (also shown in tests and docs)."""
    launch = base + "/lti/launch"
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + "/lti/login",
        "redirect_uris": [launch],
        "client_name": f"lmspack: {title}",
        "jwks_uri": base + "/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base).netloc,
            "description": f"{title} (lmspack)",
            "target_link_uri": launch,
            "claims": CLAIMS,
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": launch,
                    "label": f"Add {title}",
                    "supported_types": ["ltiResourceLink"],
                },
            ],
        },
    }


def _when(moment) -> str:
    return f"{moment:%-d %B %Y at %H:%M} UTC"


def _access() -> tuple[str, str]:
    """How this request may register: ("invite", token) or ("registration-key", "").
    Raises the 403 otherwise; nothing has been fetched or changed yet."""
    token = request.args.get("invite", "")
    if token:
        invite = invites.find(read_db(), token)
        state = invites.state_of(invite)
        if state == "valid":
            return "invite", token
        if state == "used":
            problem = (
                f"This registration invite was already used, on {_when(invite.used_at)}: an "
                "invite registers one platform, once."
            )
        elif state == "expired":
            problem = f"This registration invite expired on {_when(invite.expires_at)}."
        else:
            problem = "This registration invite is not valid (it may have been cut short)."
        raise RegistrationError(f"{problem} {ASK_FOR_INVITE}", 403, hint=None)
    key = tool_config().registration_key
    given = request.args.get("key", "")
    if key and given and hmac.compare_digest(given.encode(), key.encode()):
        return "registration-key", ""
    raise RegistrationError(
        "Registering with this tool needs an invite. The tool's administrator makes one with "
        '`lmspack platform invite --name "Your organisation"`, which prints the registration '
        "URL to paste into your platform (see /lti/config).",
        403,
        hint=None,
    )


def _refusal(exc: OutboundError) -> str:
    if exc.status in (401, 403):
        return f"it did not accept the registration token (HTTP {exc.status})"
    detail = f", {exc.error}" if exc.error else ""
    return f"it did not accept the tool's registration request (HTTP {exc.status}{detail})"


def _fetch(http: requests.Session, what: str, method: str, url: str, **kw) -> dict:
    timeout = tool_config().http_timeout
    try:
        return fetch_json(http, method, url, limit=ANSWER_LIMIT, timeout=timeout, **kw).data
    except OutboundError as exc:
        if method == "POST" and exc.status in (400, 401, 403):
            raise RegistrationError(
                f"The platform refused the registration: {_refusal(exc)}; make a new "
                "invite and try again."
            ) from None
        status = 400 if exc.refused else 502
        raise RegistrationError(f"{what} at {url[:200]} {exc}.", status) from None


def _issuer_matches(issuer: str, config_url: str) -> bool:
    """The configuration must come from the issuer's own site: same scheme and host, and
    under the issuer's path (not merely a string prefix: moodle.example.org.evil.test)."""
    i, c = urlsplit(issuer), urlsplit(config_url)
    if not i.scheme or (i.scheme, i.netloc.lower()) != (c.scheme, c.netloc.lower()):
        return False
    prefix = i.path.rstrip("/")
    return not prefix or c.path == prefix or c.path.startswith(prefix + "/")


def _check_endpoint(policy: OutboundPolicy, what: str, url: str) -> None:
    """An endpoint the tool will call later (keys, tokens) must pass the same rules now."""
    try:
        policy.check_url(url)
        if not policy.allow_private:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            filter_host(parts.hostname or "", port, allow_loopback=policy.allow_loopback)
    except OutboundError as exc:
        raise RegistrationError(f"The platform's {what} {exc}.") from None
    except InvalidIPAddress as exc:
        raise RegistrationError(
            f"The platform's {what} ({url[:200]}) leads to a private, loopback or "
            f"link-local address ({exc}), which this tool does not contact."
        ) from None
    except (requests.RequestException, ValueError):
        raise RegistrationError(
            f"The platform's {what} ({url[:200]}) could not be resolved."
        ) from None


def register():
    via, token = _access()
    config_url = request.args.get("openid_configuration", "")
    if not config_url:
        raise RegistrationError(
            "This is the tool's dynamic registration URL: paste it into your platform "
            "(in Moodle: Manage tools › Tool URL › Add LTI Advantage). It needs the "
            "platform's openid_configuration parameter.",
            hint=None,
        )
    policy = outbound_policy()
    try:
        policy.check_url(config_url)  # a wrong address costs no invite
    except OutboundError as exc:
        raise RegistrationError(f"The platform's configuration address {exc}.", hint=None) from None
    allow_framing_by(config_url)
    session = db()
    spent = None
    if via == "invite":
        spent = invites.consume(session, token)
        session.commit()  # spent for every other worker before anything is fetched
        if spent is None:
            raise RegistrationError(
                f"This registration invite was used a moment ago. {ASK_FOR_INVITE}", 403, hint=None
            )
    try:
        platform, deployment_id = _register(policy, config_url, via, spent)
    except RegistrationError as exc:
        if spent is not None:
            session.rollback()
            invites.finish(session, spent.id, outcome=f"failed: {exc}")
            session.commit()
        raise
    if spent is not None:
        invites.finish(
            session,
            spent.id,
            outcome=f"registered #{platform.id} {platform.name}",
            platform_id=platform.id,
        )
    session.commit()
    return render_template("registered.html", platform=platform, deployment_id=deployment_id), {
        "Cache-Control": "no-store"
    }


def _register(policy: OutboundPolicy, config_url: str, via: str, spent):
    http = guarded_session(policy, tool_config().http_timeout)
    conf = _fetch(http, "The platform's configuration", "GET", config_url)
    issuer = conf.get("issuer", "")
    if not isinstance(issuer, str) or not _issuer_matches(issuer, config_url):
        raise RegistrationError(
            f"The platform's configuration names the issuer {str(issuer)[:200]!r}, which is "
            f"not the site it came from ({config_url[:200]})."
        )
    needed = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not isinstance(conf.get(k), str) or not conf.get(k)]
    if missing:
        raise RegistrationError("The platform's configuration lacks " + ", ".join(missing) + ".")
    algs = conf.get("id_token_signing_alg_values_supported") or ["RS256"]
    if "RS256" not in algs:
        raise RegistrationError("The platform does not sign with RS256.")
    _check_endpoint(policy, "key set URL (jwks_uri)", conf["jwks_uri"])
    _check_endpoint(policy, "token endpoint", conf["token_endpoint"])
    _check_endpoint(policy, "authorization endpoint", conf["authorization_endpoint"])

    first = next(iter(sites().values()))
    body = client_registration(base_url(), first.course.title)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    registration_token = request.args.get("registration_token", "")
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    answer = _fetch(
        http,
        "The platform's registration endpoint",
        "POST",
        conf["registration_endpoint"],
        json=body,
        headers=headers,
    )
    client_id = answer.get("client_id")
    if not client_id or not isinstance(client_id, str | int):
        raise RegistrationError("The platform's registration answer has no client_id.", 502)
    tool_conf = answer.get(TOOL_CONFIGURATION) or {}
    deployment_id = tool_conf.get("deployment_id") if isinstance(tool_conf, dict) else None

    pconf = conf.get(PLATFORM_CONFIGURATION) or {}
    product = pconf.get("product_family_code") if isinstance(pconf, dict) else None
    name = (spent.name if spent is not None else None) or (
        f"{str(product or 'platform')[:60]} at {urlsplit(issuer).netloc}"
    )
    session = db()
    platform = platforms.find_platform(session, issuer, str(client_id))
    if platform is None:
        try:
            platform = platforms.add_platform(
                session,
                name=name,
                issuer=issuer,
                client_id=str(client_id),
                auth_login_url=conf["authorization_endpoint"],
                auth_token_url=conf["token_endpoint"],
                key_set_url=conf["jwks_uri"],
                auth_audience=conf.get("authorization_server"),
                added_via=via,
                invite_name=spent.name if spent is not None else None,
            )
        except platforms.PlatformError as exc:
            raise RegistrationError(f"The platform's configuration is not usable: {exc}.") from exc
    if deployment_id:
        platforms.add_deployment(session, platform, str(deployment_id))
    return platform, deployment_id


def attach(bp: Blueprint) -> None:
    """GET /lti/register (endpoint `lti.register`) and its administrator-facing error page,
    on the `lti` blueprint, which owns every /lti/ address."""
    bp.register_error_handler(RegistrationError, _registration_error)
    bp.add_url_rule("/lti/register", view_func=register, methods=["GET"])
