"""Turn matched, ConText-marked hits of every turn into symptoms, exposures and rule facts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .counts import count_near, said_count
from .hits import Hit
from .surgery import surgery_fact
from .tokenizer import join_words, load_jsonl
from .turn import Turn
from .verdict import Exposure, Symptom

HEAVY = frozenset({"heavy", "severe"})
NOT_OURS_NOW = frozenset({"HYPO", "HIST", "OTHER", "DROP"})
UNSURE = frozenset({"NEG", "HYPO", "HEDGE", "OTHER"})
AGENTS = frozenset({"TOXIN", "OBJECT"})
PAST_OR_OTHER = frozenset({"HIST", "OTHER", "DROP"})
NEG_HYPO_OTHER = frozenset({"NEG", "HYPO", "OTHER"})
NEG_OTHER = frozenset({"NEG", "OTHER"})
SITUATION = frozenset({"CTX", "CONCERN", "INTENT"})
GI = frozenset({"vomiting", "diarrhea", "retching", "seizure"})
PRESENT_VERBS = frozenset({"eat", "eats", "eating", "drinking", "licking", "chewing on"})
DETERMINERS = frozenset({"the", "my", "his", "her", "our", "their", "your", "of", "a", "an", "this",
                         "that", "these", "those", "some of the", "into", "in"})  # fmt: skip


FAMILY = {"bleeding": ("bleeding", "blood_in_stool", "blood_in_vomit", "blood_in_urine")}


def _strong(h: Hit) -> bool:
    """A mention a later 'no' does not undo: severe, tagged heavy, and not hedged."""
    return "HEDGE" not in h.mods and (h.sev or bool(h.rule.tags & HEAVY))


@dataclass(slots=True)
class CodeState:
    """Everything said about one symptom code over the conversation."""

    text: str
    hits: list[Hit] = field(default_factory=list)
    negated_text: str | None = None


@dataclass(slots=True)
class Findings:
    """Facts for the disposition rules, with the caller's words behind each one."""

    facts: dict[str, str] = field(default_factory=dict)
    symptoms: list[Symptom] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    hedged: set[str] = field(default_factory=set)
    denied: list[Hit] = field(default_factory=list)
    hedged_quotes: set[str] = field(default_factory=set)

    def add(self, fact: str, text: str | Hit) -> None:
        """Record a fact, keeping the first words that said it."""
        if fact not in self.facts:
            self.facts[fact] = text if isinstance(text, str) else text.text


def collect(turns: Sequence[Turn], old_onset: bool) -> Findings:
    """Aggregate the hits of every turn into findings (later turns may negate hedged ones).

    Marks and widens the turns' hits: give it hits no other verdict reads (Turn.fresh)."""
    out = Findings()
    states: dict[str, CodeState] = {}
    for turn in turns:
        hits: list[Hit] = turn.hits
        words = turn.words
        well = _well_again(hits)
        if well is not None:  # "threw up once ... hes totally fine now": earlier signs resolved
            # (red flags that count for 24 h, seizure, collapse, trauma, toxins, still count)
            for earlier in states.values():
                for x in earlier.hits:
                    x.mark("RESOLVED")
            for x in hits:
                if x.label == "SYM" and x.end <= well:
                    x.mark("RESOLVED")
        agents = negx = False
        sym_start = prev_end = -1
        sym_end = -1  # where the last symptom ended: "no diarrhea hes eating" is two clauses
        for h in hits:
            label = h.label
            if label != "SYM":
                if label in AGENTS or label == "EXPO":
                    agents = True
                elif label == "NEGX":
                    negx = True
                elif label in SITUATION:
                    _situation(h, out)
                continue
            code = h.code or ""
            if h.mods & NOT_OURS_NOW:
                continue
            st = states.get(code)
            # "eating fine" says no not_eating; "not her usual self" flips it back
            if h.start != sym_start:  # two rules on one span ("eating and drinking") share it
                sym_start, prev_end = h.start, sym_end
            flipped = "NEG" in h.mods and h.neg_gap <= 1 and prev_end != h.start
            sym_end = h.end
            healthy = h.rule.data.get("negated") and not flipped
            if healthy or ("NEG" in h.mods and not h.rule.data.get("negated")):
                rid = h.rule.id
                for fam in FAMILY.get(code, (code,)):
                    other = states.get(fam)
                    if other is not None:  # a later "no" corrects earlier, milder mentions
                        # ... of the same words ("not a hairball" does not undo "hacking")
                        other.hits = [x for x in other.hits if _strong(x) or x.rule.id != rid
                                      and fam == code and not healthy]  # fmt: skip
                if st is None:
                    states[code] = CodeState(h.text, [], h.text)
                else:
                    st.negated_text = st.negated_text or h.text
                if code != "blood_in_vomit" or healthy:
                    continue
                code, st = "vomiting", states.get("vomiting")  # "not vomiting blood": vomiting
            if code in GI:
                n = count_near(words, h)
                if n is not None:
                    h.count = max(h.count or 0, n)
            if st is None:
                states[code] = CodeState(h.text, [h])
            else:
                if not st.hits:
                    st.text = h.text
                st.hits.append(h)
        if agents or out.denied:
            _exposures(words, hits, out)
        if negx:  # "he didn't eat any" undoes an unsure exposure
            out.exposures = [e for e in out.exposures if e.agent not in out.hedged]
            for key in ("toxin", "object", "toxin_seen", "object_seen"):
                if out.facts.get(key) in out.hedged_quotes:
                    del out.facts[key]
    for code, st in states.items():
        if not st.hits:
            out.symptoms.append(Symptom(code, st.negated_text or st.text, True))
            out.add(f"{code}.denied", st.negated_text or st.text)  # "hes not straining"
            continue
        out.symptoms.append(Symptom(code, st.text, False))
        _code_facts(code, st.hits, out, old_onset)
    return out


