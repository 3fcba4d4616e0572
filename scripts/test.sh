#!/usr/bin/env bash
# Installs the app with its test tools into .venv, the real Pusher server (soketi) and pusher-js
# into tests/e2e/node_modules, then runs the linters, the type checker and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
npm install --prefix tests/e2e --no-audit --no-fund --loglevel=error
.venv/bin/ruff check app tests
.venv/bin/mypy app
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q "$@"
