"""Kick usernames: what can be typed, and why not (no I/O: the Sources panel uses it too)."""

from __future__ import annotations

import re
import unicodedata

from app.kick import constants as C

_SLUG_RE = re.compile(r"[A-Za-z0-9_-]+")


class InvalidSlugError(ValueError):
    """What the streamer typed cannot be a Kick username; the text says why."""


def _describe_char(char: str) -> str:
    if char == " ":
        return "a space"
    if not char.isascii():
        name = unicodedata.name(char, "")
        return f"{char!r} ({name})" if name and char.isprintable() else f"the character {char!r}"
    return repr(char) if char.isprintable() else f"the character {char!r}"


def canonical_slug(text: str) -> str:
    """The one spelling of a slug the app compares and stores: stripped, lower case. Kick's
    usernames are case-insensitive. No checks: `validate_slug` is for what a streamer typed."""
    return text.strip().lower()


def validate_slug(text: str) -> str:
    """The slug for a typed username: stripped, letters/digits/_/-, 1-25 characters, lower case.

    Checked before lower-casing, and ASCII only: lower() and NFKC fold look-alikes into ASCII
    (the Kelvin sign U+212A into k, a fullwidth U+FF2B into K), so a name typed with them would
    quietly watch another channel. A character that is not allowed is named as it was typed."""
    slug = text.strip()
    if not slug:
        raise InvalidSlugError("Enter a Kick username.")
    if len(slug) > C.SLUG_MAX_LENGTH:
        raise InvalidSlugError(
            f"A Kick username has at most {C.SLUG_MAX_LENGTH} characters; this one has {len(slug)}."
        )
    if not _SLUG_RE.fullmatch(slug):
        bad = next(ch for ch in slug if not _SLUG_RE.fullmatch(ch))
        rule = (
            "use the letters a-z, digits, _ and - only (no accents or look-alike letters)."
            if not bad.isascii()
            else "use letters, digits, _ and - only."
        )
        raise InvalidSlugError(
            f"{_capitalize(_describe_char(bad))} is not allowed in a Kick username: {rule}"
        )
    return canonical_slug(slug)


def _capitalize(text: str) -> str:
    """The first letter upper case, nothing else touched (str.capitalize lower-cases the rest:
    it would show 'K' typed as 'k')."""
    return text[:1].upper() + text[1:]
