"""Report sections, in order. Each module has ``build(ctx) -> Section``.

Add a section: write ``sections/<name>.py`` and list ``"<name>"`` here.
"""

SECTIONS: tuple[str, ...] = (
    "data",
    "paper",
    "coverage",
    "compliance",
    "effectiveness",
    "networks",
    "simulation",
)
