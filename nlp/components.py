"""The two pipeline components: the phrase lexicon matcher and the ConText-style modifier."""

from __future__ import annotations

from bisect import bisect_left

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .lexicon import Rule, expand, load_combos, load_rules, load_words, vocabulary
from .tokenizer import NormalisingTokenizer, words_of

TARGETS = frozenset(
    {"SYM", "TOXIN", "OBJECT", "CONCERN", "SPECIES", "BREED", "CTX", "INTENT", "EXPO", "REPRO"}
)
MODIFIERS = frozenset(
    {"NEG", "HYPO", "HIST", "RESOLVED", "OTHER", "HEDGE", "CHRONIC", "WORSE", "NEGX"}
)
SUBJ_WORDS = load_words("SUBJ")
OWN_OBJECT = frozenset({"him", "her", "mine", "my", "our"})
OWN_WORDS = frozenset({"he", "she", "hes", "shes", "him", "her", "it"})
NEG_WORDS = frozenset({"didnt", "hasnt", "wont", "not", "doesnt", "isnt", "never", "havent"})

if not Doc.has_extension("nd_hits"):
    Doc.set_extension("nd_hits", getter=lambda doc: doc.user_data.get("nd_hits"))


def hits_of(doc: Doc) -> list[Hit]:
    """The hits the components assigned (doc._.nd_hits, read without the underscore proxy)."""
    hits: list[Hit] = doc.user_data["nd_hits"]
    return hits


class Hit:
    """One matched rule in one doc, with the ConText modifiers that apply to it."""

    __slots__ = ("rule", "label", "code", "start", "end", "words", "mods", "sev", "count", "clause",
                 "neg_gap")  # fmt: skip

    def __init__(self, rule: Rule, start: int, end: int, words: list[str]) -> None:
        self.rule = rule
        self.label = rule.label
        self.code = rule.code
        self.start = start
        self.end = end
        self.words = words
        self.mods: set[str] = set()
        self.sev = False
        self.count: int | None = None
        self.clause = 0
        self.neg_gap = 99  # words between this hit and the nearest negation before it

    @property
    def text(self) -> str:
        """The caller's (normalised) words."""
        return " ".join(self.words[self.start : self.end]).replace(" ,", ",")

    def __repr__(self) -> str:
        return f"Hit({self.rule.id!r}, {self.text!r}, {sorted(self.mods)})"

    @property
    def asserted(self) -> bool:
        """Present in the caller's own pet now: not negated, hypothetical, past or another's."""
        return not (self.mods & {"NEG", "HYPO", "HIST", "OTHER"})


