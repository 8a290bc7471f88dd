"""The one rule for a learner's name, so a person has the same name on the certificate, the
player, the attendance page and the reports: the platform's given + family name, else its
full name, else what the learner typed (when the platform sent no name at all).

The same fields come from a launch (`User`) and from the roster (`RosterMember`, NRPS);
what is stored may predate the API's text checks, so the result is cleaned.

`full_name_sql` is the same rule as an SQL expression, for the completion report: naming
10,000 learners in Python made `reports.data.completion` about a fifth slower than naming
them in its query. tests/reports/test_names.py holds the two forms to the same answers on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from ..printable import clean


class Named(Protocol):
    given_name: str | None
    family_name: str | None
    name: str | None


def full_name(given: str | None, family: str | None, name: str | None, typed: object = None) -> str:
    """The name from the stored fields ('' when there is none)."""
    chosen = f"{given or ''} {family or ''}".strip() or (name or "").strip() or str(typed or "")
    return clean(chosen).strip()


def learner_name(person: Named | None, state: dict | None = None) -> str:
    """`full_name` of a user or roster member; `state` is the attempt's, which holds the name
    the learner typed ('name')."""
    typed = (state or {}).get("name")
    if person is None:
        return full_name(None, None, None, typed)
    return full_name(person.given_name, person.family_name, person.name, typed)


def full_name_sql(given, family, name) -> ColumnElement:
    """`full_name` of these columns, without a typed name, in SQL: NULL when there is none
    (the caller coalesces its own fallback). Not cleaned: every page, CSV cell and PDF the
    tool renders is cleaned on the way out."""
    both = func.trim(func.coalesce(given, "") + " " + func.coalesce(family, ""))
    return func.coalesce(func.nullif(both, ""), func.nullif(func.trim(name), ""))
