"""A plain pylti1p3 tool, written the way pylti1p3's Flask example is: the yardstick of
bench/launch_bench.py (issue 15: lmspack's full launch may cost no more server CPU).

    REF_ISSUER=... REF_CLIENT_ID=... REF_AUTH_URL=... REF_JWKS_URL=... REF_CACHE_DIR=... \\
        gunicorn -w 2 bench.reference_tool:app

`FlaskOIDCLogin` and `FlaskMessageLaunch` with `ToolConfDict` (one platform, one deployment,
from the environment), `FlaskCacheDataStorage` over Flask-Caching's `FileSystemCache`
(`CACHE_THRESHOLD=0`: never pruned, so every worker shares it; the nonce and state live
there), the platform's JWKS cached in the same storage (`set_public_key_caching`). The
launch answers a small HTML page naming the user and the course.

What it leaves out, all of which lmspack's launch does (so lmspack does more per launch):
no database (no user, context, resource link or attempt written, no launch token issued, no
course page served: the launch page is the end); pylti1p3's own checks only (no exp/iat
leeway rule, no aud/azp rule, no alg allow-list, no target_link_uri check); the nonce is
checked and marked used in the file cache by a read then a write, not atomically (two
workers can both accept one id_token posted twice at once); no key-rotation refetch, no
single-flight JWKS fetch, no address guard; no Content-Security-Policy or other security
headers; no error pages (pylti1p3's exceptions are a 500); no cookie-less (embedded) path;
no access log.
"""

from __future__ import annotations

import html
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask_caching import Cache
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.tool_config import ToolConfDict

app = Flask(__name__)
app.config.update(
    CACHE_TYPE="FileSystemCache",
    CACHE_DIR=os.environ.get("REF_CACHE_DIR", "/tmp/reference-tool-cache"),
    CACHE_DEFAULT_TIMEOUT=600,
    CACHE_THRESHOLD=0,  # never prune: the workers share one folder
)
cache = Cache(app)

ISSUER = os.environ.get("REF_ISSUER", "https://platform.example")
CLIENT_ID = os.environ.get("REF_CLIENT_ID", "client")


def _tool_key() -> str:
    """The tool's private key (pylti1p3 wants one; a launch never signs with it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip


TOOL_CONF = ToolConfDict(
    {
        ISSUER: [
            {
                "default": True,
                "client_id": CLIENT_ID,
                "auth_login_url": os.environ.get("REF_AUTH_URL", ISSUER + "/auth"),
                "auth_token_url": ISSUER + "/token",
                "key_set_url": os.environ.get("REF_JWKS_URL", ISSUER + "/jwks"),
                "key_set": None,
                "deployment_ids": ["1"],
            }
        ]
    }
)
TOOL_CONF.set_private_key(ISSUER, _tool_key(), client_id=CLIENT_ID)


def launch_data_storage() -> FlaskCacheDataStorage:
    return FlaskCacheDataStorage(cache)


@app.route("/lti/login", methods=["GET", "POST"])
def login():
    req = FlaskRequest()
    oidc = FlaskOIDCLogin(req, TOOL_CONF, launch_data_storage=launch_data_storage())
    return oidc.enable_check_cookies().redirect(req.get_param("target_link_uri"))


@app.post("/lti/launch")
def launch():
    storage = launch_data_storage()
    ml = FlaskMessageLaunch(FlaskRequest(), TOOL_CONF, launch_data_storage=storage)
    ml.set_public_key_caching(storage, cache_lifetime=7200)
    data = ml.get_launch_data()
    name = html.escape(str(data.get("name") or data.get("sub")))
    context = data.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}
    title = html.escape(str(context.get("title", "")))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Launched</title>'
        f"</head><body><h1>{title}</h1><p>Welcome, {name}.</p></body></html>"
    )


@app.get("/healthz")
def healthz():
    return {"ok": True}
