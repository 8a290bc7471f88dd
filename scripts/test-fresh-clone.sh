#!/usr/bin/env bash
# Clone this checkout's HEAD into an empty temporary folder (nothing beside it) and run the
# README's test command there, as a new user would. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet . "$work/lmspack"
cd "$work/lmspack"
./scripts/test.sh "$@"
