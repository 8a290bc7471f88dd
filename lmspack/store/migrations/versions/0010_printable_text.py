"""Clean text stored before the API refused unprintable text (lmspack.printable).

Lone surrogates (which SQLite's JSON kept as escapes), NUL, control characters and Unicode
noncharacters in what learners typed (attempt state: reflections, evaluation answers, the
name typed for the certificate) and in what platforms sent (names, e-mail, course titles,
roster members, certificates' names and snapshots) made pages, CSV and PDF exports and
certificate issuance fail. Each such string is cleaned the way the tool cleans a platform's
claim now: a surrogate becomes U+FFFD, the other characters are dropped. Rows are read in
pages by id and only changed rows are written. Nothing to undo: downgrade keeps the text.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from lmspack.printable import clean_deep

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PAGE = 1000
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TEXT_COLUMNS = {
    "attempts": {"state": JSON},
    "users": {"name": sa.String, "given_name": sa.String, "family_name": sa.String,
              "email": sa.String},
    "roster_members": {"name": sa.String, "given_name": sa.String, "family_name": sa.String,
                       "email": sa.String},
    "contexts": {"label": sa.String, "title": sa.String},
    "resource_links": {"title": sa.String},
    "certificates": {"learner_name": sa.String, "snapshot": JSON},
}  # fmt: skip


def _clean_table(conn, name: str, columns: dict) -> int:
    table = sa.table(
        name, sa.column("id", sa.Integer), *(sa.column(c, t) for c, t in columns.items())
    )
    changed = 0
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(PAGE)
        ).fetchall()
        if not rows:
            return changed
        for row in rows:
            values = {c: clean_deep(getattr(row, c)) for c in columns}
            values = {c: v for c, v in values.items() if v != getattr(row, c)}
            if values:
                conn.execute(sa.update(table).where(table.c.id == row.id).values(**values))
                changed += 1
        last = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    for name, columns in TEXT_COLUMNS.items():
        _clean_table(conn, name, columns)


def downgrade() -> None:
    """The cleaned text stays clean: the characters removed were never printable."""
