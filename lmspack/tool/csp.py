"""The Content-Security-Policy of every page the tool serves.

    resp.headers["Content-Security-Policy"] = policy(frame_ancestors, connect=[api_origin])

Scripts run only from the tool's own files (`script-src 'self'`, no inline script), so HTML
in a course that slipped past the sanitiser, or a learner's text that slipped past escaping,
cannot run on the tool's origin, where the launch token lives. The player's data block is
`<script type="application/json">`, which a browser never executes, so the policy needs no
exception for it. `object-src 'none'` and `base-uri 'none'` close the plug-in and <base>
routes; `frame-ancestors` lets the tool itself and the registered platforms frame it (Moodle
shows the activity in an iframe).

Styles may be inline (the admin pages and the player use style attributes); images, media
and frames may come over https (a course may show a picture or embed a video from another
site, as its SCORM package can): none of those runs script on the tool's origin.

One page is HTML that pylti1p3 writes with its own inline script and nothing a learner or
an author wrote: the deep-linking answer that posts itself back to the platform. For it the
policy names each of the response's inline scripts by its SHA-256 hash (a "hashed"
endpoint), which allows exactly those scripts and no other. (The OIDC login page is the
tool's own template with its script in a file, embedded.py.)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable

HASHED_ENDPOINTS = frozenset({"lti.deep_link_select"})
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions for each inline script of this HTML."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def policy(
    frame_ancestors: Iterable[str],
    *,
    connect: Iterable[str] = (),
    scripts: Iterable[str] = (),
) -> str:
    """The policy: frame_ancestors and connect are origins added to 'self'; scripts are
    extra script sources (hashes of a hashed endpoint's inline scripts)."""
    return _policy(tuple(frame_ancestors), tuple(connect), tuple(scripts))


@functools.lru_cache(maxsize=512)
def _policy(frame_ancestors: tuple, connect: tuple, scripts: tuple) -> str:
    """The same few policies on every response: each is joined once."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *scripts],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "media-src": ["'self'", "https:"],
        "font-src": ["'self'", "data:"],
        "frame-src": ["'self'", "https:"],
        "connect-src": ["'self'", *connect],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'", *frame_ancestors],
    }
    return "; ".join(
        f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items()
    )
