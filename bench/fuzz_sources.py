"""Fuzz the course loader and build: N mutated copies of the workshop course and of the
`lmspack new` example (tests/course/fuzzing.py says what is mutated and what counts as a
failure), with the figures issue 17 asks for.

    nice .venv/bin/python bench/fuzz_sources.py --cases 10000 --seed 1

Prints cases, built, tracebacks, problems without file:line, slowest case, cases over 5 s
of CPU and failed builds that left dist/ untouched; every failing case with its mutations.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.course.fuzzing import SLOW, run_cases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    counts: Counter[str] = Counter()
    slowest = (0.0, -1)
    slowest_wall = 0.0
    for n, o in enumerate(run_cases(args.cases, args.seed), 1):
        counts["cases"] += 1
        counts["built"] += o.built
        counts["failed builds"] += not o.built
        counts["tracebacks"] += bool(o.traceback)
        counts["problems without file:line"] += len(o.no_line)
        counts[f"cases over {SLOW:g} s"] += o.seconds > SLOW
        counts["failed builds, dist/ untouched"] += not o.built and not o.dist_changed
        counts["failed builds, dist/ changed"] += o.dist_changed
        slowest = max(slowest, (o.seconds, o.case))
        slowest_wall = max(slowest_wall, o.wall)
        if o.failed:
            print(f"case {o.case} ({o.source}; {'; '.join(o.mutations)}): {o.seconds:.2f} s CPU",
                  flush=True)  # fmt: skip
            for line in o.traceback.strip().splitlines()[-3:] if o.traceback else []:
                print(f"    {line}")
            for p in o.no_line:
                print(f"    no line: {p}")
        if n % 500 == 0:
            print(f"... {n} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    for key in ("cases", "built", "failed builds", "tracebacks", "problems without file:line",
                f"cases over {SLOW:g} s", "failed builds, dist/ untouched",
                "failed builds, dist/ changed"):  # fmt: skip
        print(f"{key}: {counts[key]}")
    print(f"slowest case: {slowest[0]:.2f} s of CPU (case {slowest[1]}); "
          f"slowest by the wall clock: {slowest_wall:.2f} s")  # fmt: skip
    print(f"total: {time.perf_counter() - start:.0f} s, seed {args.seed}")
    bad = counts["tracebacks"] + counts["problems without file:line"]
    bad += counts[f"cases over {SLOW:g} s"] + counts["failed builds, dist/ changed"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
