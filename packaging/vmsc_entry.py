"""Entry point of the PyInstaller bundle (packaging/vmsc.spec).

The bundle runs `app.__main__.main`, like `python -m app`: the desktop app by default (its
options such as `--smoke-test` pass through), and the headless `watch SLUG` / `normalize`
commands when given. On Windows the bundle is windowed (no console), so those commands run
but their output is not visible there; on Linux and macOS they work from a terminal.
"""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
