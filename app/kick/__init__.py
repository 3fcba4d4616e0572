"""Qt-free Kick layer: Pusher codec, payload normalizer, HTTP API and WebSocket transport."""
