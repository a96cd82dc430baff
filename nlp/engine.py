"""The triage engine: a blank-English spaCy pipeline plus the disposition rules."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import components as _components  # noqa: F401  (registers nd_lexicon)
from . import context as _context  # noqa: F401  (registers nd_context)
from . import tokenizer as _tokenizer  # noqa: F401  (registers the tokenizer)
from .evidence import deny, strength_of, weigh
from .extract import collect
from .hits import hits_of, settle
from .onset import Onset, OnsetParser, onsets_at
from .patient import patient_of, patient_said, species_of, species_said
from .rules import LEVEL, RuleIndex, decide, load_dispositions
from .tokenizer import doc_text, load_jsonl, words_of
from .turn import Turn
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
MEMO_SIZE = 4096  # texts analyze() keeps processed: each webhook re-sends every earlier turn


class Engine:
    """Analyses a conversation (all caller turns so far) into a Verdict."""

    def __init__(self, nlp: Language, *, memo_size: int = MEMO_SIZE) -> None:
        self.nlp = nlp
        self.onsets = OnsetParser()
        self.rules = RuleIndex(load_dispositions())
        self.known_words = _rule_words()
        self.procs = [proc for _name, proc in nlp.pipeline]
        # text -> Turn, an LRU (thread-safe); the Turns in it are shared and never changed
        self.memo = lru_cache(maxsize=memo_size)(self._parse)

    def triage(self, text: str, *, now: datetime) -> Verdict:
        """Analyse one text (the verdict of analyze([text]); a one-off, so not memoised)."""
        return self.verdict([self._doc(text or "")], now=now)

    def analyze(
        self, turns: Sequence[str], *, now: datetime, denied: Mapping[str, int] | None = None
    ) -> Verdict:
        """Analyse the whole conversation so far; a red flag in any turn counts.

        `denied`: red flags the caller said did not happen when asked ("did Oreo eat any
        chocolate?" "no"), each with the number of turns said by then: the words of those turns
        that raised it no longer count (later words do)."""
        memo = self.memo
        # memoised turns are shared: this verdict marks and widens hits of its own (fresh)
        fresh = [memo(t or "").fresh() for t in turns]
        if denied:
            for i, turn in enumerate(fresh):
                codes = frozenset(code for code, upto in denied.items() if i < upto)
                if codes:
                    deny(turn.hits, codes)
        return self._verdict(fresh, now)

    def _parse(self, text: str) -> Turn:
        """One text through the pipeline and what it says alone (memoised by self.memo)."""
        turn = self._turn(self._doc(text))
        settle(turn.hits)  # nothing left to fill in later, when threads share the hits
        return turn

    def _turn(self, doc: Doc) -> Turn:
        """A processed doc as the verdict reads it (its hits are the doc's own, not copies)."""
        words, text, hits = words_of(doc), doc_text(doc), hits_of(doc)
        weigh(words, hits)
        return Turn(
            words,
            text,
            hits,
            self.onsets.matches(words),
            species_said(hits),
            patient_said(text, words, hits, self.known_words),
        )

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
        """Build the verdict from processed docs (it marks their hits: one verdict per doc)."""
        return self._verdict([self._turn(d) for d in docs], now)

    def _verdict(self, turns: Sequence[Turn], now: datetime) -> Verdict:
        """Build the verdict from processed turns whose hits no other verdict reads."""
        onset, latest = self._onset(turns, now)
        when = onset.text if onset else None
        # every time said is over a day ago: a resolved seizure, injury or exposure is not acute
        old = latest is not None and latest > 24
        found = collect(turns, old_onset=old)
        if old and found.exposures:
            found.facts["exposure_old"] = when or ""
        if latest is not None and latest > OLD_INJURY_H and "wound.trauma" in found.facts:
            found.add("wound.old", when or "")  # an injury days ago, still sore: not acute (SPEC 2)
        facts = found.facts
        species, breed = species_of([t.species for t in turns])
        patient = patient_of([t.patient for t in turns])
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
        said = any(t.words for t in turns)
        if not said:
            facts["unclear"] = "(nothing)"  # silence or noise: never left at routine
        elif not found.symptoms and not found.exposures and _stammered(turns):
            facts.setdefault("unclear", " / ".join(t.text for t in turns))
        if "unclear" in facts and (found.symptoms or any(k.startswith("intent.") for k in facts)):
            del facts["unclear"]  # "the line is bad" said next to a clear request
        decision = decide(self.rules, facts)
        if not decision.reasons and said:
            odd = self._unmapped(turns)
            if odd:  # SPEC 1: a sick pet described in words no rule knows -> the higher level
                facts["distress"] = odd
                decision = decide(self.rules, facts)
        level, red_flags, reasons = decision.level, decision.red_flags, decision.reasons
        fallback = decision.fallback
        concern = [k.split(".", 1)[1] for k in facts if k.startswith("concern.")]
        if concern and LEVEL[level] < LEVEL["urgent"]:
            level = "urgent"
        if concern and LEVEL[fallback] < LEVEL["urgent"]:
            fallback = "urgent"
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
            red_flag_evidence=strength_of(red_flags, decision.quotes, turns),
            fallback=fallback if red_flags else level,
            caller_concern=concern,
            counts=found.counts,
            answered=frozenset(t for t, f in ANSWERS if f in facts),
        )

    def _unmapped(self, turns: Sequence[Turn]) -> str | None:
        """Words about the pet that no rule knows ('hes grinding his teeth'), said as a present
        state and with no routine evidence (hypothetical, past, another animal, a question)."""
        for turn in turns:
            hits = turn.hits
            if any(h.mods & QUIET or h.label in QUIET_LABELS for h in hits):
                return None
            words = turn.words
            if "?" in words:
                return None
            known = self.known_words
            state_verbs, plain = _unmapped_words()
            for i, w in enumerate(words[:-1]):
                if w not in state_verbs:
                    continue
                for j in range(i + 1, min(i + 3, len(words))):
                    u = words[j]
                    if len(u) > 3 and u.isalpha() and u not in known and u not in plain:
                        return " ".join(words[max(i - 1, 0) : j + 1])
        return None

    def _onset(self, turns: Sequence[Turn], now: datetime) -> tuple[Onset | None, float | None]:
        """(the start of the problem: the earliest time said, the most recent time said)."""
        best: Onset | None = None
        latest: float | None = None
        for turn in turns:
            if not turn.times:
                continue
            for onset, _rule, _pos in onsets_at(turn.times, now):
                if best is None or onset.hours > best.hours:
                    best = onset
                latest = onset.hours if latest is None else min(latest, onset.hours)
        return best, latest


def _stammered(turns: Sequence[Turn]) -> bool:
    """Broken-off speech ('its the the / she she'): a stammered word and little else said."""
    words = [w for t in turns for w in t.words]
    repeats = sum(a == b and a.isalpha() for a, b in zip(words, words[1:], strict=False))
    return repeats >= 1 and len(words) <= 24


QUIET = frozenset({"HYPO", "HIST", "OTHER", "RESOLVED", "NEG"})
QUIET_LABELS = frozenset({"INTENT", "HYPO", "HIST", "OTHER", "RESOLVED"})


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
    """Words of the symptom/exposure/context rules: not pet names (breeds and species may be),
    except the rules' `name_like` words ('my cat Lily': see components._a_pets_name)."""
    from .lexicon import load_rules, vocabulary

    all_rules = load_rules()
    rules = [(r, p) for r, p in all_rules if r.label not in ("BREED", "SPECIES", "SEX", "PART")]
    names = {w for r, _p in all_rules for w in r.data.get("name_like", ())}
    return frozenset(vocabulary(rules)[0]) - names


@lru_cache(maxsize=1)
def load_engine() -> Engine:
    """The process-wide engine (built once; about half a second)."""
    engine = Engine(build_pipeline())
    gc.freeze()  # the lexicon lives for the process: keep it out of every GC pass
    return engine


@lru_cache(maxsize=1)
def _unmapped_words() -> tuple[frozenset[str], frozenset[str]]:
    """patterns/unmapped.jsonl: the state verbs, and the plain words that are never a sign."""
    rows = {r["id"]: frozenset(r["words"]) for r in load_jsonl("unmapped.jsonl")}
    return rows["unmapped.state_verbs"], rows["unmapped.plain"]
