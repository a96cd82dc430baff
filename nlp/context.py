"""The ConText component: negated / hypothetical / historical / other-animal / resolved scopes."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from .hits import Hit, hits_of
from .lexicon import Rule, load_words
from .scope import blocked
from .tokenizer import words_of

TARGETS = frozenset(
    {"SYM", "TOXIN", "OBJECT", "CONCERN", "SPECIES", "BREED", "CTX", "INTENT", "EXPO", "REPRO"}
)
MODIFIERS = frozenset(
    {"NEG", "HYPO", "HIST", "RESOLVED", "OTHER", "HEDGE", "CHRONIC", "WORSE", "NEGX"}
)
SUBJ_WORDS = load_words("SUBJ")
OWN_OBJECT = frozenset({"him", "her", "mine", "my", "our"})
OWN_WORDS = frozenset({"he", "she", "hes", "shes", "him", "her", "it"})
PEOPLE = frozenset({"daughter", "son", "husband", "wife", "kid", "kids", "boyfriend", "girlfriend",
                    "partner", "sister", "brother", "mom", "dad", "grandma", "grandpa", "friend",
                    "neighbor", "neighbors", "roommate", "person", "someone",
                    "somebody"})  # fmt: skip
NEG_WORDS = frozenset({"didnt", "hasnt", "wont", "not", "doesnt", "isnt", "never", "havent"})


@Language.component("nd_context", requires=["doc._.nd_hits"], assigns=["doc._.nd_hits"])
def context(doc: Doc) -> Doc:
    """ConText: mark targets negated / hypothetical / historical / other-animal / resolved ..."""
    hits = hits_of(doc)
    words = words_of(doc)
    stops: list[int] = []
    hard: list[int] = []
    punct: list[int] = []
    subj: list[int] = []  # a new subject ("... he is bleeding") ends a negation in speech
    own: list[int] = []
    targets: list[Hit] = []
    other = negation = False
    clause = 0
    for h in hits:
        label = h.label
        if label == "TERM":
            clause += 1
            stops.append(h.start)
            subj.append(h.start)
            if h.rule.data.get("hard"):
                hard.append(h.start)
            if words[h.start] in ".?!;":
                punct.append(h.start)
        elif label == "OWN":
            own.append(h.start)
        elif label == "OTHER":
            other = True
        elif label == "NEG":
            negation = True
        elif label in TARGETS:
            targets.append(h)
        h.clause = clause
    if negation:
        subj = sorted(subj + [i for i, w in enumerate(words) if w in SUBJ_WORDS])
    stop_sets = {"all": stops, "hard": hard, "punct": punct, "subj": subj}
    if other:  # pronouns for our own pet end an OTHER scope
        own = sorted(own + [i for i, w in enumerate(words) if w in OWN_WORDS])
    for trig in hits:
        label = trig.label
        if label not in MODIFIERS:
            if label in ("SEV", "REPEAT", "ONCE", "MILD"):
                _attach_quantity(trig, targets, hard)  # "bleeding and it won't stop"
            continue
        data = trig.rule.data
        default = "hard" if label == "RESOLVED" else "subj" if label == "NEG" else "all"
        ends = stop_sets[data.get("stops", default)]
        direction, window = trig.rule.direction, trig.rule.window
        applies = data.get("applies_to")
        if label == "NEGX":
            applies, label = ("TOXIN", "OBJECT"), "NEG"
        for t in targets:
            if applies is not None and t.label not in applies:
                continue
            if t.start >= trig.end and direction in ("fwd", "both"):
                if t.start - trig.end > window or blocked(ends, trig.end, t.start):
                    continue
                if label == "NEG":
                    t.neg_gap = min(t.neg_gap, t.start - trig.end)
                if label == "OTHER" and blocked(own, trig.end, t.start + 1):
                    continue
            elif t.end <= trig.start and direction in ("bwd", "both"):
                if trig.start - t.end > window or blocked(ends, t.end, trig.start):
                    continue
            elif not (label == "OTHER" and trig.start <= t.start and t.end <= trig.end):
                continue  # (an OTHER trigger also covers the animal inside it: "neighbors dog")
            if label == "OTHER" and not OWN_OBJECT.isdisjoint(t.words[t.start : t.end]):
                continue  # "the other dog grabbed him": our pet is the one hurt
            if label == "OTHER" and "trauma" in t.rule.tags and trig.words[trig.end - 1] in PEOPLE:
                continue  # "my son closed the door on him": a person did it, our pet is hurt
            t.mark(label)
            if label == "HYPO" and data.get("strong"):
                t.mark("HYPOX")  # "hypothetically ...": hypothetical whatever the verb tense
    _negated_ingestion(hits, targets)
    _blood_in(hits, hard)
    if any(h.label == "RECUR" for h in hits):
        _recurrence(doc, hits, words)
    _nothing_out(hits, words)
    return doc


# "nothing comes out" belongs to the nearest verb before it: pee, puke or poop.
OUT_CONTEXT = {
    **dict.fromkeys(("pee", "peeing", "pees", "peed", "urinate", "urinating", "urine", "litter",
                     "box", "tray", "wee", "piddle", "leg"), "urine"),
    **dict.fromkeys(("vomit", "vomiting", "vomits", "vomited", "puke", "puking", "puked", "barf",
                     "barfing", "throw", "throwing", "threw", "heave", "heaving", "heaves", "retch",
                     "retching", "gag", "gagging", "upchuck", "hurl", "hurling", "sick"), "vomit"),
    **dict.fromkeys(("poop", "pooping", "poo", "pooped", "defecate", "stool", "bm"), "stool"),
}  # fmt: skip
NOTHING_UP = Rule(id="concept.nothing_comes_up", label="SYM", code="retching",
                  tags=frozenset({"unproductive"}))  # fmt: skip
NOTHING_STOOL = Rule(id="concept.nothing_from_stool", label="SYM", code="constipation")


def _nothing_out(hits: list[Hit], words: list[str]) -> None:
    """'trying to puke but nothing comes out' is unproductive retching, not a blocked bladder."""
    for h in hits:
        if h.label != "SYM" or h.code != "unable_to_urinate" or "nothing" not in h.text.split():
            continue
        if not set(words[h.start : h.end]).isdisjoint(URINE_WORDS):
            continue  # the phrase itself names the urine
        near = None
        for i in range(h.start - 1, max(h.start - 12, -1), -1):
            near = OUT_CONTEXT.get(words[i])
            if near is not None:
                break
        if near == "vomit":
            h.rule, h.code = NOTHING_UP, NOTHING_UP.code
        elif near == "stool":
            h.rule, h.code = NOTHING_STOOL, NOTHING_STOOL.code


EPISODIC = frozenset({"seizure", "collapse", "vomiting", "diarrhea", "retching", "bleeding",
                      "tremors", "blood_in_vomit", "blood_in_stool"})  # fmt: skip
URINE_WORDS = frozenset({"pee", "urine", "urinate", "litter", "wee"})
STRUCK = frozenset({"HIST", "RESOLVED", "NEG", "HYPO"})
NOT_NOW = NEG_WORDS | {"no", "if", "might", "may", "could", "would", "in case", "prevent", "avoid"}


def _recurrence(doc: Doc, hits: list[Hit], words: list[str]) -> None:
    """'a seizure two years ago ... but tonight two in a row': a re-occurrence in a later clause
    asserts the last named episodic sign again, now (with its count)."""
    new: list[Hit] = []
    for r in hits:
        if r.label != "RECUR":
            continue
        last = None
        for h in hits:
            if h.label == "SYM" and h.end <= r.start and (h.code or "") in EPISODIC:
                last = h
        if last is None or not (last.mods & STRUCK) or last.clause >= r.clause:
            continue  # nothing to refer to, or the sign is already asserted in this clause
        before = words[max(r.start - 4, 0) : r.start]
        if not NOT_NOW.isdisjoint(before):
            continue  # "hasn't had another one since", "if he has another one"
        again = Hit(last.rule, r.start, r.end, words)
        again.span = (max(r.start - 2, 0), r.end)
        again.clause = r.clause
        n = [int(w) for w in words[max(r.start - 2, 0) : r.start] if w.isdigit()]
        again.count = max(n) if n else 2
        new.append(again)
    if new:
        hits.extend(new)
        hits.sort(key=lambda h: h.start)


BLOOD_IN = {"diarrhea": "blood_in_stool", "blood_in_stool": "blood_in_stool",
            "constipation": "blood_in_stool", "vomiting": "blood_in_vomit",
            "retching": "blood_in_vomit", "frequent_urination": "blood_in_urine"}  # fmt: skip


def _blood_in(hits: list[Hit], stops: list[int]) -> None:
    """'pooping water and there's a lot of blood in it': blood next to stool is blood in stool."""
    for h in hits:
        if h.label != "SYM" or h.code != "bleeding" or "NEG" in h.mods:
            continue
        for o in hits:
            code = BLOOD_IN.get(o.code or "") if o.label == "SYM" else None
            if code is None or "NEG" in o.mods:
                continue
            lo, hi = (o.end, h.start) if o.end <= h.start else (h.end, o.start)
            if hi - lo <= 10 and not blocked(stops, lo, hi):
                h.code = code
                break


