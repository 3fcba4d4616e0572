#!/usr/bin/env bash
# Installs the app with its test tools into .venv, and the real Pusher peers for end-to-end tests
# (soketi, pusher-js) into tests/e2e/node_modules. Safe to re-run: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
npm install --prefix tests/e2e --no-audit --no-fund --loglevel=error
