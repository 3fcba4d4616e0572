"""Slug errors name the character as typed, and non-ASCII look-alikes are refused plainly, never
folded into another channel's name (issue #17)."""

from __future__ import annotations

import pytest

from app.kick.slug import InvalidSlugError, validate_slug


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("\u212aick", "'\u212a' (KELVIN SIGN)"),  # lower() would make it "kick"
        ("\uff2b\uff29\uff23\uff2b", "'\uff2b' (FULLWIDTH LATIN CAPITAL LETTER K)"),  # NFKC: KICK
        ("\u0130stanbul", "'\u0130' (LATIN CAPITAL LETTER I WITH DOT ABOVE)"),
        ("\u00c4rger", "'\u00c4' (LATIN CAPITAL LETTER A WITH DIAERESIS)"),  # not 'ä'
    ],
)
def test_non_ascii_is_refused_and_named_as_typed(text: str, named: str) -> None:
    with pytest.raises(InvalidSlugError) as info:
        validate_slug(text)
    message = str(info.value)
    assert message.startswith(f"{named} is not allowed in a Kick username")
    assert "a-z" in message and "no accents or look-alike letters" in message


@pytest.mark.parametrize(("text", "named"), [("NIGHT@OWL", "'@'"), ("Owl.GG", "'.'")])
def test_ascii_errors_keep_the_message(text: str, named: str) -> None:
    with pytest.raises(InvalidSlugError, match=f"^{named} is not allowed in a Kick username: use"):
        validate_slug(text)


def test_the_length_is_that_of_what_was_typed() -> None:
    # "İ".lower() is two characters: the limit counts the typed ones.
    assert validate_slug("A" * 25) == "a" * 25
    with pytest.raises(InvalidSlugError, match="this one has 26"):
        validate_slug("A" * 26)
