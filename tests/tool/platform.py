"""A real LTI 1.3 platform for the tests, built on the PyPI package `lti1p3platform` (which we
did not write), served by werkzeug on loopback; plus a tiny "browser" that follows the
redirects and auto-submitted forms the way a browser does (cookies included).

The platform side: OIDC login initiation (/start), the authorization endpoint (/auth) that
answers with the signed id_token form, its JWKS (/jwks), the deep-linking return
(/deep_link_return, validated by lti1p3platform against the tool's JWKS over HTTP), the token
endpoint (/token) and, for LTI Dynamic Registration, /.well-known/openid-configuration and
/register (written here following the 1EdTech spec).
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from datetime import datetime
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from lti1p3platform.exceptions import LineItemNotFoundException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context as MembershipContext
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
)
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = {
    "learner": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    "instructor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    "admin": ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"],
}


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class ServerThread:
    """A WSGI app on 127.0.0.1:<free port>, in a daemon thread; over HTTPS with an
    ssl_context, and named `host` in its URL (e.g. "localhost": another site than 127.0.0.1
    for a browser)."""

    def __init__(self, *, ssl_context: Any = None, host: str = "127.0.0.1") -> None:
        self.app: Any = None
        self.server = make_server(
            "127.0.0.1", 0, self._dispatch, threaded=True, ssl_context=ssl_context
        )
        self.port = self.server.server_port
        self.url = f"{'https' if ssl_context else 'http'}://{host}:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def start(self, app) -> ServerThread:
        self.app = app
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FlaskPlatformRequest(Request):
    def build_metadata(self, req) -> TRequest:
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            "get_data": req.args.to_dict(),
            "headers": dict(req.headers),
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs) -> Registration:
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str):
        return redirect(url)


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict, **kwargs):
        return (
            '<!DOCTYPE html><html><body><form id="f" method="post" '
            f'action="{launch_data["launch_url"]}">'
            f'<input type="hidden" name="id_token" value="{launch_data["id_token"]}">'
            f'<input type="hidden" name="state" value="{launch_data["state"]}">'
            "</form><script>document.getElementById('f').submit()</script></body></html>"
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# The platform page's side of the 1EdTech postMessage storage: answers only the registered
# tool's origin, keeps values per origin, records every message it got (window.ltiMessages).
PLATFORM_STORAGE_JS = """
(function () {
  const tool = TOOL_ORIGIN; const kept = {}; window.ltiMessages = [];
  const supported = ['lti.capabilities', 'lti.put_data', 'lti.get_data'];
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (!d || typeof d !== 'object' || typeof d.subject !== 'string') return;
    window.ltiMessages.push({ origin: e.origin, subject: d.subject, key: d.key });
    if (e.origin !== tool || !supported.includes(d.subject)) return;
    const reply = (extra) => e.source.postMessage(Object.assign(
      { subject: d.subject + '.response', message_id: d.message_id }, extra), e.origin);
    if (d.subject === 'lti.capabilities') {
      reply({ supported_messages: supported.map((subject) => ({ subject })) });
    } else if (d.subject === 'lti.put_data') {
      kept[d.key] = d.value; reply({ key: d.key, value: d.value });
    } else if (d.key in kept) {
      reply({ key: d.key, value: kept[d.key] });
    } else {
      reply({ key: d.key, error: { code: 'not_found', message: 'no such key' } });
    }
  });
}());
"""


class TestPlatform:
    """One LMS: issuer = its URL, one client id and deployment registered with the tool."""

    __test__ = False

    def __init__(
        self,
        tool_url: str,
        *,
        client_id: str | None = None,
        deployment_id: str = "1",
        server: ServerThread | None = None,
    ):
        self.server = server or ServerThread()
        self.issuer = self.server.url
        # unique per instance: the tool caches key sets by URL, and a later test platform
        # may get the same port (and a new key)
        self.jwks_url = f"{self.issuer}/jwks?instance={uuid.uuid4().hex[:12]}"
        self.tool_url = tool_url
        self.client_id = client_id or "client-" + uuid.uuid4().hex[:8]
        self.deployment_id = deployment_id
        self.private_key, self.public_key = rsa_pair()
        # signing with a key object: parsing the PEM costs ~40 ms each time
        self._key = serialization.load_pem_private_key(self.private_key.encode(), None)
        self.kid = Registration.get_jwk(self.public_key)["kid"]
        self.extra_jwks: list[dict] = []  # e.g. a rotated-in key
        self.content_items: list[dict] = []
        self.registration_requests: list[dict] = []
        self.registration_token = "regtoken-" + uuid.uuid4().hex
        self.registered_client_id = "dyn-" + uuid.uuid4().hex[:8]
        self.last_launch: dict = {}
        self.jwks_hits = 0
        self.jwks_lock = threading.Lock()
        self.jwks_cache_control: str | None = None  # the Cache-Control its key set is sent with
        self.jwks_delay = 0.0  # seconds /jwks takes (a real platform is not instant)
        self.config_hits = 0  # GETs of /.well-known/openid-configuration
        self.reject_registration: tuple[str, str] | None = None  # (error, description): a 400
        self.app = self._make_app()
        self.server.start(self.app)

    def replace_key(self) -> None:
        """A new signing key published under the same kid (as a platform that regenerates its
        key without changing the kid does)."""
        self.private_key, self.public_key = rsa_pair()
        self._key = serialization.load_pem_private_key(self.private_key.encode(), None)

    def start_registration(self, browser: Browser, pasted_url: str) -> requests.Response:
        """What Moodle does with the tool URL an administrator pasted for dynamic registration:
        open it with its openid_configuration and registration_token added."""
        return browser.get(
            pasted_url,
            params={
                "openid_configuration": self.issuer + "/.well-known/openid-configuration",
                "registration_token": self.registration_token,
            },
        )

    # registration as lti1p3platform sees it ------------------------------------
    def registration(self) -> Registration:
        r = Registration()
        r.set_iss(self.issuer).set_client_id(self.client_id).set_deployment_id(
            self.deployment_id
        ).set_oidc_login_url(self.tool_url + "/lti/login").set_launch_url(
            self.tool_url + "/lti/launch"
        ).set_deeplink_launch_url(self.tool_url + "/lti/launch").set_platform_public_key(
            self.public_key
        ).set_platform_private_key(self.private_key).set_tool_key_set_url(
            self.tool_url + "/lti/jwks"
        )
        return r

    def conf(self) -> PlatformConf:
        return PlatformConf(registration=self.registration())

    def cli_args(self) -> dict:
        return {
            "name": f"Test LMS {self.server.port}",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.issuer + "/auth",
            "auth_token_url": self.issuer + "/token",
            "key_set_url": self.jwks_url,
            "deployment_ids": [self.deployment_id],
        }

    # claims and signing (for tests that forge or alter launches) ----------------
    def launch_claims(self, auth_params: dict, hint: dict | None = None) -> dict:
        """The id_token body lti1p3platform builds for this auth request."""
        with self.app.test_request_context("/auth", query_string=auth_params):
            launch = self._launch_for(FlaskPlatformRequest(request), hint)
            launch._registration = launch._platform_config.get_registration()
            body, _state = launch.get_launch_data()
        now = int(time.time())
        body.update({"iat": now, "exp": now + 60})
        return body

    def sign(self, claims: dict, *, key: str | None = None, alg="RS256", kid=None) -> str:
        headers = {"kid": kid or self.kid}
        return jwt.encode(claims, key or self._key, algorithm=alg, headers=headers)

    def _launch_for(self, req, hint: dict | None) -> Launch:
        params = {**req.get_data, **req.form_data}
        hint = hint or json.loads(params.get("lti_message_hint") or "{}")
        launch = Launch(req, self.conf())
        user = hint.get("user", "u1")
        if "user_json" in hint:  # a user id a URL can't carry (a lone surrogate)
            user = json.loads(hint["user_json"])
        full_name = hint.get("name", f"User {user}")
        if "name_json" in hint:  # a name a URL can't carry (a lone surrogate), or null: none
            full_name = json.loads(hint["name_json"])
        launch.set_user_data(
            user,
            ROLES[hint.get("role", "learner")],
            full_name=full_name,
            email_address=f"{user}@example.org",
        )
        # As Moodle sends them: the full name is given + family (a hint may set them apart).
        given, _, family = (full_name or "").partition(" ")
        launch.set_extra_claims(
            {"given_name": hint.get("given", given), "family_name": hint.get("family", family)}
        )
        context = hint.get("context", "c1")
        launch.set_launch_context_claim(
            context, context_title=f"Course {context}", context_label=context.upper()
        )
        link = hint.get("link", "rl1")
        launch.set_resource_link_claim(link, title=f"Pre-work ({link})")
        launch.set_ags(  # lineitem "none": the tool must find or make its line item
            lineitems_url=f"{self.issuer}/ags/{context}/lineitems",
            lineitem_url=None
            if hint.get("lineitem") == "none"
            else f"{self.issuer}/ags/{context}/lineitems/{link}",
            # results "none": no result.readonly scope (the tool cannot read the gradebook)
            results_service_enabled=hint.get("results") != "none",
        )
        launch.set_nrps(f"{self.issuer}/nrps/{context}/memberships")
        custom = hint.get("custom")
        if custom:
            launch.set_custom_parameters_claim(
                json.loads(custom) if isinstance(custom, str) else custom
            )
        if hint.get("kind") == "deeplink":
            launch.set_dl(self.issuer + "/deep_link_return", title="Add content")
        return launch

    # the platform's web app ------------------------------------------------------
    def _make_app(self) -> Flask:
        app = Flask(f"platform{self.server.port}")

        @app.get("/embed")
        def embed():
            """A course page as Moodle shows an activity: in an iframe on the platform. With
            ?storage=1 the page also answers the 1EdTech platform-storage postMessages
            (lti.capabilities, lti.put_data, lti.get_data), as Canvas or Brightspace do."""
            src = html.escape(request.args.get("src", ""), quote=True)
            page = f'<!doctype html><title>Course</title><iframe id="tool" src="{src}" ' \
                   'width="1200" height="850" title="Activity"></iframe>'
            if request.args.get("fill"):  # the frame as wide as the window (a phone's Moodle)
                page = page.replace('width="1200" height="850"', 'style="display:block;'
                                    'border:0;width:100%;height:100vh"').replace(
                    "<title>", '<html lang="en"><style>body{margin:0}</style><title>')
            if request.args.get("storage"):
                tool = json.dumps(_origin(self.tool_url))
                page += f"<script>{PLATFORM_STORAGE_JS.replace('TOOL_ORIGIN', tool)}</script>"
            return page

        @app.get("/start")
        def start():
            hint = {k: v for k, v in request.args.items()}
            login = Login(FlaskPlatformRequest(request), self.conf())
            login.set_lti_message_hint(**hint)
            if hint.get("kind") == "deeplink":
                login.set_deeplinking_launch_url()
            resp = login.initiate_login(hint.get("user", "u1"))
            if hint.get("storage"):  # the platform offers its storage, as Canvas does
                resp.headers["Location"] += "&lti_storage_target=_parent"
            return resp

        @app.route("/auth", methods=["GET", "POST"])
        def auth():
            req = FlaskPlatformRequest(request)
            launch = self._launch_for(req, None)
            html = launch.lti_launch()
            params = {**req.get_data, **req.form_data}
            self.last_launch = {"params": params}
            if json.loads(params.get("lti_message_hint") or "{}").get("storage"):
                html = html.replace("</form>", '<input type="hidden" '
                                    'name="lti_storage_target" value="_parent"></form>')
            return html

        @app.get("/jwks")
        def jwks():
            with self.jwks_lock:
                self.jwks_hits += 1
            if self.jwks_delay:
                time.sleep(self.jwks_delay)
            key = {**Registration.get_jwk(self.public_key), "kid": self.kid}
            resp = jsonify({"keys": [key, *self.extra_jwks]})
            if self.jwks_cache_control:
                resp.headers["Cache-Control"] = self.jwks_cache_control
            return resp

        @app.post("/deep_link_return")
        def deep_link_return():
            items = self.conf().validate_deeplinking_resp({"JWT": request.form["JWT"]})
            self.content_items.extend(items)
            return "<p>Content added.</p>"

        @app.post("/token")
        def token():
            return jsonify(self.conf().get_access_token(request.form.to_dict()))

        @app.get("/.well-known/openid-configuration")
        def openid_configuration():
            self.config_hits += 1
            return jsonify(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": self.issuer + "/auth",
                    "registration_endpoint": self.issuer + "/register",
                    "token_endpoint": self.issuer + "/token",
                    "jwks_uri": self.jwks_url,
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public", "pairwise"],
                    "scopes_supported": ["openid"],
                    "claims_supported": ["sub", "iss", "name", "given_name", "family_name"],
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "moodle",
                        "version": "4.5",
                        "messages_supported": [
                            {"type": "LtiResourceLinkRequest"},
                            {"type": "LtiDeepLinkingRequest"},
                        ],
                    },
                }
            )

        @app.post("/register")
        def register():
            """Client registration, checked against the LTI DR spec."""
            if request.headers.get("Authorization") != f"Bearer {self.registration_token}":
                return jsonify({"error": "invalid_token"}), 401
            body = request.get_json(force=True)
            self.registration_requests.append(body)
            if self.reject_registration:
                error, description = self.reject_registration
                return jsonify({"error": error, "error_description": description}), 400
            problems = check_registration_request(body)
            if problems:
                return jsonify(
                    {"error": "invalid_client_metadata", "error_description": problems}
                ), 400
            tool = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
            return jsonify(
                {
                    **body,
                    "client_id": self.registered_client_id,
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                        **tool,
                        "deployment_id": "dyn-deploy-1",
                    },
                }
            )

        add_services(self, app)  # AGS scores and NRPS memberships (below)
        return app

    def stop(self) -> None:
        self.server.stop()


def check_registration_request(body: dict) -> list[str]:
    p: list[str] = []

    def want(cond: bool, msg: str) -> None:
        if not cond:
            p.append(msg)

    want(body.get("application_type") == "web", "application_type must be web")
    want(body.get("response_types") == ["id_token"], "response_types must be [id_token]")
    want("implicit" in body.get("grant_types", []), "grant_types needs implicit")
    want("client_credentials" in body.get("grant_types", []), "grant_types: client_credentials")
    want(str(body.get("initiate_login_uri", "")).endswith("/lti/login"), "initiate_login_uri")
    want(any(u.endswith("/lti/launch") for u in body.get("redirect_uris", [])), "redirect_uris")
    want(str(body.get("jwks_uri", "")).endswith("/lti/jwks"), "jwks_uri")
    want(body.get("token_endpoint_auth_method") == "private_key_jwt", "auth method")
    scopes = body.get("scope", "").split()
    for s in (
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ):
        want(s in scopes, f"scope {s}")
    tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
    want(bool(tool.get("domain")), "tool configuration: domain")
    want(str(tool.get("target_link_uri", "")).endswith("/lti/launch"), "target_link_uri")
    for c in ("name", "given_name", "family_name", "email"):
        want(c in tool.get("claims", []), f"claims: {c}")
    types = [m.get("type") for m in tool.get("messages", [])]
    want("LtiDeepLinkingRequest" in types, "messages: LtiDeepLinkingRequest")
    return p


# --------------------------------------------------------------------------- browser


FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.DOTALL)
INPUT_RE = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def parse_form(html: str) -> tuple[str, dict]:
    m = FORM_RE.search(html)
    assert m, f"no form in page: {html[:300]}"
    return unescape(m.group(1)), {k: unescape(v) for k, v in INPUT_RE.findall(m.group(2))}


class Browser:
    """Follows what a browser would: redirects, pylti1p3's cookie check, auto-submit forms."""

    def __init__(self) -> None:
        self.http = requests.Session()
        self.bodies: list[str] = []  # every body the tool sent us

    def get(self, url: str, **kw) -> requests.Response:
        r = self.http.get(url, allow_redirects=False, timeout=10, **kw)
        self.bodies.append(r.text)
        return r

    def post(self, url: str, data: dict, **kw) -> requests.Response:
        r = self.http.post(url, data=data, allow_redirects=False, timeout=10, **kw)
        self.bodies.append(r.text)
        return r

    def begin(self, platform: TestPlatform, **hint) -> dict:
        """Platform /start -> tool /lti/login (cookie check, then the new-window retry) ->
        the redirect to the platform's auth endpoint. Returns the auth request's params."""
        r = self.get(platform.issuer + "/start", params=hint)
        assert r.status_code == 302, r.text
        login_url = r.headers["Location"]
        r = self.get(login_url)
        if r.status_code == 200 and "lti1p3-new-tab-link" in r.text:  # the JS would retry
            r = self.get(login_url + "&lti1p3_new_window=1")
        assert r.status_code == 302, (r.status_code, r.text[:500])
        auth = r.headers["Location"]
        assert auth.startswith(platform.issuer + "/auth")
        return dict(parse_qsl(urlsplit(auth).query))

    def authorize(self, platform: TestPlatform, params: dict) -> tuple[str, dict]:
        r = self.get(platform.issuer + "/auth", params=params)
        assert r.status_code == 200, r.text
        return parse_form(r.text)

    def launch(self, platform: TestPlatform, **hint) -> requests.Response:
        """A whole launch; returns the tool's answer to the launch POST."""
        params = self.begin(platform, **hint)
        action, fields = self.authorize(platform, params)
        return self.post(action, fields)

    def follow(self, r: requests.Response, base: str) -> requests.Response:
        while r.status_code in (301, 302, 303):
            r = self.get(urljoin(base, r.headers["Location"]))
        return r


