#!/usr/bin/env bash
# The project's test command: installs what the tests need (scripts/setup.sh), then runs the
# linter, the formatting check, the type checker and the tests (Qt offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/ruff check app tests scripts packaging
.venv/bin/ruff format --check app tests scripts packaging
.venv/bin/mypy app
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q "$@"
