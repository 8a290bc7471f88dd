"""A learner's tries at the quiz, without Flask or a database: what may be shown when
(review.py) and in which order the options come (shuffle.py)."""
