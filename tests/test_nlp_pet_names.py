"""A pet named like a toxin ('my cat Lily'): a name when the caller talks about her, an exposure
whenever the text says anything of eating or of the plant, or says nothing more (safety first)."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlp import load_engine

NOW = datetime(2026, 11, 24, 22, 0)

# (text, disposition, toxin exposure?, the pet's name)
CASES: list[tuple[str, str, bool, str | None]] = [
    ("my cat Lily is scratching her ears", "routine", False, "Lily"),
    ("my cat Lily has been scratching at her ears since this evening", "routine", False, "Lily"),
    ("our kitten, Lily, is vomiting since an hour ago", "urgent", False, "Lily"),
    ("I have a cat named Lily and she is sneezing", "urgent", False, "Lily"),
    ("my cat lilly has a small lump on her side", "routine", False, "Lilly"),
    # any word of eating or of the plant keeps the exposure
    ("my cat ate a lily", "emergency", True, None),
    ("my cat lily ate some lily leaves", "emergency", True, "Lily"),
    ("my cat Lily chewed on the lilies in the vase", "emergency", True, "Lily"),
    ("my cat Lily has pollen on her face from the bouquet", "emergency", True, "Lily"),
    ("my cat licked lily pollen", "emergency", True, None),
    ("my cat lily", "emergency", True, "Lily"),  # nothing else said: read as the flower
    ("the lily is on the counter and my cat is scratching her ears", "emergency", True, None),
]


@pytest.mark.parametrize(("text", "disposition", "exposed", "name"), CASES)
def test_a_cat_named_lily(text: str, disposition: str, exposed: bool, name: str | None) -> None:
    v = load_engine().analyze([text], now=NOW)
    assert v.disposition == disposition
    assert any(e.agent == "lily" for e in v.exposures) is exposed
    assert v.patient.name == name