def _negated_ingestion(hits: list[Hit], targets: list[Hit]) -> None:
    """'didn't eat any of the lilies': a negated eating phrase before an agent negates the agent."""
    for h in hits:
        if h.label != "SYM" or h.code != "not_eating" or h.text.split()[0] not in NEG_WORDS:
            continue
        for t in targets:
            near = 0 <= t.start - h.end <= 5 and t.clause == h.clause
            if near and t.label in ("TOXIN", "OBJECT"):
                t.mark("NEG")
                h.mark("DROP")


def _attach_quantity(q: Hit, targets: list[Hit], stops: list[int]) -> None:
    """Give a severity / repetition phrase to the nearest symptom in its clause."""
    best: Hit | None = None
    gap = q.rule.window + 1
    for t in targets:
        if t.label != "SYM":
            continue
        d = q.start - t.end if t.end <= q.start else t.start - q.end
        if d < 0 or d >= gap:
            continue
        lo, hi = (t.end, q.start) if t.end <= q.start else (q.end, t.start)
        if blocked(stops, lo, hi):
            continue
        best, gap = t, d
    if best is None:
        return
    if q.label != "MILD":
        best.span = (min(best.span[0], q.start), max(best.span[1], q.end))
    if q.label == "SEV":
        best.sev = True
    elif q.label == "MILD":
        best.mark("MILD")  # "bleeding a little": never the heavy kind
    elif q.label == "ONCE":
        best.count = best.count or 1
    else:  # "twice" is 2; "again", "keeps", "a few times": at least 2
        best.count = max(best.count or 0, q.rule.data.get("count", 2))
