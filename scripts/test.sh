#!/usr/bin/env bash
# Set up (virtualenv with test extras, the npm packages the browser tests use) and run
# the linter and the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if command -v npm >/dev/null 2>&1; then
  npm ci --silent --no-audit --no-fund
else
  echo "npm not found: browser tests will be skipped (they fail instead when CI is set)" >&2
fi
.venv/bin/ruff check .
# One worker per core, at most 4 (each runs its own servers and Chromium; the tests' own
# databases are per process). LMSPACK_TEST_WORKERS=0 runs everything in this process.
workers=${LMSPACK_TEST_WORKERS:-$(n=$(nproc 2>/dev/null || echo 2); echo $((n > 4 ? 4 : n)))}
exec .venv/bin/pytest -n "$workers" --dist worksteal --durations=15 "$@"
