"""How long the pre-work really takes: words and estimated minutes per step, against the
`minutes` each step claims (what `lmspack check` prints and the CPD certificate states).

    .venv/bin/python bench/reading_time.py [--course course_src] [--wpm 180] [--quiz-wpm 150]

The model, stated so it can be argued with: pages are read at `--wpm` (careful reading of
professional material, slower than the ~240 wpm of light reading); each reflection prompt
adds `--reflect` minutes of thinking and writing; quiz questions (scenario, prompt, options)
are read and weighed at `--quiz-wpm`, and the notes shown after one try (an average
option note, standing for the chosen one, and the question's feedback) at `--wpm`.
Estimates round up to whole minutes.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lmspack.course import load_course  # noqa: E402


def words(text: str) -> int:
    """Words in text or HTML (tags dropped), as a reader meets them."""
    return len(re.sub(r"<[^>]+>", " ", text).split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--course", default=str(ROOT / "course_src"))
    ap.add_argument("--wpm", type=int, default=180)
    ap.add_argument("--quiz-wpm", type=int, default=150)
    ap.add_argument("--reflect", type=float, default=3.0)
    a = ap.parse_args()
    course = load_course(Path(a.course))
    per_page: dict[str, int] = {}
    for r in course.reflections:
        per_page[r.page] = per_page.get(r.page, 0) + 1
    rows = []
    for p in course.pages:
        n = per_page.get(p.id, 0)
        est = math.ceil(p.words / a.wpm + n * a.reflect)
        rows.append((p.id, p.words, n, est, p.minutes))
    q = course.quiz
    asked = sum(
        words(x.scenario_html) + words(x.prompt) + sum(words(o.text) for o in x.options)
        for x in q.questions
    )
    notes = sum(
        sum(words(o.feedback) for o in x.options) / max(len(x.options), 1)
        + words(x.feedback_correct)
        for x in q.questions
    )
    q_est = math.ceil(asked / a.quiz_wpm + notes / a.wpm)
    rows.append((f"quiz ({len(q.questions)} questions)", round(asked + notes), 0, q_est, q.minutes))
    e = course.evaluation
    rows.append(("evaluation", sum(words(x.prompt) for x in e.questions), 0, 2, e.minutes))
    print(f"{'step':34} {'words':>6} {'refl':>4} {'est':>4} {'claimed':>7}")
    for name, w, n, est, claimed in rows:
        print(f"{name:34} {w:>6} {n:>4} {est:>4} {claimed:>7}")
    total_w = round(sum(r[1] for r in rows))
    total_est = sum(r[3] for r in rows)
    total_claimed = sum(r[4] for r in rows)
    print(f"{'total':34} {total_w:>6} {'':>4} {total_est:>4} {total_claimed:>7}")
    print(f"cpd.prework_minutes (certificate): {course.cpd.prework_minutes}")


if __name__ == "__main__":
    main()
