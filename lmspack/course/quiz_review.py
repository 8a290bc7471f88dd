"""quiz.yaml's review settings (`reveal`, `attempts`, `shuffle`, and `retake` with them),
read and checked apart from the questions: they decide what the tool may send a learner."""

from __future__ import annotations

from .fields import Fields
from .model import REVEAL_MODES, Review


def read_review(f: Fields) -> tuple[Review, bool]:
    """The quiz's Review and whether a retake is possible, from quiz.yaml's top level."""
    retake_given = "retake" in f.data and f.data["retake"] is not None
    retake = f.get("retake", True)
    reveal = f.get("reveal", "after-pass")
    if reveal not in REVEAL_MODES:  # reported by get(): QUIZ's choices
        reveal = "after-pass"
    attempts = f.get("attempts", None)
    if attempts is not None and attempts < 1:  # reported by get(): QUIZ's minimum
        attempts = None
    shuffle = f.get("shuffle", True)
    if attempts is not None and attempts > 1 and retake_given and not retake:
        f.error(
            "attempts",
            f"{attempts} attempts, but `retake: false` allows one: remove one of the two",
        )
    if attempts == 1 and retake_given and retake:
        f.error("attempts", "1 attempt, but `retake: true`: remove one of the two")
    if attempts == 1:
        retake = False
    elif not retake:
        attempts = 1
    if reveal == "after-last-attempt" and attempts is None:
        f.error(
            "reveal",
            "after-last-attempt needs a last attempt: set `attempts:` (or `retake: false`)",
        )
    return Review(reveal=reveal, attempts=attempts, shuffle=shuffle), retake


def read_question_shuffle(q: Fields, qtype: str) -> bool:
    """A question's own `shuffle:` (e.g. false to keep "all of the above" last)."""
    shuffle = q.get("shuffle", None)
    if shuffle is True and qtype == "true-false":
        q.error("shuffle", "true-false options keep their order (True, then False)")
    return shuffle is not False and qtype != "true-false"
