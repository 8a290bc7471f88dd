"""The learner-name rule has a Python form (certificates, the player, attendance) and an SQL
form (the completion report): on stored rows in SQLite and PostgreSQL they give one name."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from lmspack.course import load_course
from lmspack.store.models import User
from lmspack.store.names import full_name, full_name_sql

from ..conftest import COURSE
from .seed import Seed

# (given, family, full name) as platforms send them
CASES = [
    ("Ada", "Lovelace", "Dr Ada Lovelace"),  # given + family win over the full name
    ("Ada", None, "Ada Lovelace"),
    (None, "Lovelace", None),
    ("  ", "", "Grace Hopper"),  # blank given and family: the full name
    ("", None, "  Grace Hopper "),  # trimmed
    ("Ann ", "Lee", None),
    (None, None, "   "),  # no name at all
    (None, None, None),
]


def test_sql_and_python_give_one_name(store) -> None:
    with store.transaction() as s:
        seed = Seed(s, load_course(COURSE))
        for i, (given, family, name) in enumerate(CASES):
            s.add(
                User(
                    platform_id=seed.platform_id,
                    deployment_id=seed.deployment_id,
                    sub=f"n{i}-{uuid.uuid4().hex[:6]}",
                    given_name=given,
                    family_name=family,
                    name=name,
                )
            )
    with store.read_sessions() as s:
        rows = s.execute(
            select(
                User.given_name,
                User.family_name,
                User.name,
                full_name_sql(User.given_name, User.family_name, User.name),
            )
            .where(User.platform_id == seed.platform_id)
            .order_by(User.id)
        ).all()
    got = [(tuple(r[:3]), r[3] or "") for r in rows]
    assert got == [(case, full_name(*case)) for case in CASES]
    assert [name for _case, name in got] == [
        "Ada Lovelace",
        "Ada",
        "Lovelace",
        "Grace Hopper",
        "Grace Hopper",
        "Ann  Lee",
        "",
        "",
    ]
