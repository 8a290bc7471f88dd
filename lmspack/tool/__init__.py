"""lmspack's LTI 1.3 Advantage tool (Flask + pylti1p3next, state in lmspack.store).

Modules: app.py (create_app, per-request db(), error pages, CSP), config.py (settings),
pylti.py (pylti1p3 wired to the store, the library's gaps closed), lti.py (login, launch,
JWKS, deep linking, config page), registration.py (dynamic registration), course_pages.py
(the rendered course), admin.py, reports.py, attendance.py (teacher pages, sharing
admin_scope.py's scope check and navigation), launch_token.py (the player's bearer token:
`require_launch`, `verify_launch_token`), server.py (gunicorn), cli.py and cli_*.py
(commands, sharing cli_common.py).
"""

from __future__ import annotations


def create_app(config=None, **kwargs):
    from .app import create_app as _create_app

    return _create_app(config, **kwargs)


__all__ = ["create_app"]
