"""Reading Kick's JSON payloads: leniently where Kick varies (ids as numbers or strings, optional
fields missing or null), strictly where a wrong type would show wrong data. Every complaint is a
PayloadError naming the event and the field."""

from __future__ import annotations

from typing import Any

from app.core.payloads import Badge
from app.kick.coerce import as_int

Json = dict[str, Any]  # a decoded JSON object from Kick, not yet checked


class PayloadError(ValueError):
    """A user event whose payload is malformed; the text names the event and what is wrong."""


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    return f"a {type(value).__name__}"


def wrong(name: str, field: str, value: object, expected: str) -> PayloadError:
    if value is None:
        return PayloadError(f"{name}: {field!r} is missing")
    return PayloadError(f"{name}: {field!r} is {kind_of(value)}, expected {expected}")


def obj(data: Json, key: str, name: str, field: str | None = None) -> Json:
    value = data.get(key)
    if isinstance(value, dict):
        return value
    raise wrong(name, field or key, value, "an object")


def optional_obj(data: Json, key: str) -> Json:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def text(data: Json, key: str, name: str, field: str | None = None) -> str:
    """A required string."""
    value = data.get(key)
    if isinstance(value, str):
        return value
    raise wrong(name, field or key, value, "a string")


def optional_text(data: Json, key: str, name: str, field: str | None = None) -> str:
    """A string that may be missing or null ("" then); any other type is an error."""
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise wrong(name, field or key, value, "a string")


def kick_id(value: object) -> str | None:
    """Kick ids arrive as strings or numbers; None when there is no usable id."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def required_id(data: Json, key: str, name: str, field: str | None = None) -> str:
    value = data.get(key)
    ident = kick_id(value)
    if ident is None:
        raise wrong(name, field or key, None if value == "" else value, "a string or integer id")
    return ident


def count(data: Json, key: str, name: str, field: str | None = None) -> int:
    """A required count; numbers may arrive as strings ("7")."""
    value = data.get(key)
    count = as_int(value)
    if count is None:
        raise wrong(name, field or key, value, "an integer")
    return count


def flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def badges(value: object) -> tuple[Badge, ...]:
    """Kick's badge objects ({type, text, count?, active?}) that have a type, counts coerced to int.
    For the lenient path only: the usual shape decodes straight into Badges."""
    if type(value) is not list:
        return ()
    badges = []
    for badge in value:
        if isinstance(badge, dict) and isinstance(badge.get("type"), str):
            text, active = badge.get("text"), badge.get("active")
            badges.append(
                Badge(
                    badge["type"],
                    text if isinstance(text, str) else "",
                    as_int(badge.get("count")),
                    active if isinstance(active, bool) else None,
                )
            )
    return tuple(badges)
