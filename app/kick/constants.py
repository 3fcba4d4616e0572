"""Kick endpoints, the known Pusher app key, env var names, HTTP defaults (design §3, §5)."""

from __future__ import annotations

from typing import Final

# Base URLs; overridable through the env vars below.
DEFAULT_API_URL: Final = "https://kick.com"  # GET /api/v2/channels/{slug}
DEFAULT_REALTIME_URL: Final = "https://web.kick.com"  # POST /api/v1/realtime/... (negotiation)
DEFAULT_FILES_URL: Final = "https://files.kick.com"  # GET /emotes/{id}/fullsize (images)

# Fallback when key discovery fails. Kick changed the key once (July 2024): discover it first.
KNOWN_PUSHER_KEY: Final = "32cbd69e4b950bf97679"
KNOWN_PUSHER_CLUSTER: Final = "us2"
PUSHER_WS_URL_TEMPLATE: Final = (
    "wss://ws-{cluster}.pusher.com/app/{key}?protocol=7&client=js&version=8.4.0&flash=false"
)

# Environment variables (design §5).
ENV_CONFIG_DIR: Final = "VMSC_CONFIG_DIR"
ENV_KICK_API_URL: Final = "VMSC_KICK_API_URL"
ENV_KICK_REALTIME_URL: Final = "VMSC_KICK_REALTIME_URL"  # set but empty: negotiation off
ENV_KICK_PUSHER_URL: Final = "VMSC_KICK_PUSHER_URL"  # full WebSocket URL, used as is
ENV_KICK_CENTRIFUGO_URL: Final = "VMSC_KICK_CENTRIFUGO_URL"  # full Centrifugo URL, used as is
ENV_KICK_FILES_URL: Final = "VMSC_KICK_FILES_URL"  # emote and badge pictures
ENV_CACHE_DIR: Final = "VMSC_CACHE_DIR"  # the picture cache (else beside the config, or the OS's)

# HTTP: seconds for each of connect / read / write / pool.
REQUEST_TIMEOUT: Final = 10.0
# The channel lookup as a whole (both spellings, redirects, every byte): a server dripping its
# answer a byte at a time never trips the per-read timeout above.
LOOKUP_DEADLINE: Final = 30.0
# A channel's lookup answer is 5-20 KB; a larger one is not read on.
LOOKUP_MAX_BYTES: Final = 1024 * 1024
# The realtime requests (provider negotiation, the Centrifugo token), each as a whole, redirects
# and every byte included: they stand between the user and every connection attempt.
REALTIME_DEADLINE: Final = 15.0
# Their answers are under 2 KB (two providers' credentials; a JWT); a larger one is not read on.
REALTIME_MAX_BYTES: Final = 64 * 1024
# Emote and badge pictures: each fetch as a whole (redirects, every byte); a picture is a few KB
# (an animated emote up to ~1 MB), a larger answer is not read on.
IMAGE_DEADLINE: Final = 20.0
IMAGE_MAX_BYTES: Final = 4 * 1024 * 1024
IMAGE_CONCURRENCY: Final = 4  # fetches at once: a chat full of new emotes must not hog the pool
IMAGE_RETRY_AFTER: Final = 300.0  # a picture that failed is not asked for again this long
IMAGE_CACHE_MAX_BYTES: Final = 64 * 1024 * 1024  # on disk, every picture together
# kick.com sits behind Cloudflare, which is quicker to challenge non-browser agents.
USER_AGENT: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

# Kick usernames / slugs: letters, digits, "_" and "-".
SLUG_MAX_LENGTH: Final = 25
