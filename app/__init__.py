"""VMSC for Kick: watch one Kick channel's public events in real time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vmsc-kick")
except PackageNotFoundError:  # running from a bundle or a bare checkout
    __version__ = "1.2.58"

APP_NAME = "VMSC"
