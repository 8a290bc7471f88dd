"""Flask's cookie session, switched off: the tool keeps nothing in it (logins live in the
store, a launch travels as its launch token; pylti1p3 is given a plain dict, lti.py).

Flask would otherwise build an itsdangerous serializer and look for the session cookie on
every request (about a fifth of a bare request's CPU, issue 15). A write to `flask.session`
fails loudly (Flask's NullSession) instead of silently keeping state in one browser's cookie.
"""

from __future__ import annotations

from flask.sessions import SessionInterface


class NoSession(SessionInterface):
    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        return None