class LexiconMatcher:
    """Finds every phrase rule (PhraseMatcher on the normalised words); longest wins per layer."""

    def __init__(self, nlp: Language) -> None:
        self.rules: dict[int, Rule] = {}
        self.combos = load_combos()
        self.priority: dict[int, int] = {}
        self.matcher = PhraseMatcher(nlp.vocab)
        rules = load_rules()
        tok = nlp.tokenizer
        if isinstance(tok, NormalisingTokenizer):
            tok.normaliser.add_vocabulary(*vocabulary(rules))
            norm = tok.normaliser
        else:  # pragma: no cover - the engine always installs the normalising tokenizer
            raise TypeError("nd_lexicon needs the nightdesk normalising tokenizer")
        vocab = nlp.vocab
        strings = vocab.strings
        for rule, phrases in rules:
            key = vocab.strings.add(rule.id)
            self.rules[key] = rule
            self.priority[key] = 0 if rule.label in FIRST else 1
            seqs = {tuple(s) for p in phrases for s in expand(p, norm)}
            # ORTH hashes, as spaCy's own matcher unpickling passes them: no Doc per phrase.
            hashes: list = [tuple(strings.add(w) for w in s) for s in seqs]
            self.matcher.add(rule.id, hashes)

    def __call__(self, doc: Doc) -> Doc:
        prio = self.priority
        found = [(s - e, prio[k], s, k, e) for k, s, e in self.matcher(doc)]
        found.sort()
        words = words_of(doc)
        n = len(words)
        taken: dict[int, bytearray] = {}
        hits: list[Hit] = []
        parts: dict[str, list[tuple[int, int]]] = {}
        rules = self.rules
        spans: set[tuple[int, int, int]] = set()
        for _len, _prio, start, key, end in found:
            rule = rules[key]
            layer = rule.layer
            if layer < 0:
                parts.setdefault(rule.id, []).append((start, end))
                continue
            used = taken.get(layer)
            if used is None:
                used = taken[layer] = bytearray(n)
            if used.find(1, start, end) >= 0:
                if (layer, start, end) not in spans:  # the same span may carry two rules
                    continue
            else:
                used[start:end] = ONES[: end - start]
                spans.add((layer, start, end))
            hits.append(Hit(rule, start, end, words))
        if parts:
            hits += self._combine(words, hits, parts)
        hits.sort(key=lambda h: h.start)
        doc.user_data["nd_hits"] = hits
        return doc

    def _combine(
        self, words: list[str], hits: list[Hit], parts: dict[str, list[tuple[int, int]]]
    ) -> list[Hit]:
        """Hits of the co-occurrence rules: head and 'with' phrases close together."""
        punct = [h.start for h in hits if h.label == "TERM" and words[h.start] in ".?!;"]
        syms = [x for x in hits if x.label == "SYM"]
        out: list[Hit] = []
        for cid in {k.partition("#")[0] for k in parts}:
            heads, withs = parts.get(cid + "#head"), parts.get(cid + "#with")
            if not heads or not withs:
                continue
            rule = self.combos[cid]
            gap = rule.data["window"]
            for a_start, a_end in heads:
                for b_start, b_end in withs:
                    lo_end, hi_start = min(a_end, b_end), max(a_start, b_start)
                    if lo_end > hi_start or hi_start - lo_end > gap:
                        continue
                    if _blocked(punct, lo_end, hi_start):
                        continue
                    if any(x.code != rule.code and x.start <= a_start and a_end <= x.end
                           for x in syms):  # fmt: skip
                        continue  # the head word belongs to another symptom ("bad breath")
                    start, end = min(a_start, b_start), max(a_end, b_end)
                    if rule.label == "SYM" and any(x.code == rule.code and rule.tags <= x.rule.tags
                           and x.start < end and start < x.end for x in syms):  # fmt: skip
                        continue
                    out.append(Hit(rule, start, end, words))
                    break
                else:
                    continue
                break
        return out


@Language.factory("nd_lexicon", assigns=["doc._.nd_hits"])
def make_lexicon(nlp: Language, name: str) -> LexiconMatcher:
    """Phrase rules from nlp/patterns/*.jsonl."""
    return LexiconMatcher(nlp)


ONES = b"\x01" * 256
# Among equally long overlapping phrases, what the caller describes wins over modifiers.
FIRST = frozenset({"SYM", "TOXIN", "OBJECT", "BREED", "SPECIES", "CONCERN"})


def _blocked(stops: list[int], lo: int, hi: int) -> bool:
    """True when a scope terminator starts in [lo, hi)."""
    i = bisect_left(stops, lo)
    return i < len(stops) and stops[i] < hi


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
                if t.start - trig.end > window or _blocked(ends, trig.end, t.start):
                    continue
                if label == "NEG":
                    t.neg_gap = min(t.neg_gap, t.start - trig.end)
                if label == "OTHER" and _blocked(own, trig.end, t.start + 1):
                    continue
            elif t.end <= trig.start and direction in ("bwd", "both"):
                if trig.start - t.end > window or _blocked(ends, t.end, trig.start):
                    continue
            elif not (label == "OTHER" and trig.start <= t.start and t.end <= trig.end):
                continue  # (an OTHER trigger also covers the animal inside it: "neighbors dog")
            if label == "OTHER" and not OWN_OBJECT.isdisjoint(t.words[t.start : t.end]):
                continue  # "the other dog grabbed him": our pet is the one hurt
            t.mods.add(label)
    _negated_ingestion(hits, targets)
    _blood_in(hits, hard)
    return doc


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
            if hi - lo <= 10 and not _blocked(stops, lo, hi):
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
                t.mods.add("NEG")
                h.mods.add("DROP")


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
        if _blocked(stops, lo, hi):
            continue
        best, gap = t, d
    if best is None:
        return
    if q.label == "SEV":
        best.sev = True
    elif q.label == "MILD":
        best.mods.add("MILD")  # "bleeding a little": never the heavy kind
    elif q.label == "ONCE":
        best.count = best.count or 1
    else:
        best.count = max(best.count or 0, 2)
