"""QObject adapters: async services -> Qt signals. The only UI-facing code that awaits."""
