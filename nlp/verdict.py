"""The verdict: what the engine decided and extracted (SPEC section 5 and 6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .onset import Onset
from .summary import summarise

TOPICS = ("species_name", "onset", "eating_drinking", "peeing_pooping", "behaviour", "surgery")
EATING = frozenset({"not_eating", "not_drinking", "excessive_thirst"})
PEEING = frozenset({"straining_to_urinate", "unable_to_urinate", "frequent_urination",
                    "blood_in_urine", "constipation", "diarrhea", "blood_in_stool"})  # fmt: skip
BEHAVIOUR = frozenset({"lethargy", "weakness", "collapse", "disoriented", "behavior_change",
                       "seizure", "unable_to_stand", "paralysis", "pain", "tremors"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Symptom:
    """A symptom code with the caller's words; negated when the caller ruled it out."""

    code: str
    text: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Exposure:
    """A toxin or swallowed object."""

    kind: str
    agent: str
    amount: str | None = None
    when: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What raised a red flag: `clear` (plainly, now, this pet) or `doubtful` (and why)."""

    code: str
    strength: str
    text: str
    why: str = ""


@dataclass(slots=True)
class Patient:
    """Patient details said by the caller (age in years, weight in kg)."""

    name: str | None = None
    age: float | None = None
    sex: str | None = None
    repro: str | None = None
    breed: str | None = None
    weight: float | None = None


@dataclass(slots=True)
class Verdict:
    """Disposition, red flags, extracted facts and the reasons, for one conversation."""

    disposition: str = "routine"
    red_flags: list[str] = field(default_factory=list)
    symptoms: list[Symptom] = field(default_factory=list)
    onset: Onset | None = None
    species: str | None = None
    patient: Patient = field(default_factory=Patient)
    exposures: list[Exposure] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    intent: str = "other"
    reasons: list[str] = field(default_factory=list)
    caller_concern: list[str] = field(default_factory=list)
    red_flag_evidence: list[Evidence] = field(default_factory=list)
    fallback: str = "routine"  # the disposition if every red flag were ruled out
    counts: dict[str, int] = field(default_factory=dict)  # episodes said ("3 times"), for CSRs
    answered: frozenset[str] = frozenset()  # topics covered without a symptom ("no surgery")

    def to_dict(self) -> dict[str, Any]:
        """The JSON verdict of SPEC section 6."""
        return {
            "disposition": self.disposition,
            "red_flags": list(self.red_flags),
            # flat dicts by hand: dataclasses.asdict deep-copies, and this runs on every webhook
            "symptoms": [_flat(s) for s in self.symptoms],
            "onset": {"text": self.onset.text, "hours": self.onset.hours} if self.onset else None,
            "species": self.species,
            "patient": _flat(self.patient),
            "exposures": [_flat(e) for e in self.exposures],
            "flags": list(self.flags),
            "intent": self.intent,
            "reasons": list(self.reasons),
            "caller_concern": list(self.caller_concern),
            "red_flag_evidence": [_flat(e) for e in self.red_flag_evidence],
            "fallback": self.fallback,
        }

    def unknowns(self) -> list[str]:
        """Topics the caller has not covered yet, in the order a CSR asks them."""
        codes = {s.code for s in self.symptoms} | self.answered
        known = {
            "species_name": self.species is not None and self.patient.name is not None,
            "onset": self.onset is not None,
            "eating_drinking": bool(codes & EATING) or "eating_drinking" in codes,
            "peeing_pooping": bool(codes & PEEING) or "peeing_pooping" in codes,
            "behaviour": bool(codes & BEHAVIOUR) or "behaviour" in codes,
            "surgery": "post_op" in self.flags or "surgery" in codes,
        }
        return [t for t in TOPICS if not known[t]]

    def summary(self) -> str:
        """One plain sentence for a CSR: who, the red flags in the caller's words, what else, since
        when, and what the caller asked (nlp/summary.py)."""
        return summarise(self)


def _flat(obj: Any) -> dict[str, Any]:
    """A slotted dataclass of plain fields as a dict (what asdict gives, without the copying)."""
    return {name: getattr(obj, name) for name in obj.__slots__}
