"""What a harvester who never reads the course gets from the quiz's verdicts alone.

    .venv/bin/python bench/quiz_harvest.py [--learners 12] [--simulate 20000] [--seed 1]

The smart harvester answers every question, and on each retake keeps what was right and
picks, at random, a response not yet known to be wrong (one-answer questions: an option not
yet tried; true-false: the other side; multiple-response: a set not yet tried). It gets no
key and no other option's note before a pass (the default `reveal: after-pass`), so the
verdicts are all it learns from. Two parts:

- through the tool's real API (launches from the test LTI platform, SQLite in a temp folder),
  `--learners` harvesters on the real course with no attempts limit and with
  `attempts: 3` and `attempts: 2`: how many pass, and on which try;
- the same harvester against the course model in this process, `--simulate` times, for the
  chance of passing within k tries (the API part shows the same on the real tool).

Bounded: at most 12 tries a learner. Prints tables.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from lmspack.attempts.scoring import js_round  # noqa: E402
from lmspack.course import load_course  # noqa: E402
from lmspack.course.model import Question  # noqa: E402
from lmspack.store import Store  # noqa: E402
from lmspack.store.platforms import add_platform  # noqa: E402

MAX_TRIES = 12
LIMITS = (None, 3, 2)


def responses(q: Question) -> list[tuple[str, ...]]:
    ids = [o.id for o in q.options]
    if not q.multiple:
        return [(i,) for i in ids]
    return [c for n in range(1, len(ids) + 1) for c in itertools.combinations(ids, n)]


class Harvester:
    def __init__(self, course, rng: random.Random):
        self.rng = rng
        self.left = {q.id: responses(q) for q in course.quiz.questions}
        self.right: dict[str, tuple[str, ...]] = {}

    def pick(self, q: Question) -> list[str]:
        if q.id in self.right:
            return list(self.right[q.id])
        return list(self.rng.choice(self.left[q.id]))

    def learn(self, q: Question, response: list[str], result: dict) -> None:
        if result.get("correctResponse"):
            self.right[q.id] = tuple(result["correctResponse"])
        elif result["correct"]:
            self.right[q.id] = tuple(response)
        else:
            self.left[q.id] = [r for r in self.left[q.id] if r != tuple(response)]


def simulate(course, runs: int, seed: int) -> Counter:
    """How many runs pass on try k (MAX_TRIES + 1: not within the bound)."""
    rng = random.Random(seed)
    qs = course.quiz.questions
    passed_on: Counter = Counter()
    for _ in range(runs):
        h = Harvester(course, rng)
        for k in range(1, MAX_TRIES + 1):
            right = 0
            for q in qs:
                response = h.pick(q)
                ok = sorted(response) == sorted(q.correct_ids)
                right += ok
                h.learn(q, response, {"correct": ok})
            if js_round(100 * right / len(qs)) >= course.pass_mark:
                passed_on[k] += 1
                break
        else:
            passed_on[MAX_TRIES + 1] += 1
    return passed_on


def variant(tmp: Path, attempts: int | None) -> Path:
    folder = tmp / f"course-{attempts or 'unlimited'}"
    shutil.copytree(ROOT / "course_src", folder)
    course_yaml = folder / "course.yaml"
    course = load_course(folder)
    new_id = f"harvest-{attempts or 'unlimited'}"
    course_yaml.write_text(
        course_yaml.read_text().replace(f"id: {course.id}\n", f"id: {new_id}\n", 1)
    )
    # the course's own review settings give way to the variant's (top-level lines only)
    quiz = folder / "quiz.yaml"
    text = re.sub(r"^(attempts|reveal|retake):.*\n", "", quiz.read_text(), flags=re.M)
    settings = f"attempts: {attempts}\n" if attempts else ""
    quiz.write_text(settings + "reveal: after-pass\n" + text)
    return folder


def through_api(learners: int, seed: int) -> dict:
    from lmspack.tool import create_app
    from lmspack.tool.course_site import CourseSite
    from tests.tool.platform import Browser, ServerThread, TestPlatform

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="harvest-"))
    url = f"sqlite:///{tmp / 'harvest.sqlite'}"
    store = Store.from_url(url)
    store.upgrade()
    server = ServerThread()
    app = create_app(
        {
            "database_url": url,
            "base_url": server.url,
            "course": str(ROOT / "course_src"),
            "secret_key": "bench-" + uuid.uuid4().hex,
            "extra": {"GRADES_BACKGROUND": False},
        },
        store_=store,
    )
    sites = app.extensions["lmspack.sites"]
    ids = {}
    for limit in LIMITS:
        site = CourseSite.build(variant(tmp, limit), server.url + "/api/v1")
        sites[site.id] = site
        ids[limit] = site.id
    server.start(app)
    platform = TestPlatform(server.url)
    rng = random.Random(seed)
    out: dict = {}
    try:
        with store.transaction() as s:
            add_platform(s, **platform.cli_args())
        for limit in LIMITS:
            course = sites[ids[limit]].course
            results = []
            for n in range(learners):
                user = f"h{limit}-{n}"
                hint = {"user": user, "role": "learner", "context": f"c-{user}", "link": "rl"}
                r = Browser().launch(
                    platform, custom=json.dumps({"lmspack_course": ids[limit]}), **hint
                )
                token = parse_qs(urlsplit(r.headers["Location"]).query)["t"][0]
                http = requests.Session()
                http.headers["Authorization"] = f"Bearer {token}"
                api = server.url + "/api/v1"
                h = Harvester(course, rng)
                outcome = ("stopped", MAX_TRIES)
                for k in range(1, MAX_TRIES + 1):
                    for q in course.quiz.questions:
                        response = h.pick(q)
                        got = http.post(
                            api + "/answers", json={"question": q.id, "options": response}
                        )
                        assert got.status_code == 201, got.text
                        h.learn(q, response, got.json())
                    quiz = got.json()["quiz"]
                    if quiz["passed"]:
                        outcome = ("passed", k)
                        break
                    again = http.post(api + "/quiz/retake", json={})
                    if again.status_code == 403:
                        outcome = ("refused", k)
                        break
                    assert again.status_code == 200, again.text
                results.append(outcome)
            out[limit] = results
    finally:
        platform.stop()
        server.stop()
        store.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--learners", type=int, default=12, help="harvesters per setting (API)")
    ap.add_argument("--simulate", type=int, default=20000, help="runs against the model")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    course = load_course(ROOT / "course_src")
    qs = course.quiz.questions
    kinds = Counter("multiple" if q.multiple else q.type for q in qs)
    print(f"course: {len(qs)} questions ({dict(kinds)}), pass mark {course.pass_mark}%")

    passed_on = simulate(course, args.simulate, args.seed)
    runs = args.simulate
    print(f"\nsimulation against the model, {runs:,} harvesters, no attempts limit:")
    cumulative = 0
    for k in range(1, MAX_TRIES + 1):
        cumulative += passed_on[k]
        if passed_on[k] or cumulative < runs:
            print(f"  passed by try {k:>2}: {100 * cumulative / runs:6.2f}%")
        if cumulative == runs:
            break
    worst = max(k for k in passed_on if k <= MAX_TRIES)
    mean = sum(k * n for k, n in passed_on.items()) / runs
    print(f"  mean tries to pass {mean:.2f}, worst {worst}")

    if args.learners:
        print(f"\nthrough the tool's API, {args.learners} harvesters per setting:")
        for limit, results in through_api(args.learners, args.seed).items():
            passed = [k for what, k in results if what == "passed"]
            name = f"attempts: {limit}" if limit else "no attempts limit"
            tries = Counter(passed)
            spread = ", ".join(f"try {k}: {tries[k]}" for k in sorted(tries)) or "none"
            refused = sum(1 for what, _ in results if what == "refused")
            print(
                f"  {name:<18} passed {len(passed):>3}/{len(results)}  ({spread}); "
                f"retake refused {refused}"
            )


if __name__ == "__main__":
    main()
