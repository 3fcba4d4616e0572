"""Widgets only (design.md §4): pure views that show what they are given and emit intent signals.

Nothing here touches the network or asyncio (design rule 5); state colours come from the
`state` Qt property and `resources/theme.qss` (rule 6); chat text is never rendered as rich text
(rule 8).
"""