# --------------------------------------------------------------------------- AGS and NRPS
# The platform's services, on lti1p3platform's AssignmentsGradesService and
# NamesRoleProvisioningService (which check the bearer token from /token). State lives on the
# TestPlatform as `services` (a Services), so tests can read scores and make the platform
# fail: `ags_mode` "up" | "503" | "slow" (answers after `slow_seconds`); take_down() /
# bring_back() close and reopen the port (connection refused).
#
# The gradebook follows Moodle's rules (mod/lti/service/gradebookservices, scores.php):
# - A score's timestamp is cut to whole seconds and kept as the grade's time modified. A
#   score whose second is not later than the time modified of the grade it would replace
#   (for that user and line item) is refused with 409, and nothing changes: the same second
#   again, a re-send of the very score already applied, and a score from within the second
#   of the previous one are all 409s (`Services.conflicts` lists them).
# - The result service (GET <line item>/results[?user_id=...], scope result.readonly, only
#   when the launch offered it) answers the current grade of each learner: resultScore,
#   resultMaximum, comment (the last score with a scoreGiven; a score without one, e.g.
#   gradingProgress Pending, leaves no result, as Moodle keeps no grade for it).
# - `Services.edit_grade()` is a teacher editing the grade in the gradebook: a grade (not the
#   tool's) with the time of the edit, so the tool's next score must be later than that.


