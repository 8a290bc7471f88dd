"""Print the player's JavaScript and CSS sizes, raw and gzipped (target: < 25 KB gzipped).

.venv/bin/python bench/player_size.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "templates" / "static"
TARGET_GZIP = 25_000  # bytes; the stricter reading of "25 KB"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> int:
    files = sorted(p for p in STATIC.rglob("*") if p.suffix in (".js", ".css"))
    rows = [(p.relative_to(STATIC).as_posix(), p.read_bytes()) for p in files]
    everything = b"".join(data for _, data in rows)
    print(f"{'file':<24}{'raw':>10}{'gzipped':>10}")
    for name, data in rows:
        print(f"{name:<24}{len(data):>10,}{gz(data):>10,}")
    total_gz = sum(gz(data) for _, data in rows)
    print(f"{'total (separately)':<24}{len(everything):>10,}{total_gz:>10,}")
    print(f"{'total (one stream)':<24}{len(everything):>10,}{gz(everything):>10,}")
    verdict = "within" if total_gz < TARGET_GZIP else "OVER"
    print(f"target: < {TARGET_GZIP:,} bytes gzipped -> {verdict} ({total_gz / 1000:.1f} kB)")
    return 0 if total_gz < TARGET_GZIP else 1


if __name__ == "__main__":
    raise SystemExit(main())
