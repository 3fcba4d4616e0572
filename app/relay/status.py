"""The status the event server reports (`/api/status`, and `{"kind":"status"}` on `/events`)."""

from __future__ import annotations

from app.core.state import Status


def status_payload(status: Status, now: float) -> dict[str, object]:
    """`state`, `channel` (the slug), `provider` (None until the connection names one), `live`,
    `uptime_s` (whole seconds since the connection was established, else None) and `events`
    (since then: the Dashboard card's count; on `/events` it is sent again within a second of
    events, see `RelayServer.publish_event`). `now` is on the supervisor's clock
    (time.monotonic)."""
    uptime = None if status.connected_at is None else max(0, int(now - status.connected_at))
    provider = getattr(status, "provider", None)
    return {
        "state": status.state.value,
        "channel": status.slug,
        "provider": str(provider) if provider else None,
        "live": status.state.value == "live",
        "uptime_s": uptime,
        "events": status.event_count,
    }