class Services:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scores: list[dict] = []  # every score the platform applied, in order
        self.conflicts: list[dict] = []  # scores refused with 409 (not later, whole seconds)
        self.results: dict[tuple[str, str], dict] = {}  # (line item, userId) -> latest
        self.modified: dict[tuple[str, str], int] = {}  # (line item, userId) -> whole seconds
        self.grades: dict[tuple[str, str], dict] = {}  # (line item, userId) -> what shows
        self.attempts = 0  # score POSTs that reached the handler
        self.results_requests: list[str] = []  # GETs of the result service
        self.token_requests = 0
        self.ags_mode = "up"
        self.slow_seconds = 3.0
        self.roster: dict[str, list[dict]] = {}  # context -> members
        self.page_size = 2
        self.nrps_requests: list[str] = []
        self.lineitems: dict[str, list[dict]] = {}  # context -> line items the tool made
        self.lineitem_requests: list[str] = []  # "GET ..." / "POST ..." on the containers

    @property
    def duplicates(self) -> list[dict]:
        """Scores that arrived again with the timestamp of one already applied."""
        applied = {(s["lineitem"], str(s["userId"]), s["timestamp"]) for s in self.scores}
        return [
            c for c in self.conflicts
            if (c["lineitem"], str(c["userId"]), c["timestamp"]) in applied
        ]  # fmt: skip

    def edit_grade(self, lineitem: str, user: str, score: float, at: float) -> None:
        """A teacher sets the grade by hand at `at` (epoch seconds)."""
        key = (lineitem, user)
        with self.lock:
            self.modified[key] = int(at)
            self.grades[key] = {"resultScore": score, "resultMaximum": 100.0, "comment": None}


