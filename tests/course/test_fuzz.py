"""A bounded fuzz run in CI (issue 17 item 9): 200 mutated copies of the workshop course and
of the `lmspack new` example; bench/fuzz_sources.py runs the long one (10,000 cases).

No case may raise anything but CourseError, report a problem without file:line (where the
file has lines), take over 5 s, or change dist/ when its build fails.
"""

from __future__ import annotations

from .fuzzing import run_cases

CASES = 200
SEED = 17  # fixed: a failure here is the same case on every machine


def test_mutated_sources_give_problems_not_tracebacks() -> None:
    outcomes = list(run_cases(CASES, SEED))
    failed = [
        f"case {o.case} ({o.source}; {'; '.join(o.mutations)}): {o.seconds:.1f} s "
        f"{o.traceback.strip().splitlines()[-1] if o.traceback else ''} {o.no_line} "
        f"{'dist/ changed' if o.dist_changed else ''}"
        for o in outcomes
        if o.failed
    ]
    assert not failed, "\n".join(failed)
    # The run reaches both outcomes: courses that still build, and each kind of failure.
    assert sum(o.built for o in outcomes) >= CASES // 10
    assert sum(not o.built for o in outcomes) >= CASES // 2
