"""The pet's name: read from a place the sentence gives a name ('my cat Oreo has ...', 'her name is
Ginger', 'Snickers has diarrhea'), so that a name that is also a word (a food, a colour) is found
and a word that is not a name is not. The words are in patterns/patient.jsonl."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

from .hits import Hit
from .tokenizer import load_jsonl

Seqs = dict[str, list[tuple[str, ...]]]  # word sequences by their first (or last) word
PET_WORDS = frozenset({"SPECIES", "BREED"})
SIGNS = frozenset({"SYM", "TOXIN", "OBJECT", "EXPO"})
BOUNDARY = frozenset({".", "?", "!", ";"})


@dataclass(frozen=True, slots=True)
class NameWords:
    """The `name_words` rows of patient.jsonl."""

    said_before: Seqs  # 'named', 'her name is', 'my boy': the name comes next (by last word)
    verbs: Seqs  # 'has', 'keeps', 'threw': what a pet named at the start of a sentence does
    intro: Seqs  # 'is a', ', my': what is said of a pet named at the start of a sentence
    starters: frozenset[str]  # 'hi', 'so', 'um': may come before a sentence's first word
    word_names: frozenset[str]  # names that are also words the rules know ('oreo', 'sugar')
    not_names: frozenset[str]  # never a name ('husband', 'poop', 'tonight')


@lru_cache(maxsize=1)
def name_words() -> NameWords:
    """The name words of patterns/patient.jsonl."""
    rows = {r["id"]: r for r in load_jsonl("patient.jsonl") if "name_words" in r}

    def seqs(key: str, *, by_last: bool = False) -> Seqs:
        out: Seqs = {}
        for phrase in rows[key]["name_words"]:
            seq = tuple(phrase.split())
            out.setdefault(seq[-1] if by_last else seq[0], []).append(seq)
        return out

    def words(key: str) -> frozenset[str]:
        return frozenset(rows[key]["name_words"])

    return NameWords(
        said_before=seqs("name.said_before", by_last=True),
        verbs=seqs("name.verbs"),
        intro=seqs("name.intro"),
        starters=words("name.starters"),
        word_names=words("name.word_names"),
        not_names=words("name.not_names") | STOP_WORDS,
    )


def name_of(words: list[str], hits: list[Hit], known: frozenset[str]) -> str | None:
    """The pet's name in one text, from the first place that holds one (known: the rule words,
    names only when they are one of the `word_names`)."""
    table = name_words()
    for i, place in _places(words, hits, table):
        w = words[i]
        if not w.isalpha() or w in table.not_names or _a_pet_word(hits, i):
            continue
        if w in known:  # a word of the rules: a name only if it is a pet's name and placed so
            if w not in table.word_names:
                continue
            if place == "after_pet" and not _named_next(words, i + 1, table):
                continue  # 'my dog sugar levels': a word after the dog, not her name
        elif (
            place == "subject"
            and w not in table.word_names
            and not _about_a_pet(words, hits, i, table)
        ):
            continue  # 'husband has the flu'
        return w.capitalize()
    return None


def short_name(words: list[str], known: frozenset[str]) -> str | None:
    """A one- or two-word answer that may be just the name ('max', 'its oreo')."""
    table = name_words()
    cand = words[-1]
    if not cand.isalpha() or cand in table.not_names:
        return None
    return cand.capitalize() if cand not in known or cand in table.word_names else None


def _a_pet_word(hits: list[Hit], i: int) -> bool:
    """A word of the species or breed said ('my cat tabby' is not named Tabby)."""
    return any(h.start <= i < h.end and h.label in PET_WORDS for h in hits)


def _places(words: list[str], hits: list[Hit], table: NameWords) -> Iterator[tuple[int, str]]:
    """(word index, kind of place) of the words the sentence may give as the pet's name, the most
    certain first: 'named' ('her name is ginger'), 'after_pet' ('my cat oreo has', 'my dog,
    pepper,'), 'subject' ('snickers has diarrhea', 'rocky, hes my tomcat')."""
    n = len(words)
    if not n:
        return
    said_before = table.said_before
    for i in [i for i, w in enumerate(words[:-1], 1) if w in said_before]:
        if _ends_with(words, i, said_before):
            yield i, "named"
    for h in hits:
        if h.label in PET_WORDS and "OTHER" not in h.mods:
            i = h.end + (h.end < n and words[h.end] == ",")
            if i < n:
                yield i, "after_pet" if i == h.end else "named"
    for i in _sentence_starts(words, table.starters):
        if i < n and _named_next(words, i + 1, table):
            yield i, "subject"


def _about_a_pet(words: list[str], hits: list[Hit], i: int, table: NameWords) -> bool:
    """A sentence that starts with an unknown word is about a pet so named when it says who she is
    ('bella is a 3 year old lab', 'rocky, hes my tomcat') or what she has ('coco has diarrhea')."""
    if _starts_with(words, i + 1, table.intro):
        return True
    end = next((j for j in range(i + 1, len(words)) if words[j] in BOUNDARY), len(words))
    return any(h.label in SIGNS and i < h.start < end and h.asserted for h in hits)


def _named_next(words: list[str], i: int, table: NameWords) -> bool:
    """True when words[i:] begin with what is said of a pet just named (or the text ends)."""
    if i >= len(words) or words[i] in BOUNDARY:
        return True
    return _starts_with(words, i, table.verbs) or _starts_with(words, i, table.intro)


def _sentence_starts(words: list[str], starters: frozenset[str]) -> list[int]:
    """The first word of each sentence, after any 'hi,' or 'so um'."""
    out = []
    for i in [0] + [j + 1 for j, w in enumerate(words) if w in BOUNDARY]:
        while i < len(words) and (words[i] in starters or words[i] == ","):
            i += 1
        out.append(i)
    return out


def _ends_with(words: list[str], i: int, seqs: Seqs) -> bool:
    """True when words[:i] end with one of the sequences (indexed by their last word)."""
    found = seqs.get(words[i - 1], ())
    return any(len(s) <= i and tuple(words[i - len(s) : i]) == s for s in found)


def _starts_with(words: list[str], i: int, seqs: Seqs) -> bool:
    """True when words[i:] begin with one of the sequences (indexed by their first word)."""
    found = seqs.get(words[i], ()) if i < len(words) else ()
    return any(tuple(words[i : i + len(s)]) == s for s in found)
