"""The local event server: status, the `/events` WebSocket, OBS overlays and test events.

Qt-free and asyncio-only: the desktop app and `watch --serve` host the same server. It speaks
HTTP/1.1 itself and runs WebSocket connections with websockets' sans-I/O `ServerProtocol` (the
package the app already has for Kick's socket), so it adds no dependency and ~1 ms of import
time; see the README for the figures against aiohttp.
"""
