"""Surface cues in the quiz: how far a learner who has not read the course gets by rules of
thumb about the wording alone.

    .venv/bin/python bench/quiz_cues.py [--course course_src]

For one-answer questions (single, scenario) it counts how often the right option is the
longest, is the only hedged one ("may", "might", "could", "worth", ...), or is the only one
free of absolutes ("always", "never", "only", "clearly", "straight away", ...). For
true-false it counts statements where "absolute → false, otherwise true" gives the key.
Then it scores the content-free rule the issue describes: pick the only hedged option (else
the only option without absolutes, else the longest); answer true-false by absolutes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lmspack.course import load_course  # noqa: E402

HEDGES = re.compile(
    r"\b(may|might|could|can|perhaps|possibly|worth|sometimes|often|gently|begin)\b", re.I
)
ABSOLUTES = re.compile(
    r"\b(always|never|only|all|every|clearly|deliberately|straight away|at once|must|"
    r"entirely|no|none|cannot)\b",
    re.I,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--course", default=str(ROOT / "course_src"))
    course = load_course(Path(ap.parse_args().course))
    one = [q for q in course.quiz.questions if q.type in ("single", "scenario")]
    tf = [q for q in course.quiz.questions if q.type == "true-false"]
    longest = hedged_only = plain_only = rule_right = 0
    flagged: list[str] = []
    for q in one:
        key = next(o for o in q.options if o.correct)
        lens = {o.id: len(o.text) for o in q.options}
        is_longest = lens[key.id] == max(lens.values())
        hedged = [o for o in q.options if HEDGES.search(o.text)]
        plain = [o for o in q.options if not ABSOLUTES.search(o.text)]
        longest += is_longest
        hedged_only += len(hedged) == 1 and hedged[0].correct
        plain_only += len(plain) == 1 and plain[0].correct
        if len(hedged) == 1:
            pick = hedged[0]
        elif len(plain) == 1:
            pick = plain[0]
        else:
            pick = max(q.options, key=lambda o: len(o.text))
        rule_right += pick.correct
        if pick.correct:
            flagged.append(q.id)
    tf_right = 0
    for q in tf:
        key_true = next(o for o in q.options if o.correct).id == "true"
        guess_true = not ABSOLUTES.search(q.prompt)
        tf_right += guess_true == key_true
        if guess_true == key_true:
            flagged.append(q.id)
    print(f"one-answer questions: {len(one)}")
    print(f"  right option is the longest:            {longest}")
    print(f"  right option is the only hedged one:    {hedged_only}")
    print(f"  right option is the only one w/o absolutes: {plain_only}")
    print(f"true-false questions: {len(tf)}; absolute→false rule gets {tf_right}")
    total = len(one) + len(tf)
    right = rule_right + tf_right
    print(f"content-free rule scores {right}/{total} of these ({100 * right / max(total, 1):.0f}%)")
    print("given away by the rule: " + (", ".join(flagged) or "none"))


if __name__ == "__main__":
    main()
