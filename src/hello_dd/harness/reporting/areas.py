"""The spec's areas as the report's epics: one table from a feature's area tag (features/README.md,
"Tags") to the epic's title.

A feature's epic is its first tag, in the order written, that this table knows; a feature without one
lands under ``NO_AREA``, which says what to add.
"""

from __future__ import annotations

from collections.abc import Iterable

AREA_EPICS: dict[str, str] = {
    "pattern-1": "Request pattern 1: product query",
    "pattern-2": "Request pattern 2: order checkout",
    "pattern-3": "Request pattern 3: bulk stock check",
    "pattern-4": "Request pattern 4: asynchronous reports",
    "pattern-5": "Request pattern 5: cascading failures",
    "tracing": "Distributed tracing",
    "correlation": "Correlation ids",
    "errors": "Error handling",
    "observability": "Metrics and logs",
    "resilience": "Resilience",
    "chaos": "Chaos",
    "durability": "Durability",
    "load": "Performance under load",
    "health": "Health checks",
}

NO_AREA = "No area tag (add one of: " + ", ".join(f"@{tag}" for tag in AREA_EPICS) + ")"


def epic_of(feature_tags: Iterable[str]) -> str:
    """The epic of a feature with these tags (without ``@``, in the order written)."""
    return next((AREA_EPICS[tag] for tag in feature_tags if tag in AREA_EPICS), NO_AREA)
