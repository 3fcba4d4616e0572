"""VMSC for Kick: watch one Kick channel's public events in real time."""

# The one place the version is written (pyproject.toml reads it from here). A literal, not
# importlib.metadata: that lookup costs ~35 ms of start-up.
__version__ = "1.2.58"

APP_NAME = "VMSC"
