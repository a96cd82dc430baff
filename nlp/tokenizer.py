"""A normalising tokenizer: lowercases, expands SMS shorthand, fixes common typos, drops fillers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from pathlib import Path

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

PATTERNS = Path(__file__).parent / "patterns"
_TOKEN_RE = re.compile(r"\d+(?:[.:]\d+)?|[a-z]+(?:'[a-z]+)*|[.,!?;]")
_NO_SPACE_BEFORE = frozenset(".,!?;")
MAX_WORD = 30
_TENS = frozenset({"20", "30", "40", "50", "60", "70", "80", "90"})
_UNITS = frozenset("123456789")
COMMON = frozenset({"wont", "can", "cant", "hasnt", "really", "not", "to", "a", "is", "be", "been",
                    "no", "the", "his", "her", "it", "he", "she", "even", "quite"})  # fmt: skip


def _merge_tens(words: list[str]) -> list[str]:
    """'forty five' -> 45 (number words are digits by now: 40 5 -> 45)."""
    out: list[str] = []
    for w in words:
        if w in _UNITS and out and out[-1] in _TENS:
            out[-1] = str(int(out[-1]) + int(w))
        else:
            out.append(w)
    return out


def words_of(doc: Doc) -> list[str]:
    """The normalised words of a doc (cached by the tokenizer)."""
    words = doc.user_data.get("nd_words")
    if words is None:
        words = doc.user_data["nd_words"] = [t.text for t in doc]
    return words


def join_words(words: list[str], start: int, end: int) -> str:
    """Text of words[start:end] (no space before a comma or full stop)."""
    return " ".join(words[start:end]).replace(" ,", ",").replace(" .", ".")


def doc_text(doc: Doc) -> str:
    """The normalised text of a doc (cached)."""
    text = doc.user_data.get("nd_text")
    if text is None:
        text = doc.user_data["nd_text"] = doc.text
    return text


REAL_WORD = 50  # times a word occurs in pyspellchecker's English counts to count as a real word


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words (pyspellchecker's frequency list, MIT): not typos to correct.

    Loaded on the first unknown long word (about 0.1 s), or up front by a warm web process."""
    import gzip
    import importlib.resources

    raw = (importlib.resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    counts: dict[str, int] = json.loads(gzip.decompress(raw))
    return frozenset(w for w, n in counts.items() if n >= REAL_WORD)


def load_jsonl(name: str) -> list[dict]:
    """Read one pattern file (JSON lines, blank lines and // comments allowed)."""
    rows = []
    for line in (PATTERNS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rows.append(json.loads(line))
    return rows


class Normaliser:
    """Maps raw words to canonical words using nlp/patterns/normalize.jsonl."""

    def __init__(self) -> None:
        self.words: dict[str, tuple[str, ...]] = {}
        pre: dict[str, str] = {}
        for row in load_jsonl("normalize.jsonl"):
            if "from" not in row:
                continue
            to = tuple(row["to"].split())
            for src in row["from"]:
                if any(c.isdigit() for c in src):
                    pre[src] = row["to"]
                else:
                    self.words[src.replace("'", "")] = to
        self.pre = pre
        alts = "|".join(sorted((re.escape(p) for p in pre), key=len, reverse=True))
        self.pre_re = re.compile(rf"\b(?:{alts})\b") if pre else None
        self.fuzzy: dict[str, str] = {}
        self.memo: dict[str, tuple[str, ...]] = {}
        self.known: set[str] = set()
        for row in load_jsonl("normalize.jsonl"):
            self.known.update(row.get("keep", []))
        # Multi-word rewrites (normalize_phrases.jsonl), keyed by their first word.
        self.phrases: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        self.anchors: set[str] = set()
        for row in load_jsonl("normalize_phrases.jsonl"):
            to = tuple(row["to"].split())
            for src in row["from"]:
                seq = tuple(src.split())
                self.phrases.setdefault(seq[0], []).append((seq, to))
                rare = [w for w in seq if w not in COMMON] or list(seq)
                self.anchors.add(max(rare, key=len))  # a rare word of it: the cheap precheck
        for rewrites in self.phrases.values():
            rewrites.sort(key=lambda a: -len(a[0]))

    def add_vocabulary(self, words: Iterable[str], forms: Iterable[str] = ()) -> None:
        """Register known words (len >= 6) so one-edit typos of them are corrected."""
        known = set(words) | self.known
        self.known |= known | set(forms)
        self.memo.clear()
        for w in known:
            if len(w) < 6 or not w.isalpha():
                continue
            for i in range(len(w)):
                self.fuzzy.setdefault(w[:i] + w[i + 1 :], w)
            self.fuzzy.setdefault(w, w)

    def word(self, w: str, *, fuzzy: bool = True) -> tuple[str, ...]:
        """Canonical form(s) of one lowercase word; () drops it."""
        if len(w) > MAX_WORD:  # noise ("aaaa...", "1111..."): keep lookups and typo fixes cheap
            return (w[:MAX_WORD],)
        if "'" in w:
            joined = w.replace("'", "")
            if w.endswith("'s") and joined not in self.words:
                joined = w[:-2]  # possessive: "the dog's eye" -> "dog eye"
            w = joined
        got = self.words.get(w)
        if got is not None:
            return got
        if w.endswith("in") and w + "g" in self.known:
            return (w + "g",)  # dropped g: "limpin" -> "limping"
        if fuzzy and len(w) >= 6 and w not in self.known:
            return (self._fix(w),)
        return (w,)

    @lru_cache(maxsize=65536)  # noqa: B019 - one normaliser per process
    def _fix(self, w: str) -> str:
        """Correct a one-edit typo of a known word (SymSpell-style deletes), never a real word."""
        if w in english_words():
            return w
        hit = self.fuzzy.get(w)
        if hit is not None and abs(len(hit) - len(w)) <= 1:
            return hit
        for i in range(len(w)):
            hit = self.fuzzy.get(w[:i] + w[i + 1 :])
            if hit is not None and abs(len(hit) - len(w)) <= 1 and hit[0] == w[0]:
                return hit
        return w

    def words_of(self, text: str) -> list[str]:
        """Normalised word list of a text."""
        t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        if self.pre_re is not None:
            t = self.pre_re.sub(lambda m: self.pre[m.group(0)], t)
        memo = self.memo
        got = [memo.get(w) or self._remember(w) for w in _TOKEN_RE.findall(t)]
        out = list(chain.from_iterable(got))
        if not self.anchors.isdisjoint(out):
            out = self._rewrite(out)
        if not _TENS.isdisjoint(out):
            out = _merge_tens(out)
        return out

    def _rewrite(self, words: list[str]) -> list[str]:
        """Apply the multi-word rewrites ("doesnt seem to be able to" -> "cant"), longest first."""
        out: list[str] = []
        i, n = 0, len(words)
        while i < n:
            for seq, to in self.phrases.get(words[i], ()):
                if tuple(words[i : i + len(seq)]) == seq:
                    out.extend(to)
                    i += len(seq)
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _remember(self, w: str) -> tuple[str, ...]:
        got = self.word(w)
        if len(self.memo) < 100_000:
            self.memo[w] = got
        return got


class NormalisingTokenizer:
    """spaCy tokenizer producing a Doc of normalised words (the text the rules see)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.normaliser = Normaliser()

    def __call__(self, text: str) -> Doc:
        words = self.normaliser.words_of(text)
        if _NO_SPACE_BEFORE.isdisjoint(words):  # most texts: no per-word test
            spaces = [True] * len(words)
        else:
            spaces = [w not in _NO_SPACE_BEFORE for w in words[1:]]
            spaces.append(False)
        if spaces:
            spaces[-1] = False
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data["nd_words"] = words  # the rules read words without creating Token objects
        joined = " ".join(words)
        if "," in joined or "." in joined or "?" in joined or "!" in joined or ";" in joined:
            for p in _NO_SPACE_BEFORE:
                joined = joined.replace(" " + p, p)
        doc.user_data["nd_text"] = joined
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        """Tokenize a stream of texts."""
        for text in texts:
            yield self(text)

    def to_bytes(self, **kwargs: object) -> bytes:
        """Nothing to serialise: the tables are package data."""
        return b""

    def from_bytes(self, data: bytes, **kwargs: object) -> NormalisingTokenizer:
        """Nothing to restore."""
        return self


@registry.tokenizers("nightdesk.normalising_tokenizer.v1")
def create_tokenizer() -> object:
    """Factory used by the pipeline config."""

    def make(nlp: object) -> NormalisingTokenizer:
        return NormalisingTokenizer(nlp.vocab)  # type: ignore[attr-defined]

    return make
