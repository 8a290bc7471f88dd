"""LTI Dynamic Registration (1EdTech LTI DR 1.0): a Moodle admin pastes /lti/register.

1. The platform opens /lti/register?openid_configuration=URL&registration_token=T
   (in an iframe or a new window).
2. We fetch the platform's OpenID configuration and check it (issuer prefix of the URL,
   endpoints present, RS256 supported).
3. We POST our client registration to its registration_endpoint with
   `Authorization: Bearer T`: application_type web, response_types id_token,
   initiate_login_uri, redirect_uris, jwks_uri, token_endpoint_auth_method private_key_jwt,
   the AGS and NRPS scopes, and the lti-tool-configuration object.
4. We store the returned client_id and deployment_id as a platform + deployment, and show a
   page that closes with window.parent.postMessage({subject: 'org.imsglobal.lti.close'}).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import requests
from flask import render_template, request

from ..store import platforms as reg
from .app import allow_framing_by, base_url, db, sites, tool_config
from .lti import bp
from .pylti import LaunchError, http_session

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


def _fetch_json(session: requests.Session, method: str, url: str, **kw) -> dict:
    try:
        resp = session.request(method, url, **kw)
    except requests.RequestException as exc:
        raise LaunchError(f"The platform at {url} could not be reached: {exc}", 502) from exc
    if resp.status_code >= 400:
        raise LaunchError(
            f"The platform answered {resp.status_code} from {url}: {resp.text[:300]}", 502
        )
    try:
        data = resp.json()
    except ValueError as exc:
        raise LaunchError(f"The platform's answer from {url} is not JSON.", 502) from exc
    if not isinstance(data, dict):
        raise LaunchError(f"The platform's answer from {url} is not a JSON object.", 502)
    return data


@bp.get("/lti/register")
def register():
    required_key = tool_config().registration_key
    if required_key and not hmac.compare_digest(
        request.args.get("key", "").encode(), required_key.encode()
    ):
        raise LaunchError(
            "This registration URL is not complete: ask the tool's administrator for the "
            "registration URL with its key (see /lti/config).",
            403,
        )
    config_url = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token", "")
    if urlsplit(config_url).scheme not in ("http", "https"):
        raise LaunchError(
            "This is the tool's dynamic registration URL: paste it into your platform "
            "(in Moodle: Manage tools › Tool URL › Add LTI Advantage). It needs the "
            "platform's openid_configuration parameter."
        )
    allow_framing_by(config_url)
    http = http_session(tool_config().http_timeout)
    conf = _fetch_json(http, "GET", config_url)
    issuer = conf.get("issuer", "")
    if not issuer or not config_url.startswith(issuer.rstrip("/")):
        raise LaunchError(
            f"The platform's configuration names the issuer {issuer!r}, which does not match "
            f"the address it came from ({config_url})."
        )
    needed = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [k for k in needed if not conf.get(k)]
    if missing:
        raise LaunchError("The platform's configuration lacks " + ", ".join(missing) + ".")
    algs = conf.get("id_token_signing_alg_values_supported") or ["RS256"]
    if "RS256" not in algs:
        raise LaunchError("The platform does not sign with RS256.")

    first = next(iter(sites().values()))
    body = client_registration(base_url(), first.course.title)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = _fetch_json(http, "POST", conf["registration_endpoint"], json=body, headers=headers)
    client_id = answer.get("client_id")
    if not client_id:
        raise LaunchError("The platform's registration answer has no client_id.", 502)
    tool_conf = answer.get(TOOL_CONFIGURATION) or {}
    deployment_id = tool_conf.get("deployment_id")

    pconf = conf.get(PLATFORM_CONFIGURATION) or {}
    name = pconf.get("product_family_code") or "platform"
    name = f"{name} at {urlsplit(issuer).netloc}"
    session = db()
    platform = reg.find_platform(session, issuer, str(client_id))
    if platform is None:
        try:
            platform = reg.add_platform(
                session,
                name=name,
                issuer=issuer,
                client_id=str(client_id),
                auth_login_url=conf["authorization_endpoint"],
                auth_token_url=conf["token_endpoint"],
                key_set_url=conf["jwks_uri"],
                auth_audience=conf.get("authorization_server"),
            )
        except reg.PlatformError as exc:
            raise LaunchError(f"The platform's configuration is not usable: {exc}.") from exc
    if deployment_id:
        reg.add_deployment(session, platform, str(deployment_id))
    session.commit()
    return render_template("registered.html", platform=platform, deployment_id=deployment_id), {
        "Cache-Control": "no-store"
    }