class _PlatformAgs(AssignmentsGradesService):
    def __init__(self, platform: TestPlatform, req, lineitems_url: str, lineitem_url: str):
        super().__init__(req, platform.conf(), lineitems_url, lineitem_url)
        self.platform = platform

    def update_score(self, line_item_id: str, score: dict) -> UpdateScoreStatus:
        sv: Services = self.platform.services
        for k in ("userId", "activityProgress", "gradingProgress", "timestamp"):
            if k not in score:
                raise LtiServiceException(f"score lacks {k}", 400)
        if "scoreGiven" in score and not 0 <= score["scoreGiven"] <= score["scoreMaximum"]:
            raise LtiServiceException("scoreGiven out of range", 400)
        key = (line_item_id, str(score["userId"]))
        second = int(datetime.fromisoformat(score["timestamp"]).timestamp())  # whole seconds
        with sv.lock:
            last = sv.modified.get(key)
            if last is not None and last >= second:  # Moodle: "Refusing score with an
                sv.conflicts.append({**score, "lineitem": line_item_id})  # earlier timestamp"
                return UpdateScoreStatus.OLD_TIMESTAMP
            sv.modified[key] = second
            sv.results[key] = score
            sv.scores.append({**score, "lineitem": line_item_id})
            if "scoreGiven" in score:
                sv.grades[key] = {
                    "resultScore": score["scoreGiven"],
                    "resultMaximum": score["scoreMaximum"],
                    "comment": score.get("comment"),
                }
        return UpdateScoreStatus.SUCCESS

    def _context(self) -> str:
        return self.ags.lineitems_url.rstrip("/").split("/")[-2]

    def find_lineitems(self, *a, **k):
        with self.platform.services.lock:
            items = list(self.platform.services.lineitems.get(self._context(), []))
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):  # pragma: no cover
        raise LineItemNotFoundException()

    def create_lineitem(self, creation_data):
        sv: Services = self.platform.services
        for k in ("label", "scoreMaximum"):
            if k not in creation_data:
                raise LtiServiceException(f"line item lacks {k}", 400)
        with sv.lock:
            items = sv.lineitems.setdefault(self._context(), [])
            item = {**creation_data, "id": f"{self.ags.lineitems_url}/made-{len(items) + 1}"}
            items.append(item)
        return item

    def update_lineitem(self, update_data):  # pragma: no cover
        return update_data

    def delete_lineitem(self, line_item_id):  # pragma: no cover
        return None

    def get_results(self, line_item_id, page=1, limit=None, user_id=None, **_):
        sv: Services = self.platform.services
        with sv.lock:
            found = [
                {
                    "id": f"{self.ags.lineitem_url}/results/{user}",
                    "userId": user,
                    "scoreOf": self.ags.lineitem_url,
                    **{k: v for k, v in grade.items() if v is not None},
                }
                for (item, user), grade in sv.grades.items()
                if item == line_item_id and (user_id is None or user == str(user_id))
            ]
        return {"content": found, "has_next": False, "next": None}


