"""Scope helper shared by the components."""

from __future__ import annotations

from bisect import bisect_left


def blocked(stops: list[int], lo: int, hi: int) -> bool:
    """True when a scope terminator starts in [lo, hi)."""
    i = bisect_left(stops, lo)
    return i < len(stops) and stops[i] < hi
