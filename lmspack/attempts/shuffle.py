"""The order a learner sees each question's options in, new for every try.

The order comes from a keyed hash of (attempt, try, question) under the tool's secret: the
same on every request, worker and host while the try lasts (no write to remember it, no race
between two first loads), different on the next try, and not predictable without the secret.
Each answer row keeps the order it was given in (`answers.shown`), so reports can show what
the learner saw even if the secret changes later.
"""

from __future__ import annotations

import hashlib
import hmac
import random

from ..course.model import Question, Quiz


def option_order(secret: str, attempt_id: int, quiz_try: int, q: Question, quiz: Quiz) -> list[str]:
    ids = [o.id for o in q.options]
    if not (quiz.review.shuffle and q.shuffle):
        return ids
    digest = hmac.new(
        secret.encode(), f"options:{attempt_id}:{quiz_try}:{q.id}".encode(), hashlib.sha256
    ).digest()
    random.Random(digest).shuffle(ids)  # noqa: S311 - an order to show, not a secret
    return ids


def try_orders(secret: str, attempt_id: int, quiz_try: int, quiz: Quiz) -> dict[str, list[str]]:
    return {q.id: option_order(secret, attempt_id, quiz_try, q, quiz) for q in quiz.questions}


def written_orders(quiz: Quiz) -> dict[str, list[str]]:
    """The options as the author wrote them (an instructor's preview)."""
    return {q.id: [o.id for o in q.options] for q in quiz.questions}
