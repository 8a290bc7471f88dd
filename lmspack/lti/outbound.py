"""Outbound HTTP to addresses a platform names (dynamic registration, invited platforms' key
sets): fetch nothing a stranger names.

    policy = OutboundPolicy.for_tool("https://lti.example.org", allow_private=False)
    http = guarded_session(policy)
    data = fetch_json(http, "GET", url, limit=64 * 1024, timeout=10).data  # or OutboundError

- Schemes: https; plain http only when the tool itself runs on loopback (its configured
  base URL names a loopback host: a developer's machine, the tests).
- Addresses: public ones only. Loopback too when the tool runs on loopback; every address
  with LMSPACK_ALLOW_PRIVATE_PLATFORMS=1 (a council's Moodle on its intranet). The check is
  on the address connected to: requests-hardened resolves the name once, refuses a
  non-public answer and connects to that very address (keeping the name for TLS and the Host
  header), so a name that answers differently on a second look (DNS rebinding) gains
  nothing; every redirect is checked again the same way.
- At most MAX_REDIRECTS redirects (GET only), `limit` bytes, `timeout` seconds for the whole
  answer (a trickling server is cut off too); no proxy from the environment (a proxy would
  resolve the name itself, past the check).

An `OutboundError` names the problem in words an administrator can act on, never the
answer's body, and in the same words whether the port was closed, filtered or slow: the
page does not tell a stranger what listens where.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

MAX_REDIRECTS = 3
UNREACHABLE = (
    "could not be reached: there was no answer in time, or no connection could be made. "
    "Check that the address is right and that this tool's server can reach it"
)


class OutboundError(Exception):
    """A fetch refused or failed. `status` is the HTTP status the platform answered (0: none
    came), `refused` says our policy stopped it before anything was sent."""

    def __init__(self, message: str, *, status: int = 0, refused: bool = False, error: str = ""):
        super().__init__(message)
        self.status = status
        self.refused = refused
        self.error = error  # the platform's OAuth-style error code, when it gave a plain one


@dataclass(frozen=True)
class OutboundPolicy:
    allow_http: bool = False
    allow_loopback: bool = False
    allow_private: bool = False

    @classmethod
    def for_tool(cls, base_url: str, *, allow_private: bool) -> OutboundPolicy:
        """The policy for a tool whose configured public URL is `base_url` (empty: not
        configured, so the tool is taken to be public: a request's Host header must not
        loosen it)."""
        local = is_loopback_host(urlsplit(base_url or "").hostname or "")
        return cls(
            allow_http=local, allow_loopback=local or allow_private, allow_private=allow_private
        )

    def check_url(self, url: str) -> None:
        """Refuse a URL by its form (scheme, credentials) before anything is resolved."""
        parts = urlsplit(url or "")
        shown = (url or "")[:200]
        if parts.scheme == "http" and not self.allow_http:
            raise OutboundError(
                f"leads to a plain http address ({shown}); this tool talks to platforms over "
                "https only",
                refused=True,
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundError(f"is not an https address ({shown!r})", refused=True)
        if parts.username or parts.password:
            raise OutboundError(
                "leads to an address with a user name or password in it", refused=True
            )


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _GuardedSession(HTTPSession):
    """requests-hardened's session (address filter with the IP pinned), plus our scheme rule
    on every hop, redirects capped, and no proxies or .netrc from the environment."""

    def __init__(self, policy: OutboundPolicy, timeout: float):
        super().__init__(
            Config(
                ip_filter_enable=not policy.allow_private,
                ip_filter_allow_loopback_ips=policy.allow_loopback,
                never_redirect=False,
                default_timeout=(timeout, timeout),
                user_agent_override="lmspack-lti-tool",
            )
        )
        self.policy = policy
        self.trust_env = False
        self.max_redirects = MAX_REDIRECTS

    def send(self, request, **kwargs):  # type: ignore[override]
        self.policy.check_url(request.url or "")
        return super().send(request, **kwargs)


def guarded_session(policy: OutboundPolicy, timeout: float = 10.0) -> requests.Session:
    return _GuardedSession(policy, timeout)


def read_limited(resp: requests.Response, limit: int, deadline: float) -> bytes:
    """The body of a streamed response, refused past `limit` bytes or past `deadline`
    (`read1` returns what has arrived, so a server sending a byte at a time is cut off too)."""
    length = resp.headers.get("Content-Length", "")
    too_big = f"answered with more than {limit // 1024} KiB"
    if length.isdigit() and int(length) > limit:
        raise OutboundError(too_big, status=resp.status_code)
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise OutboundError(UNREACHABLE)
        chunk = resp.raw.read1(8192, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise OutboundError(too_big, status=resp.status_code)
        chunks.append(chunk)


def _plain_error_code(body: bytes) -> str:
    """The OAuth `error` code of a refusal (e.g. invalid_client_metadata), if it is a plain
    token; nothing else of the body is ever shown."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    code = data.get("error") if isinstance(data, dict) else None
    if isinstance(code, str) and 0 < len(code) <= 40 and code.replace("_", "").isalnum():
        return code
    return ""


@dataclass(frozen=True)
class Answer:
    data: dict
    headers: Mapping[str, str]


def fetch_json(
    http: requests.Session,
    method: str,
    url: str,
    *,
    limit: int,
    timeout: float,
    **kwargs: Any,
) -> Answer:
    """A JSON object from `url`. An OutboundError's message is a predicate, to follow what
    was fetched: f"The platform's configuration at {url} {exc}." """
    policy = getattr(http, "policy", None)
    if policy is not None:
        policy.check_url(url)
    deadline = time.monotonic() + timeout
    kwargs.setdefault("allow_redirects", method == "GET")
    try:
        with http.request(method, url, stream=True, timeout=(timeout, timeout), **kwargs) as resp:
            if resp.is_redirect:
                raise OutboundError(
                    "answered with a redirect, which is not followed here",
                    status=resp.status_code,
                )
            body = read_limited(resp, limit, deadline)
            status, headers = resp.status_code, resp.headers
    except OutboundError:
        raise
    except InvalidIPAddress as exc:
        raise OutboundError(
            f"leads to a private, loopback or link-local address ({exc}), which this tool does "
            "not contact. If the platform is on your organisation's network, the tool's "
            "administrator can set LMSPACK_ALLOW_PRIVATE_PLATFORMS=1",
            refused=True,
        ) from None
    except requests.TooManyRedirects:
        raise OutboundError(f"redirected more than {MAX_REDIRECTS} times") from None
    except requests.RequestException:
        raise OutboundError(UNREACHABLE) from None
    if status >= 400:
        raise OutboundError(
            f"answered with HTTP status {status}", status=status, error=_plain_error_code(body)
        )
    try:
        data = json.loads(body)
    except ValueError:
        raise OutboundError("did not answer with JSON", status=status) from None
    if not isinstance(data, dict):
        raise OutboundError("did not answer with a JSON object", status=status)
    return Answer(data, headers)
