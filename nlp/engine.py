"""The triage engine: a blank-English spaCy pipeline plus the disposition rules."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import components as _components  # noqa: F401  (registers nd_lexicon)
from . import context as _context  # noqa: F401  (registers nd_context)
from . import tokenizer as _tokenizer  # noqa: F401  (registers the tokenizer)
from .extract import collect
from .hits import hits_of
from .onset import Onset, OnsetParser
from .patient import patient_of, species_of
from .rules import LEVEL, RuleIndex, decide, load_dispositions
from .tokenizer import doc_text, words_of
from .verdict import Verdict

ACUTE_NOW = frozenset({"seizure", "collapse", "choking"})
ANSWERS = (("surgery", "no_surgery"), ("surgery", "post_op"))


def build_pipeline() -> Language:
    """spacy.blank("en") with the normalising tokenizer, the lexicon and the ConText component."""
    config = {"nlp": {"tokenizer": {"@tokenizers": "nightdesk.normalising_tokenizer.v1"}}}
    nlp = spacy.blank("en", config=config)
    # The rules match on ORTH only; skipping the per-word lexical attribute functions halves load.
    nlp.vocab.lex_attr_getters = {}  # type: ignore[attr-defined]
    nlp.add_pipe("nd_lexicon")
    nlp.add_pipe("nd_context")
    return nlp


OLD_INJURY_H = 48  # SPEC 2: acute is now or in the last 48 hours


class Engine:
    """Analyses a conversation (all caller turns so far) into a Verdict."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.onsets = OnsetParser()
        self.rules = RuleIndex(load_dispositions())
        self.known_words = _rule_words()
        self.procs = [proc for _name, proc in nlp.pipeline]

    def triage(self, text: str, *, now: datetime) -> Verdict:
        """Analyse one text (== analyze([text]))."""
        return self.analyze([text], now=now)

    def analyze(self, turns: Sequence[str], *, now: datetime) -> Verdict:
        """Analyse the whole conversation so far; a red flag in any turn counts."""
        return self.verdict([self._doc(t or "") for t in turns], now=now)

    def _doc(self, text: str) -> Doc:
        """Run the pipeline on one text (the tokenizer, then each component in order)."""
        doc = self.nlp.make_doc(text)
        for proc in self.procs:
            doc = proc(doc)
        return doc

    def pipe(self, texts: Iterable[str], *, now: datetime) -> Iterable[Verdict]:
        """One verdict per text (each text is its own conversation), batched."""
        for doc in self.nlp.pipe(texts, batch_size=256):
            yield self.verdict([doc], now=now)

    def verdict(self, docs: Sequence[Doc], *, now: datetime) -> Verdict:
        """Build the verdict from processed docs."""
        onset, latest = self._onset(docs, now)
        when = onset.text if onset else None
        # every time said is over a day ago: a resolved seizure, injury or exposure is not acute
        old = latest is not None and latest > 24
        found = collect(docs, old_onset=old)
        if old and found.exposures:
            found.facts["exposure_old"] = when or ""
        if latest is not None and latest > OLD_INJURY_H and "wound.trauma" in found.facts:
            found.add("wound.old", when or "")  # an injury days ago, still sore: not acute (SPEC 2)
        facts = found.facts
        species, breed = species_of(docs)
        patient = patient_of(docs, self.known_words)
        patient.breed = breed
        if species:
            facts.setdefault(f"species.{species}", species)
        if patient.sex:
            facts.setdefault(f"sex.{patient.sex}", patient.sex)
        for key in [k for k in facts if k.startswith("toxin_species:")]:
            if species in (None, key.split(":")[1]):
                facts.setdefault("toxin", facts[key])
        if onset is None and any(s.code in ACUTE_NOW and not s.negated for s in found.symptoms):
            onset = Onset("now", 0.0)
        said = any(len(d) for d in docs)
        if not said:
            facts["unclear"] = "(nothing)"  # silence or noise: never left at routine
        elif not found.symptoms and not found.exposures and _stammered(docs):
            facts.setdefault("unclear", " / ".join(doc_text(d) for d in docs))
        if "unclear" in facts and (found.symptoms or any(k.startswith("intent.") for k in facts)):
            del facts["unclear"]  # "the line is bad" said next to a clear request
        level, red_flags, reasons = decide(self.rules, facts)
        if not reasons and said:
            odd = self._unmapped(docs)
            if odd:  # SPEC 1: a sick pet described in words no rule knows -> the higher level
                facts["distress"] = odd
                level, red_flags, reasons = decide(self.rules, facts)
        concern = [k.split(".", 1)[1] for k in facts if k.startswith("concern.")]
        if concern and LEVEL[level] < LEVEL["urgent"]:
            level = "urgent"
        if not reasons:
            reasons = [f"{level}: nothing urgent was described [default.{level}]"]
        if found.exposures and when:
            found.exposures = [
                e.__class__(e.kind, e.agent, e.amount, when) for e in found.exposures
            ]
        sick = any(not s.negated for s in found.symptoms) or bool(found.exposures)
        return Verdict(
            disposition=level,
            red_flags=red_flags,
            symptoms=found.symptoms,
            onset=onset,
            species=species,
            patient=patient,
            exposures=found.exposures,
            flags=_flags(facts, patient.age, species),
            intent="sick_pet" if sick else _intent(facts),
            reasons=reasons,
            caller_concern=concern,
            counts=found.counts,
            answered=frozenset(t for t, f in ANSWERS if f in facts),
        )

    def _unmapped(self, docs: Sequence[Doc]) -> str | None:
        """Words about the pet that no rule knows ('hes grinding his teeth'), said as a present
        state and with no routine evidence (hypothetical, past, another animal, a question)."""
        for doc in docs:
            hits = hits_of(doc)
            if any(h.mods & QUIET or h.label in QUIET_LABELS for h in hits):
                return None
            words = words_of(doc)
            if "?" in words:
                return None
            known = self.known_words
            for i, w in enumerate(words[:-1]):
                if w not in STATE_VERBS:
                    continue
                for j in range(i + 1, min(i + 3, len(words))):
                    u = words[j]
                    if len(u) > 3 and u.isalpha() and u not in known and u not in PLAIN:
                        return " ".join(words[max(i - 1, 0) : j + 1])
        return None

    def _onset(self, docs: Sequence[Doc], now: datetime) -> tuple[Onset | None, float | None]:
        """(the start of the problem: the earliest time said, the most recent time said)."""
        best: Onset | None = None
        latest: float | None = None
        for doc in docs:
            for onset, _rule, _pos in self.onsets.find(doc_text(doc), now, words_of(doc)):
                if best is None or onset.hours > best.hours:
                    best = onset
                latest = onset.hours if latest is None else min(latest, onset.hours)
        return best, latest


