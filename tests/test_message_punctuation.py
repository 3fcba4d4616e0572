"""No doubled punctuation where a plain-sentence reason meets what follows it (issue #17:
"retrying., retry 1 in 1.3 s")."""

from __future__ import annotations

import re

import pytest

from app.core.state import ConnectionState, Status
from app.kick import centrifugo_endings, network_errors, pusher_endings
from app.kick.channel_lookup import BadResponse, ChannelNotFound, CloudflareBlocked, KickServerError
from app.kick.slug import InvalidSlugError, validate_slug
from app.watch import describe_status

DOUBLED = re.compile(r"[.,;:]\s*[.,;:]|\.\.")


def reasons() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for failure in (CloudflareBlocked(403), ChannelNotFound("x"), KickServerError(502)):
        found.append((str(failure), failure.detail))
    found.append((str(BadResponse("not JSON")), "not JSON"))
    try:
        validate_slug("a b")
    except InvalidSlugError as exc:
        found.append((str(exc), ""))
    for module in (network_errors, pusher_endings, centrifugo_endings):
        for name in dir(module):
            value = getattr(module, name)
            if name.isupper() and isinstance(value, str) and " " in value:
                found.append((value, ""))
                found.append((value, "some detail"))
    return found


@pytest.mark.parametrize(("reason", "detail"), reasons())
@pytest.mark.parametrize("state", [ConnectionState.RECONNECTING, ConnectionState.ERROR])
def test_state_lines_have_no_doubled_punctuation(
    reason: str, detail: str, state: ConnectionState
) -> None:
    status = Status(state=state, slug="x", reason=reason, detail=detail, attempt=1, retry_at=2.3)
    line = describe_status(status, now=1.0)
    assert not DOUBLED.search(line), line
    assert reason.removesuffix(".") in line


def test_a_reason_ending_in_a_full_stop_before_the_retry() -> None:
    status = Status(
        state=ConnectionState.RECONNECTING,
        reason=str(CloudflareBlocked(403)),
        attempt=1,
        retry_at=2.3,
    )
    assert describe_status(status, now=1.0).endswith("under Advanced, retry 1 in 1.3 s)")