WELL_AGAIN = frozenset({"resolved.gap", "combo.resolved"})


def _well_again(hits: list[Hit]) -> int | None:
    """Where the caller says the pet is well again, when no sign is named after that."""
    well = next((h.start for h in hits if h.rule.id in WELL_AGAIN), None)
    if well is None or any(
        h.label == "SYM" and h.asserted and "HEDGE" not in h.mods and h.start >= well for h in hits
    ):
        return None
    return well


def _code_facts(code: str, hits: list[Hit], out: Findings, old_onset: bool) -> None:
    """Facts for one asserted symptom code: code, code.current/resolved, counts, tags."""
    by_fact: dict[str, list[Hit]] = {}
    for h in hits:
        by_fact.setdefault(h.rule.data.get("fact", code), []).append(h)
    for name, hs in by_fact.items():
        text = hs[0].text
        out.add(name, text)
        resolved = all("RESOLVED" in h.mods for h in hs)
        out.add(f"{name}.resolved" if resolved else f"{name}.current", text)
        if resolved and (old_onset or all("OLD" in h.mods for h in hs)):
            out.add(f"{name}.old", text)
        if all("CHRONIC" in h.mods and "WORSE" not in h.mods for h in hs):
            out.add(f"{name}.chronic", text)
        counts = [h.count for h in hs if h.count]
        n = max(counts) if counts else None
        said = [c for c in (said_count(h) for h in hs if h.count) if c]
        if said:
            out.counts[code] = max(max(said), out.counts.get(code, 0))
        counted = max(hs, key=lambda h: h.count or 0).quote
        if n is not None and n >= 4:
            out.add(f"{name}.many", counted)
        elif n is not None and n >= 2:
            out.add(f"{name}.repeated", counted)
        if resolved and (n is None or n == 1) and code in GI:
            out.add(f"{name}.minor", text)
        for h in hs:
            mild = "MILD" in h.mods
            if h.sev and not mild:
                out.add(f"{name}.severe", h.quote)
            for tag in h.rule.tags:
                if mild and tag in ("heavy", "severe"):
                    continue
                out.add(f"{name}.{tag}", h.text)
                if tag == "minor" and "RESOLVED" not in h.mods:
                    out.add(f"{name}.minor", h.text)


def _verb_near(hits: list[Hit], h: Hit) -> Hit | None:
    """The exposure verb ('ate', 'got into') before (or just after) an agent, same clause."""
    best = None
    for v in hits:
        if v.label != "EXPO":
            continue
        if "implied" in v.rule.tags and v.start >= h.end and v.start - h.end <= 12:
            return best or v  # "the string ... a bunch of it is gone": swallowed, implied
        if v.clause != h.clause:
            continue
        before = v.end <= h.start and h.start - v.end <= 7
        after = v.start >= h.end and v.start - h.end <= 4 and best is None
        if before or after:
            best = v
    return best


PRONOUNS = frozenset({"it", "them", "some", "one", "the", "a", "part", "half", "all"})


def _revives(words: list[str], verb: Hit) -> bool:
    """'he definitely ate some of it': an asserted, pronoun-object ingestion."""
    if verb.mods & UNSURE or verb.text in PRESENT_VERBS:
        return False
    nxt = join_words(words, verb.end, verb.end + 1)
    return nxt in PRONOUNS or verb.end == len(words)


