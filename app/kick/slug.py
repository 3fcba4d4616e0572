"""Kick usernames: what can be typed, and why not (no I/O: the Sources panel uses it too)."""

from __future__ import annotations

import re

from app.kick import constants as C

_SLUG_RE = re.compile(r"[a-z0-9_-]+")


class InvalidSlugError(ValueError):
    """What the streamer typed cannot be a Kick username; the text says why."""


def _describe_char(char: str) -> str:
    if char == " ":
        return "a space"
    return repr(char) if char.isprintable() else f"the character {char!r}"


def validate_slug(text: str) -> str:
    """The slug for a typed username: stripped, lower case, letters/digits/_/-, 1-25 characters."""
    slug = text.strip().lower()
    if not slug:
        raise InvalidSlugError("Enter a Kick username.")
    if len(slug) > C.SLUG_MAX_LENGTH:
        raise InvalidSlugError(
            f"A Kick username has at most {C.SLUG_MAX_LENGTH} characters; this one has {len(slug)}."
        )
    if not _SLUG_RE.fullmatch(slug):
        bad = next(ch for ch in slug if not _SLUG_RE.fullmatch(ch))
        raise InvalidSlugError(
            f"{_describe_char(bad).capitalize()} is not allowed in a Kick username: "
            "use letters, digits, _ and - only."
        )
    return slug
