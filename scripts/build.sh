#!/usr/bin/env bash
# Set up (a virtualenv in .venv with lmspack installed) and build course_src/ into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/lmspack build "$@"