def _stammered(docs: Sequence[Doc]) -> bool:
    """Broken-off speech ('its the the / she she'): a stammered word and little else said."""
    words = [w for d in docs for w in words_of(d)]
    repeats = sum(a == b and a.isalpha() for a, b in zip(words, words[1:], strict=False))
    return repeats >= 1 and len(words) <= 24


QUIET = frozenset({"HYPO", "HIST", "OTHER", "RESOLVED", "NEG"})
QUIET_LABELS = frozenset({"INTENT", "HYPO", "HIST", "OTHER", "RESOLVED"})
STATE_VERBS = frozenset({"keeps", "kept", "started", "starting", "wont", "cant", "seems", "looks",
                         "hes", "shes", "is", "been"})  # fmt: skip
PLAIN = frozenset({"really", "very", "just", "still", "kind", "kinda", "sort", "sorta", "acting",
                   "doing", "being", "getting", "going", "having", "there", "here", "this", "that",
                   "what", "with", "from", "about", "like", "them", "they", "some", "more", "much",
                   "also", "always", "ever", "even", "fine", "okay", "good", "great", "happy",
                   "normal", "totally", "completely", "perfectly", "super", "pretty", "quite",
                   "healthy", "eating", "drinking", "playing", "sleeping", "walking", "running",
                   "home", "outside", "inside", "asleep", "awake", "friendly", "shy",
                   "year", "years", "month", "months", "week", "weeks", "days", "old", "young",
                   "male", "female", "little", "cute", "due", "supposed", "gonna",
                   "wanna", "gotta", "trying", "wanting", "asking", "wondering", "thinking",
                   "because", "since", "when", "while", "after", "before", "until", "then",
                   "usually", "sometimes", "often", "lately", "recently", "today", "tonight",
                   "yesterday", "morning", "evening", "night", "afternoon", "back", "again",
                   "around", "ready", "booked", "scheduled", "covered", "insured", "registered",
                   "microchipped", "vaccinated", "fixed", "spayed", "neutered", "pregnant",
                   "losing", "gaining", "same", "usual", "himself", "herself", "itself",
                   "chewing", "licking", "scratching", "shedding", "growing",
                   "overdue", "allowed", "able", "free", "available", "open",
                   "closed"})  # fmt: skip


INTENTS = ("refill", "results", "billing", "appointment", "message_for_doctor", "other")


def _intent(facts: dict[str, str]) -> str:
    for name in INTENTS:
        if f"intent.{name}" in facts:
            return name
    return "other"


def _flags(facts: dict[str, str], age: float | None, species: str | None) -> list[str]:
    flags = []
    if any(k in facts for k in ("coughing", "sneezing")) or (
        "diarrhea" in facts and ("young" in facts or (age is not None and age < 0.5))
    ):
        flags.append("infectious")
    if "post_op" in facts or "incision_problem" in facts:
        flags.append("post_op")
    if "young" in facts or (age is not None and age < 0.5):
        flags.append("young")
    if "senior" in facts or (age is not None and age >= (10 if species == "cat" else 8)):
        flags.append("senior")
    if "pregnant" in facts:
        flags.append("pregnant")
    return flags


def _rule_words() -> frozenset[str]:
    """Words of the symptom/exposure/context rules: not pet names (breeds and species may be)."""
    from .lexicon import load_rules, vocabulary

    rules = [(r, p) for r, p in load_rules() if r.label not in ("BREED", "SPECIES", "SEX", "PART")]
    return frozenset(vocabulary(rules)[0])


@lru_cache(maxsize=1)
def load_engine() -> Engine:
    """The process-wide engine (built once; about half a second)."""
    engine = Engine(build_pipeline())
    gc.freeze()  # the lexicon lives for the process: keep it out of every GC pass
    return engine
