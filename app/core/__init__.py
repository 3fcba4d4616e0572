"""Qt-free, I/O-free core: the event type, connection states, backoff and the supervisor."""
