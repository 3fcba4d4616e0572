"""Qt-side services: async services -> Qt signals (the only UI-facing code that awaits), and
the app's observable state the pages bind to."""
