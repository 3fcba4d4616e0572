#!/usr/bin/env bash
# Builds the desktop bundle (dist/VMSC/, and on Linux the .tar.gz and .deb) into .venv's Python,
# then runs the bundle's --smoke-test as on a machine without that Python: empty environment, no
# venv, no PYTHONPATH; offscreen, and under Xvfb (xcb) when xvfb-run is installed.
# Needs binutils (PyInstaller's objdump) and, for the .deb, dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[package]'
start=$(date +%s)
.venv/bin/python packaging/build.py
echo "build: $(($(date +%s) - start)) s"

config=$(mktemp -d)
trap 'rm -rf "$config"' EXIT
clean_env=(env -i PATH=/usr/bin:/bin HOME="$HOME" VMSC_CONFIG_DIR="$config")
timeout -s KILL 60 "${clean_env[@]}" QT_QPA_PLATFORM=offscreen dist/VMSC/VMSC --smoke-test
if command -v xvfb-run >/dev/null; then
  timeout -s KILL 60 "${clean_env[@]}" xvfb-run -a dist/VMSC/VMSC --smoke-test
fi
