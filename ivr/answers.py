"""How a short answer to a yes/no question reads: no, yes, unsure, or a story to analyse.

The words are data (ivr/prompts.yaml, `words.*`). A fact that begins with "no" ("nope",
"nothing", "not really") is a no; "not sure" and "I don't know" are unsure, whatever they
begin with; a yes-word at the start ("yeah", "I think so", "a little") is a yes unless the
answer goes on to say all is well ("yeah he's fine").
"""

from __future__ import annotations

import re

from ivr import prompts

_WORD = re.compile(r"[a-z0-9']+")


def _norm(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower().replace("\u2019", "'"))) + " "


def _has(padded: str, key: str, language: str) -> bool:
    return any(f" {w} " in padded for w in prompts.words(key, language=language))


def _starts(padded: str, key: str, language: str) -> bool:
    return any(padded.startswith(f" {w} ") for w in prompts.words(key, language=language))


def answer_kind(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> str:
    """'no', 'yes', 'unsure' or 'story' (an answer that is none of those: read by the engine)."""
    padded = _norm(text)
    if not padded.strip():
        return "unsure"
    if _has(padded, "unsure", language) and len(padded.split()) <= 6:
        return "unsure"  # "I'm not sure" (a longer answer says more: read it)
    if _starts(padded, "answer_no", language):
        return "no"
    if _starts(padded, "answer_yes", language):
        if _has(padded, "all_well", language):
            return "story"  # "yeah he's fine"
        if len(padded.split()) > 4 and not _starts(padded, "strong_yes", language):
            return "story"  # "a little sore on the lip, no": a description, not a yes
        return "yes"
    if _has(padded, "all_well", language) and len(padded.split()) <= 6:
        return "no"
    return "story"


PERSON_REACH = 6  # words from "talk", "need", "is there" ... to the person asked for


def asks_person(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> bool:
    """'can I talk to a person', 'put me through to someone': a person asked for, any wording.

    The person follows the asking within a few words, so "can someone call in the refill" or
    "can someone check her records" ask for a refill and a record, not for a person now; a vague
    person ("someone") counts after talk/speak/connect words only, not after "need"/"want"."""
    padded = _norm(text)
    if not _has(padded, "person", language):
        return False  # the cheap no
    vague = set(prompts.words("person_vague", language=language))
    talk = prompts.words("person_talk", language=language)
    for verb in (*talk, *prompts.words("person_want", language=language)):
        at = padded.find(f" {verb} ")
        while at >= 0:
            after = " " + " ".join(padded[at + len(verb) + 2 :].split()[:PERSON_REACH]) + " "
            for who in prompts.words("person", language=language):
                if f" {who} " in after and (who not in vague or verb in talk):
                    return True
            at = padded.find(f" {verb} ", at + 1)
    return False


_TURNS = re.compile(r",|;|\.| but | oh | though | although | except | well | actually ")


def after_the_no(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> str:
    """What a "no" answer goes on to say, unless it is harmless ("no, just the usual panting").

    "no, not that I can tell, oh yeah he sits in there pushing" -> "... sits in there pushing"."""
    low = " " + text.lower().replace("\u2019", "'") + " "
    m = _TURNS.search(low, 3)
    if m is None:
        return ""
    rest = low[m.end() :]
    padded = _norm(rest)
    harmless = _has(padded, "all_well", language) or _has(padded, "harmless", language)
    return "" if harmless or not padded.strip() else rest.strip()


def harmless(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> bool:
    """An answer that says what happened was as meant ("the cat ones, like the box says")."""
    return _has(_norm(text), "harmless", language)


def minimal(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> bool:
    """An answer that makes the sign small ("just a tiny scrape", "a bit sore")."""
    return _has(_norm(text), "minimal", language)


def past_only(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> bool:
    """An answer that puts the sign in the past ("just that one last week, nothing since")."""
    return _has(_norm(text), "past_only", language)


def says_no(text: str, *, language: str = prompts.DEFAULT_LANGUAGE) -> bool:
    """A no anywhere in the answer ("a bit sore on the lip, no", "not really straining")."""
    padded = _norm(text)
    return any(f" {w} " in padded for w in prompts.words("no_word", language=language))
