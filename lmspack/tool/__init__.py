"""lmspack's LTI 1.3 Advantage tool (Flask + pylti1p3next, state in lmspack.store).

Layers, each importing only those below it:
- app.py: create_app (configuration, store, extensions, blueprints); only entry points
  (this package's create_app, cli.py, server.py) import it.
- blueprints: lti.py (login, launch, JWKS, deep linking, config page; registration.py adds
  /lti/register), course_pages.py, api.py (learner JSON API), admin.py, reports.py,
  attendance.py, certificates.py, home.py (/, /favicon.ico, /healthz); admin_scope.py is the
  admin pages' shared scope check, navigation and labels.
- what blueprints share: context.py (db(), read_db(), store(), tool_config(), sites(),
  base_url()), errors.py (error pages), framing.py (frame-ancestors and security headers),
  csrf.py, launch_token.py (the player's bearer token), pylti.py and message_launch.py
  (pylti1p3 wired to the store), config.py.
- commands: cli.py and cli_*.py, sharing cli_common.py (options, opening the store).
The rules themselves (scoring, grades, certificates, reports) live outside the tool, in
lmspack.attempts, lmspack.grades, lmspack.certificates and lmspack.reports, without Flask.
"""

from __future__ import annotations


def create_app(config=None, **kwargs):
    from .app import create_app as _create_app

    return _create_app(config, **kwargs)


__all__ = ["create_app"]
