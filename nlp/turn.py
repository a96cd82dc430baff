"""One caller text as the verdict reads it: its words, hits and what that text alone says."""

from __future__ import annotations

from dataclasses import dataclass

from .hits import Hit
from .onset import TimeMatch
from .patient import PatientSaid, SpeciesSaid


@dataclass(slots=True)
class Turn:
    """A processed text; a memoised one is shared by threads and conversations, never changed."""

    words: list[str]
    text: str
    hits: list[Hit]  # collect() marks and widens these: verdicts get a fresh() copy
    times: tuple[TimeMatch, ...]  # time expressions, not yet read against the clock
    species: SpeciesSaid
    patient: PatientSaid

    def fresh(self) -> Turn:
        """The same turn with hits of its own, for one verdict to mark and widen."""
        hits = [h.copy() for h in self.hits]
        return Turn(self.words, self.text, hits, self.times, self.species, self.patient)
