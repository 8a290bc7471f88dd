"""What the text checks of issue 18 item 5 cost: parsing a learner API body with the depth
limit and the printable check (lmspack.tool.json_input.parse_body) against plain json.loads,
refusing a 100,000-deep body, and reading SQLite text through the tolerant decoder.

    .venv/bin/python bench/text_checks_bench.py
"""

from __future__ import annotations

import json
import sqlite3
import time

from lmspack.store.db import _decode_text
from lmspack.tool.json_input import BodyError, parse_body


def best(fn, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    big = json.dumps(
        {"reflections": {f"r{i}": 'Siobhán wrote: [a] {b} "c" ' * 300 for i in range(20)}}
    ).encode()
    small = json.dumps({"page": "p3", "visited": ["p1", "p2", "p3"]}).encode()
    for name, body in (("small state save", small), ("20 reflections", big)):
        plain = best(lambda b=body: json.loads(b))
        checked = best(lambda b=body: parse_body(b, max_bytes=1 << 20))
        print(f"{name} ({len(body):,} B): json.loads {plain * 1e6:,.0f} us, "
              f"parse_body {checked * 1e6:,.0f} us")  # fmt: skip
    deep = b"[" * 100_000 + b"]" * 100_000

    def refuse() -> None:
        try:
            parse_body(deep, max_bytes=256 * 1024)
        except BodyError:
            return
        raise AssertionError("accepted")

    print(f"100,000-deep array ({len(deep):,} B) refused in {best(refuse, 5) * 1e3:.1f} ms")
    db = sqlite3.connect(":memory:")
    db.execute("create table t (x text)")
    db.executemany("insert into t values (?)", [(f"Learner Name {i}",) for i in range(200_000)])
    for label, factory in (("str", str), ("_decode_text", _decode_text)):
        db.text_factory = factory
        took = best(lambda: db.execute("select x from t").fetchall(), 5)
        print(f"SQLite read of 200,000 text values, text_factory={label}: {took * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
