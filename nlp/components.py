"""The phrase lexicon component: PhraseMatcher over normalised words, plus co-occurrence rules."""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .hits import Hit
from .lexicon import Rule, expand, load_combos, load_rules, vocabulary
from .scope import blocked
from .tokenizer import NormalisingTokenizer, words_of


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
            if rule.label in PLURALS:  # "my 2 yorkies", "both shih tzus": plural breed words
                seqs |= {s[:-1] + (w,) for s in list(seqs) for w in _plurals(s[-1])}
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
        hits = [h for h in hits if not _a_pets_name(h, hits, words)]
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
        qty = [(x.start, x.end) for x in hits if x.label in QUANTITY and x.end - x.start > 1]
        out: list[Hit] = []
        for cid in sorted({k.partition("#")[0] for k in parts}):
            heads, withs = parts.get(cid + "#head"), parts.get(cid + "#with")
            if not heads or not withs:
                continue
            rule = self.combos[cid]
            gap = rule.data["window"]
            for a_start, a_end in heads:
                if any(s <= a_start and a_end <= e for s, e in qty):
                    continue  # "bled a bit": a quantity, not a bite
                for b_start, b_end in withs:
                    if b_start and words[b_start - 1] in NEGATORS:
                        continue  # "a scuffle, no wounds": the 'with' part is ruled out
                    lo_end, hi_start = min(a_end, b_end), max(a_start, b_start)
                    if lo_end > hi_start or hi_start - lo_end > gap:
                        continue
                    if blocked(punct, lo_end, hi_start):
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
QUANTITY = frozenset({"MILD", "ONCE", "SEV", "REPEAT"})
NEGATORS = frozenset({"no", "not", "without", "never", "nobody", "none"})
PLURALS = frozenset({"BREED", "SPECIES"})


def _plurals(word: str) -> tuple[str, ...]:
    """Plural spellings of a breed or species word (possessive apostrophes are already gone)."""
    if not word.isalpha() or len(word) < 3:
        return ()
    if word.endswith("y") and word[-2] not in "aeiou":
        return (word + "s", word[:-1] + "ies")
    return (word + "s", word + "es")


# Among equally long overlapping phrases, what the caller describes wins over modifiers.
FIRST = frozenset({"SYM", "TOXIN", "OBJECT", "BREED", "SPECIES", "CONCERN"})


OWNERS = frozenset({"my", "our"})


def _a_pets_name(h: Hit, hits: list[Hit], words: list[str]) -> bool:
    """'my cat Lily is itchy': an agent word (rule data `name_like`) that is the pet's name, right
    after the caller's species word or 'named'/'called', in a text with none of the rule's
    `not_a_name_with` words (eating, the plant): with any of them it stays an exposure."""
    names = h.rule.data.get("name_like")
    if not names or h.end - h.start != 1 or words[h.start] not in names:
        return False
    i = h.start
    if not any(w.isalpha() for w in words[i + 1 :]):
        return False  # "my cat lily" and nothing more about her: read as the flower (safety)
    j = i - 1 if i > 0 and words[i - 1] == "," else i
    owned = any(
        s.label == "SPECIES"
        and s.end == j
        and OWNERS.intersection(words[max(s.start - 2, 0) : s.start])
        for s in hits
    )
    if not owned and not (i > 0 and words[i - 1] in ("named", "called")):
        return False
    cues = h.rule.data.get("not_a_name_with", ())
    return not any(w in cues for w in words)
