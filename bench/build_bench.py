"""Build speed and package size.

  python bench/build_bench.py            # the workshop, then generated courses of 10..1000 pages

Prints: the workshop's whole-process build time (`lmspack build`, both packages, Python start-up
included) as the median of several runs; each package's size; then in-process build time for
generated courses of growing size, with the time per page, to show how it scales.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lmspack.build import build  # noqa: E402

PARAGRAPH = (
    "Resistance can be understood as communication. A parent who misses visits may be "
    "protecting themselves from judgement, and a young person who says little may be testing "
    "whether this worker will stay. Curiosity, transparency and patience help. "
)


def whole_process(runs: int = 7) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "lmspack", "build", "--out", out],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
        sizes = {p.name: p.stat().st_size for p in sorted(Path(out).iterdir())}
    return times, sizes


def generate(folder: Path, pages: int) -> None:
    (folder / "pages").mkdir(parents=True)
    outcomes = [f"LO{i}" for i in range(1, 7)]
    nav = []
    for n in range(1, pages + 1):
        pid = f"page-{n}"
        nav.append(pid)
        body = f"## Section {n}\n\n" + "\n\n".join([PARAGRAPH * 2] * 3)
        body += f"\n\n- one\n- two\n\nNext: [page](0{n % pages + 1}-page-{n % pages + 1}.md)\n"
        (folder / "pages" / f"0{n}-{pid}.md").write_text(
            f"---\ntitle: Page {n}\nminutes: 2\noutcomes: [{outcomes[n % 6]}]\n---\n{body}"
        )
    questions = []
    for n in range(max(12, pages // 5)):
        questions.append(
            f"  - id: q{n}\n    outcome: {outcomes[n % 6]}\n    type: single\n"
            f"    prompt: Question {n}?\n    options:\n"
            f"      - {{id: a, text: Right, correct: true, feedback: Yes}}\n"
            f"      - {{id: b, text: Wrong, feedback: No}}\n"
            f"    feedback: {{correct: Good, incorrect: Not quite}}\n"
        )
    (folder / "quiz.yaml").write_text("minutes: 10\nquestions:\n" + "".join(questions))
    (folder / "evaluation.yaml").write_text(
        'minutes: 2\nquestions:\n  - {id: recommend, type: yes-no, prompt: "Recommend?"}\n'
    )
    (folder / "course.yaml").write_text(
        "id: generated\ntitle: Generated\nversion: 1.0.0\nlanguage: en-GB\ndescription: d\n"
        "audience: a\nprovider: p\npass_mark: 80\noutcomes:\n"
        + "".join(f"  - {{id: {o}, text: Outcome {o}}}\n" for o in outcomes)
    )


def in_process(pages: int, runs: int = 3) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "course_src"
        generate(src, pages)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            build(src, Path(tmp) / "dist")
            times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    times, sizes = whole_process()
    print(
        f"workshop: `lmspack build` (both packages, whole process), {len(times)} runs: "
        f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    for name, size in sizes.items():
        print(f"  {name}: {size:,} bytes ({size / 1024:.1f} KB)")
    print("\ngenerated courses (in-process build of both packages, best of 3):")
    print(f"  {'pages':>6} {'seconds':>9} {'ms/page':>9}")
    for pages in (10, 100, 300, 1000):
        seconds = in_process(pages)
        print(f"  {pages:>6} {seconds:>9.3f} {seconds * 1000 / pages:>9.2f}")


if __name__ == "__main__":
    main()
