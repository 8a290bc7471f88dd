"""The one rule for a learner's name, so a person has the same name on the certificate, the
player, the attendance page and the reports: the platform's given + family name, else its
full name, else what the learner typed (when the platform sent no name at all).

The same fields come from a launch (`User`) and from the roster (`RosterMember`, NRPS);
what is stored may predate the API's text checks, so the result is cleaned.
"""

from __future__ import annotations

from typing import Protocol

from ..printable import clean


class Named(Protocol):
    given_name: str | None
    family_name: str | None
    name: str | None


def full_name(given: str | None, family: str | None, name: str | None, typed: object = None) -> str:
    """The name from the stored fields ('' when there is none)."""
    both = " ".join(p for p in (given, family) if p).strip()
    return clean(both or (name or "").strip() or str(typed or "")).strip()


def learner_name(person: Named | None, state: dict | None = None) -> str:
    """`full_name` of a user or roster member; `state` is the attempt's, which holds the name
    the learner typed ('name')."""
    typed = (state or {}).get("name")
    if person is None:
        return full_name(None, None, None, typed)
    return full_name(person.given_name, person.family_name, person.name, typed)