class _PlatformNrps(NamesRoleProvisioningService):
    def __init__(self, platform: TestPlatform, req, url: str, context: str):
        super().__init__(req, platform.conf(), url)
        self.platform = platform
        self.context = context

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kw):
        members = self.platform.services.roster.get(self.context, [])
        page, limit = int(page), int(limit or len(members) or 1)
        chunk = members[(page - 1) * limit : page * limit]
        return {"content": chunk, "has_next": page * limit < len(members), "next": None}

    def get_context_by_id(self) -> MembershipContext:
        c = self.context
        return MembershipContext(id=c, label=c.upper(), title=f"Course {c}")


def _to_flask(resp) -> tuple:
    body = resp.result if resp.result is not None else {"message": resp.message}
    return jsonify(body), resp.code, {"Content-Type": resp.media_type}


def add_services(platform: TestPlatform, app: Flask) -> None:
    platform.services = Services()

    @app.before_request
    def _count_tokens():
        if request.path == "/token":
            platform.services.token_requests += 1

    @app.post("/ags/<context>/lineitems/<link>/scores")
    def ags_scores(context: str, link: str):
        sv = platform.services
        with sv.lock:
            sv.attempts += 1
        if sv.ags_mode == "503":
            return jsonify({"error": "maintenance"}), 503
        if sv.ags_mode == "slow":
            time.sleep(sv.slow_seconds)
        base = f"{platform.issuer}/ags/{context}/lineitems"
        service = _PlatformAgs(platform, FlaskPlatformRequest(request), base, f"{base}/{link}")
        try:
            return _to_flask(service.handle_resp(service.handle_update_score, line_item_id=link))
        except Exception:  # lti1p3platform raises on a token it cannot decode: that is a 401
            return jsonify({"error": "invalid_token"}), 401

    @app.get("/ags/<context>/lineitems/<link>/results")
    def ags_results(context: str, link: str):
        sv = platform.services
        with sv.lock:
            sv.results_requests.append(request.full_path)
        if sv.ags_mode == "503":
            return jsonify({"error": "maintenance"}), 503
        base = f"{platform.issuer}/ags/{context}/lineitems"
        service = _PlatformAgs(platform, FlaskPlatformRequest(request), base, f"{base}/{link}")
        try:
            resp = service.handle_resp(service.handle_get_results, line_item_id=link)
        except Exception:  # a token it cannot decode, or one without result.readonly
            return jsonify({"error": "invalid_token"}), 401
        if resp.code != 200:
            return _to_flask(resp)
        # the AGS result container is a JSON array
        return jsonify(resp.result["content"]), 200, {"Content-Type": resp.media_type}

    @app.route("/ags/<context>/lineitems", methods=["GET", "POST"])
    def ags_lineitems(context: str):
        sv = platform.services
        with sv.lock:
            sv.lineitem_requests.append(f"{request.method} {request.full_path}")
        base = f"{platform.issuer}/ags/{context}/lineitems"
        service = _PlatformAgs(platform, FlaskPlatformRequest(request), base, None)
        if request.method == "POST":
            return _to_flask(service.handle_resp(service.handle_create_lineitem))
        resp = service.handle_resp(service.handle_get_lineitems)
        if resp.code != 200:
            return _to_flask(resp)
        # the AGS line item container is a JSON array
        return jsonify(resp.result["content"]), 200, {"Content-Type": resp.media_type}

    @app.get("/nrps/<context>/memberships")
    def nrps(context: str):
        platform.services.nrps_requests.append(request.full_path)
        req = FlaskPlatformRequest(request)
        args = dict(req.request["get_data"])
        args.setdefault("limit", platform.services.page_size)
        args["limit"] = int(args["limit"])
        if "page" in args:
            args["page"] = int(args["page"])
        req.request["get_data"] = args
        url = f"{platform.issuer}/nrps/{context}/memberships"
        service = _PlatformNrps(platform, req, url, context)
        body, code, headers = _to_flask(service.handle_resp(service.handle_get_members))
        data = body.get_json()
        if code == 200 and data.get("next"):
            headers["Link"] = generate_next_link(data["next"]).replace("rel=next", 'rel="next"')
        return body, code, headers


def take_down(platform: TestPlatform) -> None:
    """Close the platform's port: connections are refused until bring_back()."""
    platform.server.server.shutdown()
    platform.server.server.server_close()


def bring_back(platform: TestPlatform) -> None:
    server = make_server(
        "127.0.0.1", platform.server.port, platform.server._dispatch, threaded=True
    )
    platform.server.server = server
    platform.server.thread = threading.Thread(target=server.serve_forever, daemon=True)
    platform.server.thread.start()