def _exposures(words: list[str], hits: list[Hit], out: Findings) -> None:
    """Toxins and swallowed objects from TOXIN / OBJECT hits."""
    for h in hits:
        if h.label == "EXPO" and out.denied and _revives(words, h):
            for agent_hit in out.denied:  # "no wait ... he definitely ate some of it"
                agent_hit.mods = agent_hit.mods - {"NEG"}
                _add_exposure(words, agent_hit, None, out)
            out.denied.clear()
        if h.label not in AGENTS or h.mods & PAST_OR_OTHER:
            continue
        if "NEG" in h.mods:
            out.denied.append(h)
            continue
        verb = _verb_near(hits, h)
        past = verb is not None and not _present(verb.text)
        if "HYPO" in h.mods and (not past or "HYPOX" in h.mods):
            continue
        if verb is None and (h.label == "OBJECT" or h.rule.data.get("needs_verb")):
            continue
        _add_exposure(words, h, verb, out)


BASE_VERBS = frozenset({"eat", "drink", "get", "swallow", "lick", "chew", "take", "find", "have"})


def _present(verb: str) -> bool:
    """'gets into', 'eats', 'eating', 'eat': not (yet) a past ingestion."""
    first = verb.split()[0]
    if first in ("has", "had", "was"):
        return False  # "has eaten": a perfect, it happened
    return (verb in PRESENT_VERBS or first in BASE_VERBS or first.endswith("ing")
            or (first.endswith("s") and not first.endswith("ss")))  # fmt: skip


def _add_exposure(words: list[str], h: Hit, verb: Hit | None, out: Findings) -> None:
    """Record one exposure with its agent, amount and the caller's words."""
    amount = None
    if verb is not None and verb.end <= h.start:
        between = words[verb.end : h.start]
        while between and between[-1] in DETERMINERS:
            between.pop()
        while between and between[0] in ("the", "my", "his", "her", "into", "in"):
            between.pop(0)
        amount = " ".join(between) or None
    start = verb.start if verb and verb.end <= h.start else h.start
    quote = join_words(words, _feared_from(words, start), h.end)
    kind = "toxin" if h.label == "TOXIN" else "object"
    agent = h.rule.data.get("agent") or h.text
    if kind == "object":
        agent = h.text
    if any(e.agent == agent for e in out.exposures):
        return
    out.exposures.append(Exposure(kind, agent, amount, None))
    if "HEDGE" in h.mods or verb is None or "hedge" in verb.rule.tags:  # a denial undoes these
        out.hedged.add(agent)
        out.hedged_quotes.add(quote)
    only = h.rule.data.get("species")
    out.add(f"{kind}_seen", quote)
    out.add(h.rule.data.get("fact") or (f"{kind}_species:{only}" if only else kind), quote)


FEARED: dict[str, list[tuple[str, ...]]] = {}  # the owner's worry words, by their first word
for _row in load_jsonl("context.jsonl"):
    for _p in _row["words"] if _row.get("label") == "FEARED" else ():
        FEARED.setdefault(_p.split()[0], []).append(tuple(_p.split()))
FEAR_SCOPE = 5  # words between the owner's worry and the exposure it is about
CLAUSE_END = frozenset({".", ",", "?", "!", ";", "and", "but", "so", "because"})


def _feared_from(words: list[str], start: int) -> int:
    """Where an exposure's quote starts: at the owner's worry or guess just before it ('im worried
    he ate', 'i think she got into'), in the same clause; else at the exposure's own words."""
    lo = start
    while lo > max(start - FEAR_SCOPE, 0) and words[lo - 1] not in CLAUSE_END:
        lo -= 1
    for i in range(lo, start):
        if any(tuple(words[i : i + len(p)]) == p for p in FEARED.get(words[i], ())):
            return i
    return start


def _situation(h: Hit, out: Findings) -> None:
    """Situation, concern and intent facts."""
    label = h.label
    if label == "CTX" and not h.mods & NEG_HYPO_OTHER:
        fact = surgery_fact(h) if h.rule.data.get("dated") else h.rule.data["fact"]
        if fact is not None:
            out.add(fact, h)
    elif label == "CONCERN" and not h.mods & NEG_OTHER:
        after = h.words[h.end] if h.end < len(h.words) else ""
        before = h.words[h.start - 1] if h.start > 0 else ""
        if after not in h.rule.data.get("not_before", ()) and before not in h.rule.data.get(
            "not_after", ()
        ):  # "emergency surgery", "i'm dying lol", "bring her in sometime" are no claim
            out.add(f"concern.{h.rule.data['concern']}", h)
    elif label == "INTENT" and not h.mods & NEG_OTHER:
        out.add(f"intent.{h.rule.data['intent']}", h)
