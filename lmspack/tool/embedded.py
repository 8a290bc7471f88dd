"""The launch inside the platform's frame when the browser withholds the tool's cookies there
(third-party cookies blocked or partitioned).

Inside Moodle's iframe the tool is a third party. The login's state normally comes back in
its cookie (`Secure; SameSite=None; Partitioned` over HTTPS, which Chromium's third-party
cookie blocking lets through). Where no cookie comes back, the login page (`login_page`,
script `static/login-state.js`) has also kept a *proof* of the login in this browser: in the
platform's storage through postMessage when the platform offers it (1EdTech "LTI Client Side
postMessages": `lti.capabilities`, `lti.put_data`, `lti.get_data`), in a (partitioned) cookie
the page sets itself, in the frame's own (partitioned) sessionStorage/localStorage, or, after
the learner allowed it with one click, in a cookie the Storage Access API let through. The
launch then answers a small page (`completion_page`, script `static/launch-proof.js`) that
reads the proof back in the same browser and posts the launch again with it; `check_proof`
accepts it only from the tool's own page (Origin and Sec-Fetch-Site), so another site cannot
post a launch with a proof it saw in its own browser (login CSRF). The login row is still
consumed once, and the id_token's nonce must still be that login's nonce
(message_launch.validate_nonce): only the state's source changes. Where nothing works, the
learner gets a plain message and a new window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, make_response, render_template, request

from .pylti import LaunchError

PROOF_FIELD = "lmspack_proof"
STORAGE_TARGET = "lti_storage_target"
_SALT = b"lmspack login proof\0"


class ProofNeeded(Exception):
    """The launch's state names a login in flight but no cookie came back: ask the page."""

    def __init__(self, platform_id: int):
        super().__init__("the login's proof is needed")
        self.platform_id = platform_id


def proof_for(state: str) -> str:
    """What the login page keeps in the browser for `state` (an HMAC: nothing to store)."""
    key = hashlib.sha256(_SALT + current_app.config["SECRET_KEY"].encode()).digest()
    mac = hmac.new(key, state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_proof(state: str, proof: str, tool_url: str) -> None:
    """Accept the proof only from the tool's own completion page (a same-origin POST), and
    only the one made for this state."""
    origin = (request.headers.get("Origin") or "").lower()
    site = request.headers.get("Sec-Fetch-Site")
    if origin != _origin(tool_url) or site not in (None, "same-origin"):
        raise LaunchError(
            "The launch's proof did not come from this tool's own page. "
            "Open the activity again from your course page.",
            403,
        )
    if not hmac.compare_digest(proof.encode(), proof_for(state).encode()):
        raise LaunchError(
            "The launch did not come back to the browser that started it (state). "
            "Open the activity again from your course page."
        )


def _no_store(resp, referrer: str = "no-referrer"):
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = referrer
    return resp


def login_page(auth_url: str, new_window_url: str, platform_url: str, cookies) -> object:
    """The login's answer in place of a plain redirect: keeps the proof where it can, then
    goes on to the platform (or offers storage access, or a new window). `cookies` is the
    login's cookie service: the state cookie is set on this page as on the redirect."""
    state = dict(parse_qsl(urlsplit(auth_url).query)).get("state", "")
    html = render_template(
        "login_frame.html",
        auth_url=auth_url,
        state=state,
        proof=proof_for(state),
        storage_target=request.values.get(STORAGE_TARGET, "")[:100],
        platform_origin=_origin(platform_url),
        new_window_url=new_window_url,
    )
    resp = make_response(html)
    cookies.update_response(resp)
    return _no_store(resp)


def new_window_url(login_url: str, params: dict) -> str:
    """The login again, in a window of its own (pylti1p3's `lti1p3_new_window` request)."""
    return login_url + "?" + urlencode(params)


def completion_page(platform_url: str) -> object:
    """The launch's answer when its state came back without a cookie: the page finds the
    login's proof in this browser and posts the launch again with it."""
    form = request.form
    html = render_template(
        "launch_complete.html",
        action=request.base_url,
        id_token=form.get("id_token", ""),
        state=form.get("state", ""),
        storage_target=form.get(STORAGE_TARGET, "")[:100],
        platform_origin=_origin(platform_url),
        proof_field=PROOF_FIELD,
    )
    # same-origin: under no-referrer the browser would send `Origin: null` with the post
    return _no_store(make_response(html), "same-origin")
